"""Issue 12: the send page's pager, past schedules, sends that reach nobody, the quarantine override."""

from __future__ import annotations

from datetime import UTC, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.mail.suppression import suppress
from app.models import AuditEvent, Send, utcnow
from app.surveys.sending import preview_audience
from app.workspace_settings import set_settings
from tests.factories import make_contact, make_invitation, make_send, make_survey
from tests.helpers import text


def test_a_send_with_more_than_one_page_of_invitations_pages(app, admin_client):
    with app.app_context():
        survey = make_survey("nps")
        send = make_send(survey)
        for _ in range(55):
            make_invitation(survey, make_contact(), send=send)
        db.session.commit()
        send_id = send.id
    resp = admin_client.get(f"/sends/{send_id}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert f'href="/sends/{send_id}?page=2"' in page
    second = admin_client.get(f"/sends/{send_id}?page=2")
    assert second.status_code == 200 and "Page 2 of 2" in second.get_data(as_text=True)


def _send(client, survey_id: int, **data):
    form = {"audience": "all", "when": "now", "expiry_days": "30", "send": "Send", **data}
    return client.post(f"/surveys/{survey_id}/send", data=form)


def test_a_schedule_in_the_past_is_refused_next_to_the_field(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        make_contact()
        db.session.commit()
    resp = _send(admin_client, survey_id, when="later", scheduled_at="2020-01-01T10:00")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'id="scheduled_at-err"' in page and "That time is in the past" in page
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Send)).scalar() == 0
    # a minute of clock skew is not "the past": it is sent at once
    just_now = (utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    assert _send(admin_client, survey_id, when="later", scheduled_at=just_now).status_code == 303


def test_the_schedule_is_read_in_the_workspace_time_zone(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        make_contact()
        set_settings({"timezone": "Europe/Berlin"})
        db.session.commit()
    page = text(admin_client.get(f"/surveys/{survey_id}/send"))
    assert "Time in Europe/Berlin" in page
    resp = _send(admin_client, survey_id, when="later", scheduled_at="2099-01-10T10:00")
    assert resp.status_code == 303
    with app.app_context():
        send = db.session.execute(sa.select(Send)).scalar_one()
        assert send.scheduled_at.astimezone(UTC).strftime("%H:%M") == "09:00"  # CET is UTC+1
    detail = text(admin_client.get(resp.headers["Location"]))
    assert "10 Jan 2099 10:00 CET" in detail
    assert "When (CET)" in text(admin_client.get("/sends")) or "When (CEST)" in text(
        admin_client.get("/sends")
    )


def test_a_send_that_reaches_nobody_is_refused_with_the_reasons(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        for _ in range(3):
            make_contact(last_surveyed_at=utcnow() - timedelta(days=10))
        db.session.commit()
    resp = _send(admin_client, survey_id)
    assert resp.status_code == 422
    page = text(resp)
    assert "No one would receive this survey: all 3 are within the 90-day quarantine." in page
    assert "override the quarantine" in page
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Send)).scalar() == 0


def test_an_admin_may_override_the_quarantine_for_one_send_audited_and_shown(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        recent = make_contact(last_surveyed_at=utcnow() - timedelta(days=10))
        gone = make_contact(unsubscribed_at=utcnow())
        db.session.commit()
        recent_id, gone_id = recent.id, gone.id
    check = text(_send(admin_client, survey_id, send=None, check="Check", ignore_quarantine="y"))
    assert "1 of 2 contacts would receive the survey now (quarantine overridden)" in check
    resp = _send(admin_client, survey_id, ignore_quarantine="y")
    assert resp.status_code == 303, text(resp)
    with app.app_context():
        send = db.session.execute(sa.select(Send)).scalar_one()
        assert send.ignore_quarantine is True
        states = {i.contact_id: (i.state.value, i.skip_reason) for i in send.invitations}
        assert states == {recent_id: ("sent", None), gone_id: ("skipped", "unsubscribed")}
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "send.quarantine_override")
        ).scalar_one()
        assert event.target_id == str(send.id) or event.target_id == send.id
    assert "Quarantine overridden for this send" in text(admin_client.get(resp.headers["Location"]))
    # the next send, without the override, keeps the quarantine
    assert _send(admin_client, survey_id).status_code == 422


def test_an_unsubscribed_contact_is_reported_as_unsubscribed_not_suppressed(app):
    with app.app_context():
        contact = make_contact(unsubscribed_at=utcnow())
        bounced = make_contact(bounced_at=utcnow(), bounce_count=1)
        suppress(contact.email, "unsubscribe")
        suppress(bounced.email, "bounce")
        db.session.commit()
        check = preview_audience({"type": "all"})
        assert check.skipped == {"unsubscribed": 1, "bounced": 1}


def test_one_unknown_address_is_worded_in_the_singular(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        known = make_contact().email
        db.session.commit()
    page = text(
        _send(
            admin_client,
            survey_id,
            audience="emails",
            emails=f"{known}\nnobody@else.example",
            send=None,
            check="1",
        )
    )
    assert "1 address is not a contact" in page and "addresses are not contacts" not in page


def test_tier_labels_match_the_rest_of_the_product(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        db.session.commit()
    page = admin_client.get(f"/surveys/{survey_id}/send").get_data(as_text=True)
    assert ">SMB<" in page and ">Mid-market<" in page and "Mid Market" not in page and ">Smb<" not in page


def test_production_refuses_a_send_until_the_company_name_is_set(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        make_contact()
        db.session.commit()
    app.config["ENV_NAME"] = "production"
    try:
        resp = _send(admin_client, survey_id)
        assert resp.status_code == 422
        page = resp.get_data(as_text=True)
        assert "Set your company name in Settings" in page and 'href="/settings"' in page
        with app.app_context():
            set_settings({"company_name": "Acme Analytics"})
            db.session.commit()
        assert _send(admin_client, survey_id).status_code == 303
    finally:
        app.config["ENV_NAME"] = "development"
