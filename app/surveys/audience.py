"""Audiences of a send and the consent/fatigue rules that decide who is skipped, and why.

An audience is stored on the send as JSON so the report can say how it was chosen:
``{"type": "all"}``, ``{"type": "tier"|"plan"|"lifecycle", "values": [...]}``,
``{"type": "accounts", "ids": [...]}`` or ``{"type": "emails", "emails": [...]}`` (a pasted or uploaded CSV).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.inputs import parse_ids
from app.mail.queries import email_hash, suppressed_hashes
from app.models import Account, Contact, DeliveryState, Invitation, Lifecycle, Tier, utcnow
from app.workspace_settings import get_setting

TYPES = ("all", "tier", "plan", "lifecycle", "accounts", "emails")
SKIP_REASONS = {
    "suppressed": "On the suppression list",
    "unsubscribed": "Unsubscribed",
    "bounced": "Email bounced",
    "quarantined": "Surveyed recently (quarantine)",
    "invalid_email": "Address cannot be mailed",
}
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
MAX_EMAILS = 50_000


class AudienceError(ValueError):
    """An audience that cannot be used; the message says why."""


def emails_from_csv(text: str) -> list[str]:
    """Every distinct address found in a CSV (any column), lower-cased, in order of appearance."""
    seen: dict[str, None] = {}
    try:
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                value = cell.strip().strip("<>").lower()
                if "@" in value and EMAIL_RE.match(value):
                    seen.setdefault(value, None)
            if len(seen) > MAX_EMAILS:
                raise AudienceError(f"At most {MAX_EMAILS:,} addresses per send.")
    except csv.Error as exc:  # e.g. one cell past the csv module's 128 KB field limit
        raise AudienceError(f"The list is not readable CSV ({exc}); paste one address per line.") from None
    return list(seen)


def validate(spec: dict[str, Any]) -> dict[str, Any]:
    """A clean copy of an audience spec (allow-listed keys and values only)."""
    kind = spec.get("type")
    if kind not in TYPES:
        raise AudienceError("Choose who should receive the survey.")
    if kind == "all":
        return {"type": "all"}
    if kind in ("tier", "plan", "lifecycle"):
        values = sorted({str(v) for v in spec.get("values") or [] if str(v).strip()})
        allowed = {"tier": {t.value for t in Tier}, "lifecycle": {s.value for s in Lifecycle}}.get(kind)
        if not values or (allowed is not None and not set(values) <= allowed):
            raise AudienceError(f"Choose at least one {kind.replace('lifecycle', 'lifecycle stage')}.")
        return {"type": kind, "values": values}
    if kind == "accounts":
        ids = parse_ids(spec.get("ids") or [])
        if not ids:
            raise AudienceError("Choose at least one account.")
        return {"type": "accounts", "ids": ids}
    emails = [e for e in (spec.get("emails") or []) if isinstance(e, str) and EMAIL_RE.match(e)]
    if not emails:
        raise AudienceError("The list has no email addresses.")
    return {"type": "emails", "emails": emails[:MAX_EMAILS]}


def contact_filter(spec: dict[str, Any]) -> sa.Select:
    """A select of the contact ids an audience names (before consent and fatigue rules)."""
    query = sa.select(Contact.id).outerjoin(Account, Contact.account_id == Account.id)
    kind = spec["type"]
    if kind == "tier":
        query = query.where(Account.tier.in_([Tier(v) for v in spec["values"]]))
    elif kind == "plan":
        query = query.where(Account.plan.in_(spec["values"]))
    elif kind == "lifecycle":
        query = query.where(Account.lifecycle_stage.in_([Lifecycle(v) for v in spec["values"]]))
    elif kind == "accounts":
        query = query.where(Contact.account_id.in_(spec["ids"]))
    elif kind == "emails":
        query = query.where(Contact.email.in_(sa.bindparam("emails", expanding=True)))
    return query.order_by(Contact.id)


# What the consent and fatigue rules (``skip_reasons``) and the invitations need of a contact: read as plain
# rows, not ORM objects (no identity map, no JSON attributes parsed for every contact of a send).
CONSENT_COLUMNS = (
    Contact.id,
    Contact.email,
    Contact.unsubscribed_at,
    Contact.bounced_at,
    Contact.last_surveyed_at,
)


def audience_contacts(spec: dict[str, Any]) -> Iterator[list[sa.Row]]:
    """The audience's contacts (``CONSENT_COLUMNS`` of each), in chunks of 500 (bounded memory for big
    workspaces)."""
    if spec["type"] == "emails":
        emails = spec["emails"]
        for start in range(0, len(emails), 500):
            ids = db.session.execute(contact_filter(spec), {"emails": emails[start : start + 500]}).scalars()
            yield from _load(list(ids))
        return
    ids = list(db.session.execute(contact_filter(spec)).scalars())
    yield from _load(ids)


def _load(ids: list[int]) -> Iterator[list[sa.Row]]:
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        yield list(
            db.session.execute(sa.select(*CONSENT_COLUMNS).where(Contact.id.in_(chunk)).order_by(Contact.id))
        )


def unknown_emails(spec: dict[str, Any]) -> list[str]:
    """Addresses of an email-list audience that are not contacts (reported, never mailed)."""
    if spec["type"] != "emails":
        return []
    known: set[str] = set()
    emails = spec["emails"]
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        known.update(db.session.execute(sa.select(Contact.email).where(Contact.email.in_(chunk))).scalars())
    return [e for e in emails if e not in known]


def skip_reasons(
    contacts: Sequence[Contact | sa.Row], send_id: int | None, ignore_quarantine: bool = False
) -> dict[int, str]:
    """Contact id → why it must not get this send (absent: it may be mailed), the most specific reason
    first (an unsubscribe or a bounce also puts the address on the suppression list).

    ``ignore_quarantine`` (an admin's per-send override) mails people surveyed recently, but never anyone
    whose invitation of another send is still being delivered."""
    days = int(get_setting("quarantine_days"))
    cutoff = utcnow() - timedelta(days=days)
    hashes = {c.id: email_hash(c.email) for c in contacts}
    suppressed = suppressed_hashes(list(hashes.values()))
    pending = _pending_elsewhere([c.id for c in contacts], send_id, cutoff, in_flight_only=ignore_quarantine)
    quarantine = days > 0 and not ignore_quarantine
    reasons: dict[int, str] = {}
    for c in contacts:
        if c.unsubscribed_at is not None:
            reasons[c.id] = "unsubscribed"
        elif c.bounced_at is not None:
            reasons[c.id] = "bounced"
        elif hashes[c.id] in suppressed:
            reasons[c.id] = "suppressed"
        elif _held(c, pending, cutoff if quarantine else None, ignore_quarantine):
            reasons[c.id] = "quarantined"
        elif not EMAIL_RE.match(c.email or "") or not c.email.isascii():
            reasons[c.id] = "invalid_email"
    return reasons


def _held(contact: Contact | sa.Row, pending: set[int], cutoff, ignore_quarantine: bool) -> bool:
    """In quarantine: surveyed since ``cutoff`` (None: no quarantine) or in another send's delivery."""
    if ignore_quarantine:
        return contact.id in pending  # still being mailed by another send
    if cutoff is None:
        return False
    recent = contact.last_surveyed_at is not None and contact.last_surveyed_at >= cutoff
    return recent or contact.id in pending


def _pending_elsewhere(
    contact_ids: list[int], send_id: int | None, cutoff, in_flight_only: bool = False
) -> set[int]:
    """Contacts already queued in another recent send (two sends at once must not both mail them)."""
    if in_flight_only:
        query = sa.select(Invitation.contact_id).where(
            Invitation.contact_id.in_(contact_ids),
            Invitation.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
        )
    else:
        states = [DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.SENT, DeliveryState.UNCERTAIN]
        query = sa.select(Invitation.contact_id).where(
            Invitation.contact_id.in_(contact_ids),
            Invitation.state.in_(states),
            Invitation.created_at >= cutoff,
        )
    if send_id is not None:
        query = query.where(Invitation.send_id != send_id)
    return set(db.session.execute(query).scalars())


def describe(spec: dict[str, Any], names: dict[int, str] | None = None) -> str:
    """A short human description of an audience."""
    kind = spec.get("type")
    if kind == "all":
        return "All contacts"
    if kind in ("tier", "plan", "lifecycle"):
        label = {"tier": "Tier", "plan": "Plan", "lifecycle": "Lifecycle stage"}[kind]
        return f"{label}: " + ", ".join(v.replace("_", " ") for v in spec.get("values", []))
    if kind == "accounts":
        ids = spec.get("ids", [])
        if names is None:
            rows = db.session.execute(sa.select(Account.id, Account.name).where(Account.id.in_(ids[:5])))
            names = {row.id: row.name for row in rows}
        shown = [names.get(i, f"#{i}") for i in ids[:5]]
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        return f"Accounts: {', '.join(shown)}{more}"
    if kind == "emails":
        return f"Email list ({len(spec.get('emails', [])):,} addresses)"
    return "Unknown audience"
