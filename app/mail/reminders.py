"""One reminder per invitation to those who have not answered, after the send's delay and before expiry.

Reminders stop by construction: a row is claimed only while it is sent, unanswered, unexpired, never
reminded, and its contact still consents; consent is checked again right before sending. A reminder has
its own state column and follows the same claim → send → mark rule as the invitation (at most once).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.mail.delivery import claim_rows, last_minute_skip, record_bounce
from app.mail.message import build_invitation
from app.mail.transport import PermanentMailError, TemporaryMailError, UncertainMailError, get_transport
from app.models import Contact, DeliveryState, Invitation, Send, SendStatus, utcnow


def claim_due_reminders(limit: int) -> list[int]:
    """Claim the invitations whose reminder is due now, across every running or finished send."""
    now = utcnow()
    sends = db.session.execute(
        sa.select(Send.id, Send.reminder_delay_days).where(
            Send.reminder_delay_days.is_not(None),
            Send.status.in_([SendStatus.SENDING, SendStatus.COMPLETED]),
            Send.expires_at > now,
        )
    ).all()
    claimed: list[int] = []
    for send_id, delay in sends:
        consenting = sa.select(Contact.id).where(
            Contact.unsubscribed_at.is_(None), Contact.bounced_at.is_(None)
        )
        where = [
            Invitation.send_id == send_id,
            Invitation.state == DeliveryState.SENT,
            Invitation.reminder_state.is_(None),
            Invitation.responded_at.is_(None),
            Invitation.sent_at <= now - timedelta(days=delay),
            Invitation.expires_at > now,
            Invitation.contact_id.in_(consenting),
        ]
        values = {"reminder_state": DeliveryState.SENDING, "reminder_claimed_at": now}
        claimed += [row_id for row_id, _ in claim_rows(where, limit - len(claimed), values)]
        if len(claimed) >= limit:
            break
    return claimed


def send_reminders(limit: int | None = None) -> dict[str, int]:
    """Deliver the due reminders (up to ``limit``) over one connection; returns outcome counts."""
    ids = claim_due_reminders(limit or current_app.config["MAIL_BATCH_SIZE"] * 10)
    counts: dict[str, int] = {}
    if not ids:
        return counts
    with get_transport() as transport:
        for invitation_id in ids:
            state = _remind(transport, invitation_id)
            counts[state] = counts.get(state, 0) + 1
    return counts


def _remind(transport, invitation_id: int) -> str:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.reminder_state != DeliveryState.SENDING:
        return "gone"
    answered = invitation.responded_at is not None
    if answered or last_minute_skip(invitation) or invitation.expires_at <= utcnow():
        invitation.reminder_state = DeliveryState.SKIPPED
        db.session.commit()
        return "skipped"
    state = _send(transport, invitation)
    invitation.reminder_state = state
    if state == DeliveryState.SENT:
        invitation.reminder_sent_at = utcnow()
    db.session.commit()
    return state.value


def _send(transport, invitation: Invitation) -> DeliveryState:
    try:
        transport.send(build_invitation(invitation, reminder=True), "reminder")
    except TemporaryMailError as exc:
        invitation.error = f"reminder: {exc}"[:500]
        return DeliveryState.FAILED  # a reminder is a courtesy: one try (with backoff) is enough
    except PermanentMailError as exc:
        invitation.error = f"reminder: {exc}"[:500]
        if exc.hard_bounce:
            record_bounce(invitation.contact)
            return DeliveryState.BOUNCED
        return DeliveryState.FAILED
    except UncertainMailError as exc:
        invitation.error = f"reminder: {exc}"[:500]
        return DeliveryState.UNCERTAIN
    return DeliveryState.SENT
