"""Sends: audiences, who is skipped and why (consent and fatigue), scheduling, starting exactly once,
cancelling, and the sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.mail.suppression import suppress
from app.models import DeliveryState, Invitation, Lifecycle, OutboxMessage, Send, SendStatus, Tier, utcnow
from app.surveys.audience import AudienceError, emails_from_csv, validate
from app.surveys.sending import cancel_send, create_send, launch_send, preview_audience
from app.tasks.mail import sweep_sends
from app.workspace_settings import set_settings
from tests.factories import make_account, make_contact, make_survey


def _invitations(send_id: int) -> dict[int, Invitation]:
    rows = db.session.execute(sa.select(Invitation).where(Invitation.send_id == send_id)).scalars()
    return {inv.contact_id: inv for inv in rows}


def test_consent_and_fatigue_skip_contacts_with_the_reason(app):
    with app.app_context():
        account = make_account()
        fine = make_contact(account)
        unsubscribed = make_contact(account, unsubscribed_at=utcnow())
        bounced = make_contact(account, bounced_at=utcnow(), bounce_count=1)
        recent = make_contact(account, last_surveyed_at=utcnow() - timedelta(days=10))
        long_ago = make_contact(account, last_surveyed_at=utcnow() - timedelta(days=120))
        suppressed = make_contact(account)
        suppress(suppressed.email, "complaint")
        db.session.commit()
        spec = {"type": "accounts", "ids": [account.id]}
        check = preview_audience(spec)
        assert (check.total, check.to_send) == (6, 2)
        assert check.skipped == {"unsubscribed": 1, "bounced": 1, "quarantined": 1, "suppressed": 1}
        send = create_send(make_survey(), spec)
        rows = _invitations(send.id)
        assert {
            c.id: (rows[c.id].state.value, rows[c.id].skip_reason)
            for c in (fine, long_ago, unsubscribed, bounced, recent, suppressed)
        } == {
            fine.id: ("sent", None),
            long_ago.id: ("sent", None),
            unsubscribed.id: ("skipped", "unsubscribed"),
            bounced.id: ("skipped", "bounced"),
            recent.id: ("skipped", "quarantined"),
            suppressed.id: ("skipped", "suppressed"),
        }
        assert db.session.get(Send, send.id).status == SendStatus.COMPLETED
        db.session.refresh(fine)
        assert fine.last_surveyed_at is not None
        # The same people a moment later: the two just surveyed are now in quarantine.
        again = create_send(make_survey(), spec)
        assert {i.skip_reason for i in _invitations(again.id).values()} == {
            "quarantined",
            "unsubscribed",
            "bounced",
            "suppressed",
        }


@pytest.mark.parametrize(("days", "expected"), [(7, "mailed"), (14, "quarantined")])
def test_quarantine_follows_the_workspace_setting(app, days, expected):
    with app.app_context():
        contact = make_contact(last_surveyed_at=utcnow() - timedelta(days=10))
        set_settings({"quarantine_days": days})
        db.session.commit()
        send = create_send(make_survey(), {"type": "emails", "emails": [contact.email]})
        invitation = _invitations(send.id)[contact.id]
        assert (invitation.skip_reason or "mailed") == expected


def test_audiences_by_tier_plan_lifecycle_accounts_and_email_list(app):
    with app.app_context():
        ent = make_account(tier=Tier.ENTERPRISE, plan="Scale", lifecycle_stage=Lifecycle.RENEWAL)
        smb = make_account(tier=Tier.SMB, plan="Starter", lifecycle_stage=Lifecycle.ONBOARDING)
        a, b = make_contact(ent), make_contact(smb)
        db.session.commit()
        cases = {
            "tier": ({"type": "tier", "values": ["enterprise"]}, {a.id}),
            "plan": ({"type": "plan", "values": ["Starter"]}, {b.id}),
            "lifecycle": ({"type": "lifecycle", "values": ["renewal", "onboarding"]}, {a.id, b.id}),
            "accounts": ({"type": "accounts", "ids": [smb.id]}, {b.id}),
            "emails": ({"type": "emails", "emails": [a.email, "nobody@else.example"]}, {a.id}),
        }
        for name, (spec, expected) in cases.items():
            set_settings({"quarantine_days": 0})
            send = create_send(make_survey(), spec)
            assert set(_invitations(send.id)) == expected, name
        emails_send = db.session.get(Send, send.id)
        assert emails_send.audience["unknown_count"] == 1


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"type": "everyone"},
        {"type": "tier", "values": ["galactic"]},
        {"type": "accounts", "ids": ["x"]},
        {"type": "emails", "emails": ["not-an-email"]},
        {"type": "plan", "values": []},
    ],
)
def test_bad_audiences_are_refused_with_a_reason(spec):
    with pytest.raises(AudienceError):
        validate(spec)


def test_emails_are_read_from_any_column_of_a_csv():
    text = 'name,email\n"Pat, Jr.",PAT@example.com\nSam,sam@example.com;\n,=cmd|calc\n,pat@example.com\n'
    assert emails_from_csv(text) == ["pat@example.com"]
    assert emails_from_csv("a@b.example\nc@d.example") == ["a@b.example", "c@d.example"]


def test_a_scheduled_send_starts_when_due_and_only_once(app):
    with app.app_context():
        contact = make_contact()
        db.session.commit()
        send = create_send(make_survey(), {"type": "all"}, scheduled_at=utcnow() + timedelta(hours=2))
        assert send.status == SendStatus.SCHEDULED and _invitations(send.id) == {}
        assert sweep_sends()["started"] == 0 and _invitations(send.id) == {}
        send.scheduled_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        sweep_sends()
        assert _invitations(send.id)[contact.id].state == DeliveryState.SENT
        assert launch_send(send.id) == 0  # a duplicate start job does nothing
        assert len(_invitations(send.id)) == 1
        outbox = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.to_addr == contact.email))
        assert len(outbox.scalars().all()) == 1


def test_cancelling_a_scheduled_send(app):
    with app.app_context():
        make_contact()
        db.session.commit()
        send = create_send(make_survey(), {"type": "all"}, scheduled_at=utcnow() + timedelta(days=1))
        cancel_send(send)
        send.scheduled_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        sweep_sends()
        assert db.session.get(Send, send.id).status == SendStatus.CANCELLED and _invitations(send.id) == {}


def test_an_archived_survey_cannot_be_sent(app):
    from app.models import SurveyStatus
    from app.surveys.sending import SendError

    with app.app_context(), pytest.raises(SendError):
        create_send(make_survey(status=SurveyStatus.ARCHIVED), {"type": "all"})
