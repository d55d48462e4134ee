"""Reminder edges the mutation run (docs/mutation.md) showed unguarded: a claimed reminder another worker
already settled, expiry at the very instant of sending, and the stored reason of each failure kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import app.mail.reminders as reminders
from app.extensions import db
from app.mail.transport import PermanentMailError, TemporaryMailError, UncertainMailError
from app.models import DeliveryState, Invitation, OutboxMessage, SendStatus, utcnow
from tests.factories import make_invitation, make_send, make_survey


def _due(**kw) -> Invitation:
    survey = make_survey()
    send = make_send(survey, reminder_delay_days=3, status=SendStatus.COMPLETED)
    inv, _ = make_invitation(survey, send=send, sent_at=utcnow() - timedelta(days=4), **kw)
    db.session.commit()
    return inv


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
