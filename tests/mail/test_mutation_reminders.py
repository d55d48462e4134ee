"""Reminder edges the mutation run (docs/mutation.md) showed unguarded: which sends and contacts are
claimed, each cut-off at its exact instant, the claim limit across sends and the default batch, a claimed
reminder another worker already settled, expiry at the very instant of sending, and the stored reason of
each failure kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import app.mail.reminders as reminders
from app.extensions import db
from app.mail.transport import PermanentMailError, TemporaryMailError, UncertainMailError
from app.models import DeliveryState, Invitation, OutboxMessage, SendStatus, utcnow
from tests.factories import make_invitation, make_send, make_survey


def _due(n: int = 1, send_kw: dict | None = None, **kw) -> Invitation:
    survey = make_survey()
    send_kw = {"reminder_delay_days": 3, "status": SendStatus.COMPLETED, **(send_kw or {})}
    send = make_send(survey, **send_kw)
    kw.setdefault("sent_at", utcnow() - timedelta(days=4))
    invs = [make_invitation(survey, send=send, **kw)[0] for _ in range(n)]
    db.session.commit()
    return invs[0] if n == 1 else invs


def _reminders() -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == "reminder")
    return list(db.session.execute(query).scalars())


def _fresh(inv: Invitation) -> Invitation:
    db.session.expire_all()
    return db.session.get(Invitation, inv.id)


@pytest.mark.parametrize("settled", [DeliveryState.SENT, DeliveryState.SKIPPED, None])
def test_a_reminder_settled_by_another_worker_is_gone_and_not_sent_again(app, monkeypatch, settled):
    with app.app_context():
        inv = _due(reminder_state=settled)
        monkeypatch.setattr(reminders, "claim_due_reminders", lambda limit: [inv.id])  # a stale claim
        assert reminders.send_reminders() == {"gone": 1}
        assert _reminders() == []
        assert _fresh(inv).reminder_state == settled


def test_no_reminder_at_the_very_instant_the_invitation_expires(app, monkeypatch):
    with app.app_context():
        inv = _due()
        (claimed,) = reminders.claim_due_reminders(10)
        expires_at = _fresh(inv).expires_at
        monkeypatch.setattr(reminders, "utcnow", lambda: expires_at)
        monkeypatch.setattr(reminders, "claim_due_reminders", lambda limit: [claimed])
        assert reminders.send_reminders() == {"skipped": 1}
        assert _reminders() == []


class _Refusing:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, msg, kind: str) -> None:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "state"),
    [
        (TemporaryMailError("4.2.2 mailbox full " + "x" * 600, 452), "failed"),
        (PermanentMailError("5.7.1 refused " + "x" * 600, 554), "failed"),
        (UncertainMailError("connection lost after DATA " + "x" * 600), "uncertain"),
    ],
)
def test_a_failed_reminder_keeps_its_reason_cut_at_500_characters(app, monkeypatch, exc, state):
    with app.app_context():
        inv = _due()
        monkeypatch.setattr(reminders, "get_transport", lambda: _Refusing(exc))
        assert reminders.send_reminders() == {state: 1}
        inv = _fresh(inv)
        assert inv.reminder_state == DeliveryState(state) and inv.reminder_sent_at is None
        assert inv.error == f"reminder: {exc}"[:500] and len(inv.error) == 500


@pytest.mark.parametrize("status", [SendStatus.SCHEDULED, SendStatus.CANCELLED])
def test_no_reminders_for_a_cancelled_or_not_started_send(app, status):
    with app.app_context():
        _due(send_kw={"status": status})
        running = _due(send_kw={"status": SendStatus.SENDING})
        assert reminders.claim_due_reminders(10) == [running.id]


def test_a_send_past_its_own_expiry_gets_no_reminders_even_if_invitations_run_later(app):
    with app.app_context():
        _due(send_kw={"expires_at": utcnow() - timedelta(minutes=1)})
        assert reminders.claim_due_reminders(10) == []


def test_a_bounced_or_unsubscribed_contact_is_not_even_claimed(app):
    with app.app_context():
        bounced, unsubscribed, fine = _due(), _due(), _due()
        bounced.contact.bounced_at = utcnow()
        unsubscribed.contact.unsubscribed_at = utcnow()
        db.session.commit()
        assert reminders.claim_due_reminders(10) == [fine.id]
        assert _fresh(bounced).reminder_state is None and _fresh(unsubscribed).reminder_state is None


def test_each_cut_off_at_its_exact_instant(app, monkeypatch):
    """Due at exactly the delay; not once the invitation or the send expires at this very instant."""
    with app.app_context():
        now = utcnow()
        monkeypatch.setattr(reminders, "utcnow", lambda: now)
        due = _due(sent_at=now - timedelta(days=3))
        _due(sent_at=now - timedelta(days=3) + timedelta(microseconds=1))  # a microsecond short
        _due(expires_at=now)
        _due(send_kw={"expires_at": now})
        assert reminders.claim_due_reminders(10) == [due.id]


def test_the_claim_stops_at_its_limit_within_and_across_sends(app):
    with app.app_context():
        first = _due()
        second = _due(n=3)
        assert reminders.claim_due_reminders(2) == [first.id, second[0].id]
        assert reminders.claim_due_reminders(1) == [second[1].id]
        assert reminders.claim_due_reminders(5) == [second[2].id]


def test_one_run_sends_at_most_ten_batches_of_reminders(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 1)
    with app.app_context():
        _due(n=11)
        assert reminders.send_reminders() == {"sent": 10}
        assert len(_reminders()) == 10
        assert reminders.send_reminders() == {"sent": 1}
