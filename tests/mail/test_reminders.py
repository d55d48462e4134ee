"""One reminder to those who have not answered, after the delay; none after an answer, an unsubscribe,
or expiry; never two."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import DeliveryState, OutboxMessage, Response, SendStatus, utcnow
from app.tasks.mail import send_due_reminders
from tests.factories import make_contact, make_invitation, make_send, make_survey


def _invitation(days_ago: float = 4, delay: int | None = 3, **kw):
    survey = make_survey()
    send = make_send(survey, reminder_delay_days=delay, status=SendStatus.COMPLETED)
    inv, _ = make_invitation(survey, send=send, sent_at=utcnow() - timedelta(days=days_ago), **kw)
    db.session.commit()
    return inv


def _reminders() -> list[OutboxMessage]:
    return list(
        db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "reminder")).scalars()
    )


def test_one_reminder_after_the_delay_and_only_one(app):
    with app.app_context():
        due = _invitation(days_ago=4)
        early = _invitation(days_ago=1)
        assert send_due_reminders() == {"sent": 1}
        assert send_due_reminders() == {}
        db.session.refresh(due)
        db.session.refresh(early)
        assert due.reminder_state == DeliveryState.SENT and due.reminder_sent_at is not None
        assert early.reminder_state is None
        [mail] = _reminders()
        assert mail.to_addr == due.contact.email and mail.subject.startswith("Reminder: ")
        assert "A quick reminder" in mail.raw


def test_no_reminder_to_those_who_answered_unsubscribed_or_whose_invitation_expired(app):
    with app.app_context():
        answered = _invitation()
        answered.responded_at = utcnow()
        db.session.add(
            Response(
                survey_id=answered.survey_id, kind=answered.survey.kind, score=9, invitation_id=answered.id
            )
        )
        unsubscribed = _invitation(contact=make_contact(unsubscribed_at=utcnow()))
        expired = _invitation(expires_at=utcnow() - timedelta(minutes=1))
        no_reminder = _invitation(delay=None)
        db.session.commit()
        assert send_due_reminders() == {}
        assert _reminders() == []
        for inv in (answered, unsubscribed, expired, no_reminder):
            db.session.refresh(inv)
            assert inv.reminder_state is None


def test_consent_is_checked_again_right_before_the_reminder(app, monkeypatch):
    import app.mail.reminders as reminders

    with app.app_context():
        inv = _invitation()
        original = reminders.claim_due_reminders

        def claim_then_unsubscribe(limit):
            ids = original(limit)
            inv.contact.unsubscribed_at = utcnow()  # the contact unsubscribes between claim and send
            db.session.commit()
            return ids

        monkeypatch.setattr(reminders, "claim_due_reminders", claim_then_unsubscribe)
        assert send_due_reminders() == {"skipped": 1}
        db.session.refresh(inv)
        assert inv.reminder_state == DeliveryState.SKIPPED and _reminders() == []
