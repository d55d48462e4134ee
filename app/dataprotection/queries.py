"""The audit log as admins read it: filtered by action, person, target and period, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.inputs import parse_day, parse_id
from app.models import AuditEvent, Contact, Response, User

PAGE = 100


@dataclass(frozen=True)
class AuditFilters:
    """Checked filters (None: not filtered)."""

    action: str | None = None
    actor: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    start: date | None = None
    end: date | None = None
    before: int | None = None

    @classmethod
    def from_args(cls, args: Any) -> AuditFilters:
        """From query arguments; malformed values are dropped."""

        def day(name: str) -> date | None:
            return parse_day(args.get(name))

        def number(name: str) -> int | None:
            return parse_id(args.get(name))

        text = {k: (args.get(k) or "").strip()[:64] or None for k in ("action", "target_type", "target_id")}
        return cls(
            text["action"],
            number("actor"),
            text["target_type"],
            text["target_id"],
            day("start"),
            day("end"),
            number("before"),
        )


def events(f: AuditFilters, zone: Any) -> list[tuple[AuditEvent, str | None]]:
    """One page of events with the actor's email."""
    stmt = sa.select(AuditEvent, User.email).join(User, User.id == AuditEvent.actor_id, isouter=True)
    if f.action:
        stmt = stmt.where(AuditEvent.action == f.action)
    if f.actor:
        stmt = stmt.where(AuditEvent.actor_id == f.actor)
    if f.target_type:
        stmt = stmt.where(AuditEvent.target_type == f.target_type)
    if f.target_id:
        stmt = stmt.where(AuditEvent.target_id == f.target_id)
    if f.start:
        stmt = stmt.where(AuditEvent.created_at >= datetime.combine(f.start, time(), zone).astimezone(UTC))
    if f.end:
        stmt = stmt.where(
            AuditEvent.created_at < datetime.combine(f.end + timedelta(days=1), time(), zone).astimezone(UTC)
        )
    if f.before:
        stmt = stmt.where(AuditEvent.id < f.before)
    return [
        (e, email) for e, email in db.session.execute(stmt.order_by(AuditEvent.id.desc()).limit(PAGE)).all()
    ]


def actions() -> list[str]:
    """Every action recorded so far (for the filter)."""
    return list(
        db.session.execute(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars()
    )


def actors() -> list[tuple[int, str]]:
    """Staff who appear in the log."""
    stmt = (
        sa.select(User.id, User.email).where(User.id.in_(sa.select(AuditEvent.actor_id))).order_by(User.email)
    )
    return [(i, e) for i, e in db.session.execute(stmt).all()]


def find_contact(text: str) -> Contact | None:
    """A contact by email or ``#id``."""
    text = (text or "").strip()
    if text.startswith("#") and text[1:].isdigit():
        return db.session.get(Contact, int(text[1:]))
    return db.session.execute(sa.select(Contact).where(Contact.email == text.lower())).scalar_one_or_none()


def response_count(contact: Contact) -> int:
    """How many responses an erasure of this contact would anonymise."""
    return db.session.execute(
        sa.select(sa.func.count(Response.id)).where(
            sa.or_(
                Response.contact_id == contact.id, sa.func.lower(Response.respondent_email) == contact.email
            )
        )
    ).scalar_one()
