"""Follow-up emails, at most once each (RELIABILITY 6, as invitations, digests and alerts).

A ``FollowUpMessage`` row is added in the transaction that decides the email (opening, escalation, a
reply); ``mail.MailOutbox`` delivers it: claim queued rows atomically → commit the deterministic
Message-ID (the in-flight mark) → send → commit the result. A retried job only claims ``queued`` rows; a
killed one leaves ``sending`` rows that the sweeper gives back (no Message-ID: nothing went out) or marks
``uncertain`` (never resent).
A reply to a customer is checked against the suppression list right before it goes.
"""

from __future__ import annotations

import html
import logging
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from flask import current_app

from app.extensions import db
from app.mail import services as mail
from app.mail.queries import is_suppressed
from app.models import FollowUpMessage

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


OUTBOX = mail.MailOutbox(FollowUpMessage, MAX_ATTEMPTS)


def deliver(followup_id: int) -> dict[str, int]:
    """Send every queued email of a follow-up over one connection; returns outcome counts."""
    claimed = OUTBOX.claim(FollowUpMessage.followup_id == followup_id)
    return OUTBOX.deliver(claimed, KIND, build_message, skip=_suppressed_reply)


def _suppressed_reply(row: FollowUpMessage) -> str | None:
    """A reply to a customer is checked against the suppression list right before it goes."""
    if row.kind == "reply" and is_suppressed(row.to_email):
        return "the address is suppressed (unsubscribed or bounced)"
    return None


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


def recover_stuck() -> dict[str, int]:
    """Rows a crashed sender left ``sending``: never in flight → ``queued``; in flight → ``uncertain``."""
    return OUTBOX.recover_stuck()


def followups_with_queued() -> list[int]:
    """Follow-ups with queued emails and none being sent: their delivery job was lost (or never ran)."""
    return OUTBOX.parents_with_queued(FollowUpMessage.followup_id)
