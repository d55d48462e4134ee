"""Data-subject requests and retention: export a contact's data as JSON, erase a contact so nothing
identifying remains anywhere (the suppression hash stays, so they are never mailed again), and the
retention job. Every run is audited through ``app.audit.audit``; the audit log page reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.audit import audit
from app.dataprotection.scrub import json_safe, scrub_everywhere, scrub_quotes
from app.extensions import db
from app.mail import services as mail
from app.models import (
    AuditEvent,
    Contact,
    FollowUp,
    FollowUpEvent,
    IdempotencyKey,
    Invitation,
    LinkClick,
    Response,
    Tombstone,
    WebhookAttempt,
    WebhookDelivery,
    WebhookMessage,
    utcnow,
)
from app.webhooks import services as webhooks
from app.workspace_settings import get_setting

RESPONSE_FIELDS = (
    "id",
    "survey_id",
    "kind",
    "channel",
    "score",
    "comment",
    "form_category",
    "locale",
    "respondent_email",
    "account_hint",
    "sentiment_label",
    "created_at",
    "updated_at",
)
CONTACT_FIELDS = (
    "id",
    "email",
    "name",
    "title",
    "role",
    "locale",
    "account_id",
    "unsubscribed_at",
    "bounced_at",
    "bounce_count",
    "last_surveyed_at",
    "attributes",
    "created_at",
    "updated_at",
)


class NotFound(LookupError):
    """No such contact (and none was erased under that id)."""


@dataclass(frozen=True)
class Erasure:
    """What an erasure did (``already`` when the contact had been erased before: nothing to do)."""

    contact_id: int
    responses: int
    scrubbed: int
    already: bool = False


def _responses(contact: Contact) -> list[Response]:
    return list(
        db.session.execute(
            sa.select(Response)
            .where(
                sa.or_(
                    Response.contact_id == contact.id,
                    sa.func.lower(Response.respondent_email) == contact.email,
                )
            )
            .order_by(Response.id)
            .execution_options(include_scanner_suspects=True)  # erasure and export cover them too
        ).scalars()
    )


def export_contact(contact_id: int, actor_id: int | None) -> dict[str, Any]:
    """Everything stored about a contact, as JSON-ready data; the export is audited."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(contact_id)
    responses = _responses(contact)
    invitations = list(
        db.session.execute(sa.select(Invitation).where(Invitation.contact_id == contact.id)).scalars()
    )
    clicks = list(
        db.session.execute(
            sa.select(LinkClick).where(LinkClick.invitation_id.in_([i.id for i in invitations]))
        ).scalars()
    )
    data = {
        "contact": {f: getattr(contact, f) for f in CONTACT_FIELDS},
        "account": {"id": contact.account.id, "name": contact.account.name} if contact.account else None,
        "responses": [
            {
                **{f: getattr(r, f) for f in RESPONSE_FIELDS},
                "topics": [m.topic.name for m in r.mentions if not m.rejected],
                "intents": [i.label for i in r.intents],
            }
            for r in responses
        ],
        "invitations": [
            {
                "id": i.id,
                "survey_id": i.survey_id,
                "send_id": i.send_id,
                "state": i.state,
                "sent_at": i.sent_at,
                "responded_at": i.responded_at,
                "clicks": [
                    {"kind": c.kind, "score": c.score, "user_agent": c.user_agent, "at": c.created_at}
                    for c in clicks
                    if c.invitation_id == i.id
                ],
            }
            for i in invitations
        ],
        "exported_at": utcnow(),
    }
    audit(actor_id, "contact.export", "contact", contact.id, responses=len(responses))
    db.session.commit()
    return json_safe(data)


def _needles(contact: Contact, responses: list[Response]) -> list[str]:
    """What identifies the person in free text: the address and a full name (a lone first name is too
    common to replace safely), and what they typed as their company."""
    name = " ".join((contact.name or "").split())
    out = [contact.email]
    if len(name) >= 8 or (" " in name and len(name) >= 5):
        out.append(name)
    out += [r.account_hint for r in responses if r.account_hint and len(r.account_hint) >= 5]
    out += [r.respondent_email for r in responses if r.respondent_email]
    return out


def erase_contact(contact_id: int, actor_id: int | None) -> Erasure:
    """Erase a contact: responses anonymised (scores kept for the figures), every copy of their details
    and comments scrubbed, the contact deleted, a tombstone and ``response.erased`` events written, the
    address kept only as a suppression hash. A second call is a no-op; an unknown id raises NotFound."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        done = db.session.execute(
            sa.select(Tombstone.id).where(Tombstone.resource == "contact", Tombstone.object_id == contact_id)
        ).first()
        if done is None:
            raise NotFound(contact_id)
        return Erasure(contact_id, 0, 0, already=True)
    responses = _responses(contact)
    needles = _needles(contact, responses)
    comments = [r.comment for r in responses if r.comment]
    response_ids = [r.id for r in responses]
    mail.suppress(contact.email, "erased")  # the hash stays: never mailed again
    _forget_links(contact, response_ids)
    for r in responses:
        _anonymise(r)
    scrubbed = scrub_quotes(comments) + scrub_everywhere(needles)
    db.session.add(Tombstone(resource="contact", object_id=contact.id, reason="erased"))
    db.session.add_all(Tombstone(resource="response", object_id=i, reason="erased") for i in response_ids)
    webhooks.emit_many("response.erased", [({"id": i}, None, i) for i in response_ids])
    db.session.delete(contact)
    audit(actor_id, "contact.erase", "contact", contact_id, responses=len(response_ids))
    db.session.commit()
    return Erasure(contact_id, len(response_ids), scrubbed)


def _anonymise(r: Response) -> None:
    """Keep what the figures need (survey, kind, score, time, account); drop what a person wrote or is."""
    r.comment = None
    r.respondent_email = None
    r.account_hint = None
    r.analysis = {}
    r.analysis_error = None
    r.submission_id = None
    r.contact_id = None
    r.sentiment_label = None
    r.sentiment_score = None
    r.mentions.clear()
    r.intents.clear()


def _forget_links(contact: Contact, response_ids: list[int]) -> None:
    """Clear the rows that point at the person: clicks, invitation errors, follow-up notes, audit IPs, webhook
    payloads and receiver logs, and stored API answers about them."""
    invitation_ids = sa.select(Invitation.id).where(Invitation.contact_id == contact.id).scalar_subquery()
    db.session.execute(
        sa.update(LinkClick).where(LinkClick.invitation_id.in_(invitation_ids)).values(user_agent=None)
    )
    db.session.execute(sa.update(Invitation).where(Invitation.contact_id == contact.id).values(error=None))
    if response_ids:
        followups = sa.select(FollowUp.id).where(FollowUp.response_id.in_(response_ids)).scalar_subquery()
        db.session.execute(sa.update(FollowUp).where(FollowUp.id.in_(followups)).values(resolution_note=None))
        db.session.execute(
            sa.update(FollowUpEvent).where(FollowUpEvent.followup_id.in_(followups)).values(note=None)
        )
    db.session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.target_type == "contact", AuditEvent.target_id == str(contact.id))
        .values(ip=None, details={})
    )
    about = sa.or_(
        WebhookMessage.contact_id == contact.id, WebhookMessage.response_id.in_(response_ids or [-1])
    )
    messages = sa.select(WebhookMessage.id).where(about).scalar_subquery()
    db.session.execute(
        sa.update(WebhookMessage).where(WebhookMessage.id.in_(messages)).values(payload={"erased": True})
    )
    deliveries = (
        sa.select(WebhookDelivery.id).where(WebhookDelivery.message_id.in_(messages)).scalar_subquery()
    )
    db.session.execute(
        sa.update(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)).values(response_body=None)
    )
    db.session.execute(
        sa.delete(IdempotencyKey).where(
            sa.func.lower(IdempotencyKey.response_body).contains(contact.email, autoescape=True)
        )
    )


# --- Retention ----------------------------------------------------------------------------------------------


def apply_retention(batch: int = 1000) -> int:
    """Delete or anonymise responses older than the retention setting (off when 0); returns how many.
    The count is written to the audit log."""
    months = int(get_setting("retention_months") or 0)
    if months <= 0:
        return 0
    mode = str(get_setting("retention_mode"))
    cutoff = utcnow() - timedelta(days=round(months * 30.44))
    total = 0
    while True:
        where = [Response.created_at < cutoff]
        if mode != "delete":
            where.append(
                sa.or_(
                    Response.comment.is_not(None),
                    Response.respondent_email.is_not(None),
                    Response.contact_id.is_not(None),
                    Response.account_hint.is_not(None),
                )
            )
        rows = list(
            db.session.execute(
                sa.select(Response)
                .where(*where)
                .order_by(Response.id)
                .limit(batch)
                .execution_options(include_scanner_suspects=True)  # retention covers them too
            ).scalars()
        )
        if not rows:
            break
        comments = [r.comment for r in rows if r.comment]
        for r in rows:
            if mode == "delete":
                db.session.add(Tombstone(resource="response", object_id=r.id, reason="retention"))
                db.session.delete(r)
            else:
                _anonymise(r)
        scrub_quotes(comments)
        db.session.commit()
        total += len(rows)
    audit(None, "retention.run", "responses", None, mode=mode, months=months, count=total)
    db.session.commit()
    return total
