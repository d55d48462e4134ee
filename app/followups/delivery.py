"""Follow-up emails, at most once each (RELIABILITY 6, as invitations, digests and alerts).

A ``FollowUpMessage`` row is added in the transaction that decides the email (opening, escalation, a
reply). Then: claim queued rows atomically → commit the deterministic Message-ID (the in-flight mark) →
send → commit the result. A retried job only claims ``queued`` rows; a killed one leaves ``sending`` rows
that the sweeper gives back (no Message-ID: nothing went out) or marks ``uncertain`` (never resent).
A reply to a customer is checked against the suppression list right before it goes.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.mail import services as mail
from app.mail.queries import is_suppressed
from app.models import DeliveryState, FollowUpMessage, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
KIND = "followup"  # the Message-ID namespace of these emails


def add_message(
    followup_id: int,
    kind: str,
    key: str,
    to_email: str,
    subject: str,
    body: str,
    user_id: int | None = None,
    reply_to: str | None = None,
) -> FollowUpMessage:
    """Queue one email in the caller's transaction (``key`` unique: the same decision never mails twice)."""
    row = FollowUpMessage(
        followup_id=followup_id,
        kind=kind,
        key=key[:80],
        user_id=user_id,
        to_email=to_email,
        subject=mail.clean_text(subject)[:300],
        body=body,
        reply_to=reply_to,
    )
    db.session.add(row)
    return row


def _claim(followup_id: int) -> list[tuple[int, int]]:
    where = [FollowUpMessage.followup_id == followup_id, FollowUpMessage.state == DeliveryState.QUEUED]
    inner = sa.select(FollowUpMessage.id).where(*where).order_by(FollowUpMessage.id)
    if db.engine.dialect.name == "postgresql":
        inner = inner.with_for_update(skip_locked=True)
    picked = inner.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    rows = db.session.execute(
        sa.update(FollowUpMessage)
        .where(FollowUpMessage.id.in_(sa.select(picked.c.id)), *where)
        .values(state=DeliveryState.SENDING, claimed_at=utcnow(), attempts=FollowUpMessage.attempts + 1)
        .returning(FollowUpMessage.id, FollowUpMessage.attempts),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.commit()
    return sorted((r[0], r[1]) for r in rows)


def deliver(followup_id: int) -> dict[str, int]:
    """Send every queued email of a follow-up over one connection; returns outcome counts."""
    counts: dict[str, int] = {}
    claimed = _claim(followup_id)
    if not claimed:
        return counts
    with mail.get_transport() as transport:
        for row_id, attempts in claimed:
            outcome = _deliver_one(transport, row_id, attempts)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _deliver_one(transport, row_id: int, attempts: int) -> str:
    row = db.session.execute(
        sa.select(FollowUpMessage)
        .where(FollowUpMessage.id == row_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if row.kind == "reply" and is_suppressed(row.to_email):
        row.state, row.error = DeliveryState.SKIPPED, "the address is suppressed (unsubscribed or bounced)"
        db.session.commit()
        return "skipped"
    won = db.session.execute(
        sa.update(FollowUpMessage)
        .where(
            FollowUpMessage.id == row_id,
            FollowUpMessage.state == DeliveryState.SENDING,
            FollowUpMessage.attempts == attempts,
            FollowUpMessage.message_id.is_(None),
        )
        .values(message_id=mail.message_id(row_id, KIND)),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    if won != 1:
        return "gone"
    row = db.session.get(FollowUpMessage, row_id)
    outcome = _send(transport, row, build_message(row))
    db.session.commit()
    return outcome


def build_message(row: FollowUpMessage) -> EmailMessage:
    """The MIME message of one follow-up email: the text, and the same text as escaped HTML."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = Address(addr_spec=row.to_email)
    if row.reply_to:
        msg["Reply-To"] = Address(addr_spec=row.reply_to)
    msg["Subject"] = mail.clean_text(row.subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = mail.message_id(row.id, KIND)
    if row.kind != "reply":  # staff notifications; a reply is a person writing to a customer
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    text = row.body.replace("\r\n", "\n")
    msg.set_content(text)
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    msg.add_alternative(f"<!doctype html><html><body>{paragraphs}</body></html>", subtype="html")
    return msg


def _send(transport, row: FollowUpMessage, msg: EmailMessage) -> str:
    """Send one message and set the row's state from the outcome (the caller commits)."""
    try:
        transport.send(msg, KIND)
    except mail.TemporaryMailError as exc:
        row.error, row.message_id = str(exc)[:500], None  # certainly not delivered
        row.state = DeliveryState.FAILED if row.attempts >= MAX_ATTEMPTS else DeliveryState.QUEUED
        return "failed" if row.state == DeliveryState.FAILED else "retry"
    except mail.PermanentMailError as exc:
        row.error = str(exc)[:500]
        row.state = DeliveryState.BOUNCED if exc.hard_bounce else DeliveryState.FAILED
        return row.state.value
    except mail.UncertainMailError as exc:
        row.state, row.error = DeliveryState.UNCERTAIN, str(exc)[:500]
        return "uncertain"
    row.state, row.sent_at, row.error = DeliveryState.SENT, utcnow(), None
    return "sent"


def recover_stuck() -> dict[str, int]:
    """Rows a crashed sender left ``sending``: never in flight → ``queued``; in flight → ``uncertain``."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["MAIL_SENDING_TIMEOUT"])
    stuck = [FollowUpMessage.state == DeliveryState.SENDING, FollowUpMessage.claimed_at <= cutoff]
    released = db.session.execute(
        sa.update(FollowUpMessage)
        .where(*stuck, FollowUpMessage.message_id.is_(None))
        .values(state=DeliveryState.QUEUED),
        execution_options={"synchronize_session": False},
    ).rowcount
    uncertain = db.session.execute(
        sa.update(FollowUpMessage)
        .where(*stuck, FollowUpMessage.message_id.is_not(None))
        .values(state=DeliveryState.UNCERTAIN, error="the sender stopped while sending this one; not resent"),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return {"released": released, "uncertain": uncertain}


def followups_with_queued() -> list[int]:
    """Follow-ups with queued emails and none being sent: their delivery job was lost (or never ran)."""
    busy = sa.select(FollowUpMessage.followup_id).where(FollowUpMessage.state == DeliveryState.SENDING)
    return list(
        db.session.execute(
            sa.select(FollowUpMessage.followup_id)
            .where(FollowUpMessage.state == DeliveryState.QUEUED, FollowUpMessage.followup_id.not_in(busy))
            .distinct()
        ).scalars()
    )
