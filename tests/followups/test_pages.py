"""The follow-up pages through HTTP: the list and its filters, a follow-up's actions (with readable refusals
for bad input, never a 500), the reply to the respondent, rules with their preview, and the settings."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEvent,
    FollowUp,
    FollowUpEvent,
    FollowUpMessage,
    FollowUpRule,
    FollowUpState,
    Role,
    Setting,
)
from app.workspace_settings import get_setting
from tests.factories import make_contact, make_response, make_topic, make_user
from tests.followups.conftest import answer, followups, mails
from tests.helpers import text


def _open(app, score=2, comment=None, **contact_kw) -> int:
    with app.app_context():
        make_user(Role.ADMIN)
        answer(score, comment, contact=make_contact(**contact_kw))
        return followups()[-1].id


def test_list_shows_open_followups_and_filters(app, cs_client):
    fid = _open(app, comment="Invoices are wrong again", name="Dana Diaz")
    page = cs_client.get("/followups")
    assert page.status_code == 200 and "Dana Diaz" in text(page) and "Invoices are wrong again" in text(page)
    assert f"/followups/{fid}" in page.get_data(as_text=True)
    assert "Dana Diaz" not in text(cs_client.get("/followups?state=resolved"))
    assert "Dana Diaz" not in text(cs_client.get("/followups?owner=me"))
    for bad in ("?state=<script>", "?owner=1%27--", "?owner=99999999999", "?page=-3"):
        assert cs_client.get("/followups" + bad).status_code in (200, 404)


def test_contact_then_resolve_then_reopen_records_every_change(app, cs_client):
    fid = _open(app)
    with app.app_context():
        topic_id = make_topic("Billing").id
        db.session.commit()
    cs_client.get(f"/followups/{fid}")  # the page with the forms, as a browser opens it
    resp = cs_client.post(f"/followups/{fid}/contacted", data={"channel": "call", "note": "Left a voicemail"})
    assert resp.status_code == 302
    resp = cs_client.post(f"/followups/{fid}/resolve", data={"code": "fixed", "note": "", "loop": "inner"})
    assert resp.status_code == 422 and "A resolution note is required." in text(resp)
    resp = cs_client.post(
        f"/followups/{fid}/resolve", data={"code": "fixed", "note": "Refunded", "loop": "outer"}
    )
    assert resp.status_code == 422 and "root-cause topic" in text(resp)
    data = {
        "code": "bug_logged",
        "note": "Refunded; bug filed",
        "loop": "outer",
        "root_topic_id": str(topic_id),
    }
    assert cs_client.post(f"/followups/{fid}/resolve", data=data).status_code == 302
    again = cs_client.post(f"/followups/{fid}/resolve", data=data, csrf="session")  # a stale tab
    assert again.status_code == 422 and "already resolved" in text(again)
    assert (
        cs_client.post(
            f"/followups/{fid}/reopen", data={"note": "They wrote back"}, page=f"/followups/{fid}"
        ).status_code
        == 302
    )
    with app.app_context():
        followup = db.session.get(FollowUp, fid)
        assert followup.state == FollowUpState.REOPENED and followup.reopen_count == 1
        assert (followup.loop, followup.root_topic_id, followup.resolution_code) == (
            "outer",
            topic_id,
            "bug_logged",
        )
        moves = [(e.from_value, e.to_value) for e in followup.events if e.kind == "state"]
        assert moves == [("open", "contacted"), ("contacted", "resolved"), ("resolved", "reopened")]
    page = text(cs_client.get(f"/followups/{fid}"))
    assert "reopened" in page and "They wrote back" in page and "Refunded; bug filed" in page


def test_bad_actions_are_refused_with_a_message(app, cs_client):
    fid = _open(app)
    assert cs_client.post(f"/followups/{fid}/explode", csrf="session").status_code == 404
    assert cs_client.post("/followups/999999/note", data={"note": "x"}, csrf="session").status_code == 404
    cs_client.get(f"/followups/{fid}")
    bad = cs_client.post(f"/followups/{fid}/assign", data={"assignee_id": "abc"})
    assert bad.status_code == 422 and "not valid" in text(bad)
    viewer = cs_client.post(f"/followups/{fid}/assign", data={"assignee_id": str(_viewer_id(app))})
    assert viewer.status_code == 422 and "active CS members and admins" in text(viewer)
    assert cs_client.post(f"/followups/{fid}/contacted", data={"channel": "pigeon"}).status_code == 422
    assert cs_client.post(f"/followups/{fid}/note", data={"note": "   "}).status_code == 422
    assert cs_client.post(f"/followups/{fid}/note", data={"note": "x" * 5001}).status_code == 422
    assert cs_client.post(f"/followups/{fid}/reopen", data={"note": "no"}, csrf="session").status_code == 422
    with app.app_context():
        kinds = list(
            db.session.execute(
                sa.select(FollowUpEvent.kind).where(FollowUpEvent.followup_id == fid)
            ).scalars()
        )
        assert kinds == ["opened"]  # nothing half-written


def _viewer_id(app) -> int:
    with app.app_context():
        return make_user(Role.VIEWER).id


def test_reassigning_emails_the_new_owner(app, cs_client):
    fid = _open(app)
    with app.app_context():
        other = make_user(Role.CS, email="otto@clearloop.example")
        other_id = other.id
    assert (
        cs_client.post(
            f"/followups/{fid}/assign", data={"assignee_id": str(other_id)}, page=f"/followups/{fid}"
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(FollowUp, fid).assignee_id == other_id
        assert [m.to_addr for m in mails()][-1] == "otto@clearloop.example"


def test_reply_to_the_respondent_is_emailed_once_and_counts_as_contact(app, cs_client):
    fid = _open(app, email="dana@customer.example")
    cs_client.get(f"/followups/{fid}")
    resp = cs_client.post(
        f"/followups/{fid}/reply",
        data={"subject": "Sorry about the invoices", "body": "Hi Dana,\n\n<b>We fixed it</b>.\n\nCleo"},
    )
    assert resp.status_code == 302
    with app.app_context():
        [reply] = [m for m in mails() if m.to_addr == "dana@customer.example"]
        assert "Sorry about the invoices" in reply.subject
        assert "&lt;b&gt;We fixed it&lt;/b&gt;" in reply.raw and "Reply-To:" in reply.raw
        assert "Auto-Submitted" not in reply.raw
        followup = db.session.get(FollowUp, fid)
        assert followup.state == FollowUpState.CONTACTED and followup.contacted_at is not None
    assert cs_client.post(f"/followups/{fid}/reply", data={"body": ""}).status_code == 422


def test_no_reply_to_an_unsubscribed_respondent(app, cs_client):
    from app.models import utcnow

    fid = _open(app, unsubscribed_at=utcnow())
    resp = cs_client.post(f"/followups/{fid}/reply", data={"body": "Hello"}, page=f"/followups/{fid}")
    assert resp.status_code == 422 and "unsubscribed" in text(resp)
    with app.app_context():
        assert (
            db.session.execute(
                sa.select(sa.func.count()).select_from(FollowUpMessage).where(FollowUpMessage.kind == "reply")
            ).scalar()
            == 0
        )


def test_viewers_read_but_cannot_act(app, login):
    fid = _open(app)
    client = app.test_client()
    login(client, "viewer")
    page = client.get(f"/followups/{fid}")
    assert page.status_code == 200 and "Mark contacted" not in text(page)
    assert client.post(f"/followups/{fid}/note", data={"note": "hi"}, csrf="session").status_code == 403


def test_rules_page_previews_each_rule_on_the_last_30_days(app, admin_client):
    with app.app_context():
        for score in (1, 2, 3):
            make_response(score=score, contact_id=make_contact().id)
        contact = make_contact()
        make_response(score=0, contact_id=contact.id)
        make_response(score=4, contact_id=contact.id)  # same contact: one follow-up
        make_response(score=9)
        db.session.commit()
    page = text(admin_client.get("/followups/rules"))
    assert "Detractors" in page and "would have opened 4 follow-ups (5 answers)" in page


def test_a_rule_without_conditions_is_refused(app, admin_client):
    resp = admin_client.post("/followups/rules/new", data={"name": "Everything", "do": "save"})
    assert resp.status_code == 422 and "at least one condition" in text(resp)
    with app.app_context():
        assert (
            db.session.execute(sa.select(FollowUpRule).where(FollowUpRule.name == "Everything")).first()
            is None
        )


def test_preview_counts_without_saving_and_save_audits(app, admin_client):
    with app.app_context():
        survey_id = make_response(score=2).survey_id
        make_response(score=5)
        db.session.commit()
    data = {"name": "Big unhappy", "bands": ["detractor"], "survey_ids": [str(survey_id)], "position": "5"}
    preview = admin_client.post("/followups/rules/new", data={**data, "do": "preview"})
    assert preview.status_code == 200 and "would have opened 1 follow-up, from 1 matching answer" in text(
        preview
    )
    with app.app_context():
        assert (
            db.session.execute(sa.select(FollowUpRule).where(FollowUpRule.name == "Big unhappy")).first()
            is None
        )
    assert admin_client.post("/followups/rules/new", data={**data, "do": "save"}).status_code == 302
    dup = admin_client.post("/followups/rules/new", data={**data, "name": "big UNHAPPY", "do": "save"})
    assert dup.status_code == 422 and "already called" in text(dup)
    bad = admin_client.post("/followups/rules/new", data={**data, "bands": ["nonsense"], "do": "save"})
    assert bad.status_code == 422
    with app.app_context():
        rule = db.session.execute(
            sa.select(FollowUpRule).where(FollowUpRule.name == "Big unhappy")
        ).scalar_one()
        assert rule.conditions == {"bands": ["detractor"], "survey_ids": [survey_id]}
        assert db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "followup_rule.save")
        ).first()
        rule_id = rule.id
    edit = admin_client.get(f"/followups/rules/{rule_id}")
    assert edit.status_code == 200 and "Big unhappy" in text(edit)
    assert admin_client.post(f"/followups/rules/{rule_id}/delete", page="/followups/rules").status_code == 302
    assert admin_client.get(f"/followups/rules/{rule_id}").status_code == 404


def test_settings_validate_and_save(app, admin_client):
    assert admin_client.get("/followups/settings").status_code == 200
    good = {
        "sla_days": "3",
        "holiday_country": "DE",
        "day_start_hour": "8",
        "default_owner": "0",
        "admin_days": "2",
    }
    assert admin_client.post("/followups/settings", data=good).status_code == 302
    with app.app_context():
        assert (
            get_setting("followup_holiday_country") == "DE" and get_setting("followup_sla_business_days") == 3
        )
    for bad in (
        {"holiday_country": "XX"},
        {"sla_days": "0"},
        {"sla_days": "abc"},
        {"day_start_hour": "25"},
        {"default_owner": "424242"},
    ):
        resp = admin_client.post("/followups/settings", data={**good, **bad})
        assert resp.status_code == 422, bad
    with app.app_context():
        assert db.session.get(Setting, "followup_sla_business_days").value == 3


def test_metrics_page_renders_empty_and_full(app, cs_client):
    assert cs_client.get("/followups/metrics").status_code == 200
    _open(app)
    page = cs_client.get("/followups/metrics?days=30")
    assert page.status_code == 200 and "Time to first contact" in text(page)
    assert cs_client.get("/followups/metrics?days=abc").status_code == 200
