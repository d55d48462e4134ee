"""Opening follow-ups from the answer path: default rules (detractors, negative comments, churn risk),
one open follow-up per contact (new matches join it), reopening, assignment, and the assignee's email."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.followups import services
from app.models import (
    FollowUpEvent,
    FollowUpRule,
    FollowUpState,
    ResponseIntent,
    Role,
    followup_responses,
    utcnow,
)
from app.workspace_settings import set_settings
from tests.factories import make_contact, make_response, make_user
from tests.followups.conftest import answer, csm_account, followups, mails


def test_a_detractor_opens_one_assigned_to_the_csm_who_is_emailed(admin):
    account, csm = csm_account(name="Beacon Energy")
    response = answer(3, contact=make_contact(account=account, name="Dana Diaz"))
    [followup] = followups()
    assert (followup.response_id, followup.assignee_id, followup.reason) == (
        response.id,
        csm.id,
        "Detractors",
    )
    assert followup.state == FollowUpState.OPEN and followup.due_at > response.created_at
    assert services.state_for_response(response).state == FollowUpState.OPEN
    [mail] = mails()
    assert mail.to_addr == csm.email and "Dana Diaz (Beacon Energy)" in mail.subject
    assert f"/followups/{followup.id}" in mail.raw
    assert [e.kind for e in followup.events] == ["opened"]


def test_passives_and_promoters_without_a_negative_comment_open_nothing(admin):
    answer(8)
    answer(10, "Great product, thanks")
    assert followups() == [] and mails() == []


def test_a_negative_comment_opens_one_whatever_the_score(admin):
    answer(9, "The billing page is broken and support never answers. Terrible, awful experience.")
    [followup] = followups()
    assert followup.reason == "Negative comment"


def test_without_a_csm_the_default_owner_then_the_first_admin(admin):
    answer(2)
    assert followups()[0].assignee_id == admin.id
    owner = make_user(Role.CS)
    set_settings({"followup_default_owner_id": owner.id})
    db.session.commit()
    answer(1)
    assert followups()[1].assignee_id == owner.id
    viewer = make_user(Role.VIEWER)  # a viewer cannot own follow-ups: the setting falls back to the admin
    set_settings({"followup_default_owner_id": viewer.id})
    db.session.commit()
    answer(0)
    assert followups()[2].assignee_id == admin.id


def test_one_open_followup_per_contact_new_answers_join_it(admin):
    contact = make_contact()
    first = answer(2, contact=contact)
    second = answer(4, contact=contact)
    [followup] = followups()
    linked = db.session.execute(
        sa.select(followup_responses.c.response_id).where(followup_responses.c.followup_id == followup.id)
    ).scalars()
    assert sorted(linked) == [first.id, second.id]
    assert [e.kind for e in followup.events] == ["opened", "attached"]
    assert len(mails()) == 1  # joining does not email again
    assert services.state_for_response(second).followup_id == followup.id


def test_running_the_rules_again_changes_nothing(admin):
    response = answer(2)
    assert services.apply_rules([response.id]) == {"opened": 0, "attached": 0, "reopened": 0}
    assert len(followups()) == 1 and len(mails()) == 1


def test_a_new_detractor_answer_soon_after_resolution_reopens_it(admin):
    contact = make_contact()
    answer(2, contact=contact)
    [followup] = followups()
    services.run_action("resolve", followup.id, admin, {"code": "fixed", "note": "Refunded", "loop": "inner"})
    answer(3, contact=contact)
    db.session.refresh(followup)
    assert followup.state == FollowUpState.REOPENED and followup.reopen_count == 1
    assert len(followups()) == 1 and len(mails()) == 2
    followup.resolved_at = utcnow() - timedelta(days=30)
    followup.state = FollowUpState.RESOLVED
    db.session.commit()
    answer(1, contact=contact)  # long after: a new follow-up
    assert len(followups()) == 2


def test_churn_risk_intent_opens_once_analysed(admin):
    response = make_response(score=8, comment="We are evaluating other vendors")
    response.analysis_state = "done"
    db.session.add(ResponseIntent(response_id=response.id, label="churn_risk", score=0.9))
    db.session.commit()
    services.apply_rules([response.id])
    assert followups()[0].reason == "Churn risk"


def test_rules_that_read_the_analysis_wait_for_it(admin):
    response = make_response(score=8, comment="meh")  # pending analysis
    response.sentiment_label = "negative"
    db.session.commit()
    assert services.apply_rules([response.id])["opened"] == 0
    response.analysis_state = "done"
    db.session.commit()
    assert services.apply_rules([response.id])["opened"] == 1


def test_disabled_rules_do_not_run_and_rules_run_in_order(admin):
    services.ensure_default_rules()
    detractors = db.session.execute(
        sa.select(FollowUpRule).where(FollowUpRule.name == "Detractors")
    ).scalar_one()
    detractors.enabled = False
    db.session.commit()
    answer(2)
    assert followups() == []


def test_the_sweeper_places_answers_a_lost_job_missed(admin, monkeypatch):
    monkeypatch.setattr(services, "enqueue_rules", lambda ids: False)
    response = make_response(score=1, analysis_state="skipped")
    db.session.commit()
    assert followups() == []
    result = services.sweep()
    assert result["opened"] == 1 and followups()[0].response_id == response.id
    assert db.session.execute(sa.select(sa.func.count()).select_from(FollowUpEvent)).scalar() == 1


def test_old_answers_open_nothing_unless_backfilled_on_purpose(admin, app):
    old = make_response(score=1, analysis_state="skipped", created_at=utcnow() - timedelta(days=40))
    db.session.commit()
    assert services.apply_rules([old.id])["opened"] == 0  # an imported history opens nothing by itself
    result = app.test_cli_runner().invoke(args=["followups", "apply", "--days", "60"])
    assert result.exit_code == 0 and "1 opened" in result.output
    [followup] = followups()
    assert followup.created_at == old.created_at and mails() == []  # a backfill emails nobody
    assert app.test_cli_runner().invoke(args=["followups", "apply", "--days", "0"]).exit_code != 0


def test_demo_followups_are_worked_through(admin):
    contact = make_contact()
    for days_ago in range(3, 40, 3):
        make_response(score=2, analysis_state="skipped", created_at=utcnow() - timedelta(days=days_ago))
    make_response(
        score=3, contact_id=contact.id, analysis_state="skipped", created_at=utcnow() - timedelta(days=1)
    )
    db.session.commit()
    result = services.seed_demo(60)
    assert result["total"] == 14 and 0 < result["resolved"] < 14
    resolved = [f for f in followups() if f.resolved_at]
    assert all(f.created_at < f.contacted_at <= f.resolved_at for f in resolved)
    assert mails() == []
