"""Consent and answers checked at the last moment, and the cut-offs of reminders and expiry, each tested
on both sides of the line (issue 20: these mutations used to pass the suite)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.mail.delivery import deliver_batch
from app.mail.reminders import claim_due_reminders
from app.mail.suppression import suppress
from app.models import DeliveryState, Invitation, OutboxMessage, SendStatus, utcnow
from app.tasks.mail import send_due_reminders
from tests.factories import make_invitation, make_send, make_survey


def _mails(kind: str) -> list[OutboxMessage]:
    return list(db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)).scalars())


def _queued(n: int = 2):
    survey = make_survey()
    send = make_send(survey, status=SendStatus.SENDING)
    invitations = [
        make_invitation(survey, send=send, state=DeliveryState.QUEUED, sent_at=None)[0] for _ in range(n)
    ]
    db.session.commit()
    return send, invitations


def _refreshed(inv: Invitation) -> Invitation:
    return db.session.execute(
        sa.select(Invitation).where(Invitation.id == inv.id).execution_options(populate_existing=True)
    ).scalar_one()


def test_an_address_suppressed_after_the_send_started_is_not_mailed(app):
    with app.app_context():
        send, (late, other) = _queued()
        suppress(late.contact.email.upper(), "complaint")  # lands while the send is already queued
        db.session.commit()
        counts = deliver_batch(send.id)
        assert counts == {"skipped": 1, "sent": 1}
        late, other = _refreshed(late), _refreshed(other)
        assert (late.state, late.skip_reason, late.message_id) == (DeliveryState.SKIPPED, "suppressed", None)
        assert other.state == DeliveryState.SENT
        assert [m.to_addr for m in _mails("invitation")] == [other.contact.email]


def _reminder_due(days_ago: float, delay: int = 3, **kw) -> Invitation:
    survey = make_survey()
    send = make_send(survey, reminder_delay_days=delay, status=SendStatus.COMPLETED)
    inv, _ = make_invitation(survey, send=send, sent_at=utcnow() - timedelta(days=days_ago), **kw)
    db.session.commit()
    return inv


def test_no_reminder_to_someone_who_answered_between_claim_and_send(app, monkeypatch):
    import app.mail.reminders as reminders

    with app.app_context():
        inv = _reminder_due(days_ago=4)
        original = reminders.claim_due_reminders

        def claim_then_answer(limit):
            ids = original(limit)
            inv.responded_at = utcnow()  # the answer arrives after the claim, before the send
            db.session.commit()
            return ids

        monkeypatch.setattr(reminders, "claim_due_reminders", claim_then_answer)
        assert send_due_reminders() == {"skipped": 1}
        inv = _refreshed(inv)
        assert inv.reminder_state == DeliveryState.SKIPPED and inv.reminder_sent_at is None
        assert _mails("reminder") == []


def test_the_reminder_is_due_exactly_at_the_delay_and_not_a_minute_before(app):
    with app.app_context():
        just_due = _reminder_due(days_ago=3 + 1 / 1440)  # the delay passed a minute ago
        not_yet = _reminder_due(days_ago=3 - 1 / 1440)  # a minute to go
        a_day_early = _reminder_due(days_ago=2.5)
        claimed = claim_due_reminders(100)
        assert claimed == [just_due.id]
        assert _refreshed(not_yet).reminder_state is None
        assert _refreshed(a_day_early).reminder_state is None


def test_the_reminder_delay_is_the_sends_own_setting(app):
    with app.app_context():
        one_day = _reminder_due(days_ago=1 + 1 / 1440, delay=1)
        five_days = _reminder_due(days_ago=4.9, delay=5)
        assert claim_due_reminders(100) == [one_day.id]
        assert _refreshed(five_days).reminder_state is None


def test_no_reminder_once_the_invitation_expired_and_one_just_before(app):
    with app.app_context():
        expired = _reminder_due(days_ago=4, expires_at=utcnow() - timedelta(seconds=1))
        still_open = _reminder_due(days_ago=4, expires_at=utcnow() + timedelta(minutes=5))
        assert claim_due_reminders(100) == [still_open.id]
        assert _refreshed(expired).reminder_state is None


def test_an_invitation_that_expired_between_claim_and_send_gets_no_reminder(app, monkeypatch):
    import app.mail.reminders as reminders

    with app.app_context():
        inv = _reminder_due(days_ago=4)
        original = reminders.claim_due_reminders

        def claim_then_expire(limit):
            ids = original(limit)
            inv.expires_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            return ids

        monkeypatch.setattr(reminders, "claim_due_reminders", claim_then_expire)
        assert send_due_reminders() == {"skipped": 1}
        assert _mails("reminder") == []
