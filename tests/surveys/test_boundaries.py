"""The survey quarantine and the invitation expiry, each tested on both sides of its cut-off (issue 20: a
quarantine one day short used to pass the suite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Invitation, utcnow
from app.surveys.sending import create_send
from app.surveys.tokens import is_expired
from app.workspace_settings import set_settings
from tests.factories import make_contact, make_invitation, make_survey

MINUTE = timedelta(minutes=1)


def _outcome(contact_id: int, send_id: int) -> str:
    inv = db.session.execute(
        sa.select(Invitation).where(Invitation.send_id == send_id, Invitation.contact_id == contact_id)
    ).scalar_one()
    return inv.skip_reason or "mailed"


@pytest.mark.parametrize(
    ("days", "surveyed_ago", "expected"),
    [
        (7, timedelta(days=7) - MINUTE, "quarantined"),  # a minute inside the quarantine
        (7, timedelta(days=6, hours=12), "quarantined"),  # one day short of it must still hold
        (7, timedelta(days=7) + MINUTE, "mailed"),  # a minute past it
        (7, timedelta(days=10), "mailed"),
        (30, timedelta(days=29, hours=23), "quarantined"),
        (30, timedelta(days=30, hours=1), "mailed"),
        (0, timedelta(minutes=5), "mailed"),  # 0 switches the quarantine off
    ],
)
def test_the_quarantine_holds_up_to_its_cut_off_and_not_beyond(app, days, surveyed_ago, expected):
    with app.app_context():
        set_settings({"quarantine_days": days})
        contact = make_contact(last_surveyed_at=utcnow() - surveyed_ago)
        db.session.commit()
        send = create_send(make_survey(), {"type": "emails", "emails": [contact.email]})
        assert _outcome(contact.id, send.id) == expected


def test_the_default_quarantine_is_ninety_days(app):
    with app.app_context():
        inside = make_contact(last_surveyed_at=utcnow() - timedelta(days=89, hours=23))
        outside = make_contact(last_surveyed_at=utcnow() - timedelta(days=90, hours=1))
        db.session.commit()
        send = create_send(make_survey(), {"type": "emails", "emails": [inside.email, outside.email]})
        assert (_outcome(inside.id, send.id), _outcome(outside.id, send.id)) == ("quarantined", "mailed")


def test_an_invitation_expires_at_its_time_not_before(app):
    with app.app_context():
        about_to, just_gone = (
            make_invitation(expires_at=utcnow() + MINUTE)[0],
            make_invitation(expires_at=utcnow() - timedelta(seconds=1))[0],
        )
        assert is_expired(about_to) is False
        assert is_expired(just_gone) is True


def test_a_send_sets_expiry_from_its_own_days(app):
    with app.app_context():
        contact = make_contact()
        db.session.commit()
        before = utcnow()
        send = create_send(make_survey(), {"type": "emails", "emails": [contact.email]}, expiry_days=3)
        expected = before + timedelta(days=3)
        assert abs((send.expires_at - expected).total_seconds()) < 60
