"""Escalation once per step (the assignee, then the admins), and follow-up emails at most once: a retried
job sends nothing twice, a crash in flight leaves the email uncertain (never resent), suppressed respondents
get no reply."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.followups import delivery, services
from app.followups.sla import Calendar
from app.models import DeliveryState, FollowUp, FollowUpMessage, Role, utcnow
from app.workspace_settings import set_settings
from tests.factories import make_contact, make_user
from tests.followups.conftest import answer, csm_account, followups, mails


def _overdue(hours: float = 1) -> FollowUp:
    account, _csm = csm_account()
    answer(2, contact=make_contact(account=account))
    followup = followups()[-1]
    followup.due_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
    return followup


def test_overdue_tells_the_assignee_once_then_the_admins_once(admin):
    other_admin = make_user(Role.ADMIN)
    followup = _overdue()
    assert services.escalate_overdue()["step1"] == 1
    assert services.escalate_overdue()["step1"] == 0  # a second run (or a second scheduler) does nothing
    db.session.refresh(followup)
    assert followup.escalation_level == 1
    overdue_mails = [m for m in mails() if m.subject.startswith("Overdue follow-up")]
    assert [m.to_addr for m in overdue_mails] == [followup.assignee.email]
    # Step 2 waits for followup_admin_escalation_days business days past due (default 1).
    assert services.escalate_overdue()["step2"] == 0
    later = utcnow() + timedelta(days=5)
    assert services.escalate_overdue(now=later)["step2"] == 1
    assert services.escalate_overdue(now=later)["step2"] == 0
    escalated = sorted(m.to_addr for m in mails() if m.subject.startswith("Escalated"))
    assert escalated == sorted([admin.email, other_admin.email])
    assert [e.to_value for e in followup.events if e.kind == "escalated"] == ["1", "2"]


def test_resolved_or_not_yet_due_followups_do_not_escalate(admin):
    followup = _overdue(hours=-5)  # due in 5 hours
    assert services.escalate_overdue()["step1"] == 0
    followup.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    services.run_action("resolve", followup.id, admin, {"code": "fixed", "note": "done", "loop": "inner"})
    assert services.escalate_overdue()["step1"] == 0


def test_reopening_starts_escalation_over(admin):
    followup = _overdue()
    services.escalate_overdue()
    services.run_action("resolve", followup.id, admin, {"code": "fixed", "note": "done", "loop": "inner"})
    services.run_action("reopen", followup.id, admin, {"note": "not fixed"})
    db.session.refresh(followup)
    assert followup.escalation_level == 0 and followup.due_at > utcnow()
    followup.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert services.escalate_overdue()["step1"] == 1
    assert len([m for m in mails() if m.subject.startswith("Overdue")]) == 2


def test_an_unassigned_overdue_followup_goes_straight_to_the_admins(admin):
    followup = _overdue()
    followup.assignee_id = None
    db.session.commit()
    services.escalate_overdue()
    assert [m.to_addr for m in mails() if m.subject.startswith("Escalated")] == [admin.email]


def test_a_retried_delivery_sends_nothing_twice(admin):
    answer(1)
    followup = followups()[0]
    assert len(mails()) == 1
    assert services.deliver_messages(followup.id) == {}  # nothing queued any more
    assert len(mails()) == 1


def test_a_crash_in_flight_leaves_the_email_uncertain_never_resent(admin, monkeypatch, ctx):
    monkeypatch.setattr(services, "enqueue_delivery", lambda ids: None)  # the job is "lost"
    answer(1)
    [row] = db.session.execute(sa.select(FollowUpMessage)).scalars().all()
    # A sender claimed it and set its Message-ID (in flight), then died before recording the result.
    row.state, row.attempts, row.claimed_at = DeliveryState.SENDING, 1, utcnow() - timedelta(hours=2)
    row.message_id = "<in-flight@x>"
    db.session.commit()
    services.sweep()
    db.session.refresh(row)
    assert row.state == DeliveryState.UNCERTAIN
    assert delivery.deliver(row.followup_id) == {} and mails() == []


def test_a_claimed_but_unsent_email_is_given_back_and_sent_once(admin, monkeypatch, ctx):
    monkeypatch.setattr(services, "enqueue_delivery", lambda ids: None)
    answer(1)
    [row] = db.session.execute(sa.select(FollowUpMessage)).scalars().all()
    row.state, row.attempts, row.claimed_at = DeliveryState.SENDING, 1, utcnow() - timedelta(hours=2)
    db.session.commit()
    services.sweep()
    assert delivery.deliver(row.followup_id) == {"sent": 1}
    assert delivery.deliver(row.followup_id) == {}
    assert len(mails()) == 1


def test_a_reply_to_an_address_suppressed_after_queueing_is_skipped(admin, monkeypatch, ctx):
    from app.mail import services as mail

    monkeypatch.setattr(services, "enqueue_delivery", lambda ids: None)
    contact = make_contact(email="gone@customer.example")
    answer(1, contact=contact)
    followup = followups()[0]
    delivery.deliver(followup.id)  # the assignee's alert
    services.run_action("reply", followup.id, admin, {"body": "Hello"})
    mail.suppress("gone@customer.example", "complaint")
    db.session.commit()
    assert delivery.deliver(followup.id) == {"skipped": 1}
    assert [m.to_addr for m in mails()] == [admin.email]


def test_settings_change_the_due_time(admin):
    set_settings({"followup_sla_business_days": 5})
    db.session.commit()
    response = answer(2)
    followup = followups()[0]
    assert followup.due_at == Calendar(ZoneInfo("UTC")).add_business_days(response.created_at, 5)
    assert followup.due_at - response.created_at >= timedelta(days=4)
