"""Surveys, sends, topics, metrics, unsubscribes, bounces and tombstones through the API."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.mail.suppression import is_suppressed
from app.models import Invitation, OutboxMessage, Tombstone, utcnow
from tests.factories import make_account, make_contact, make_response, make_survey, make_topic


def test_surveys_and_topics(app, admin_api):
    with app.app_context():
        survey = make_survey("nps", name="Quarterly NPS")
        make_topic("Onboarding")
        db.session.commit()
        sid = survey.id
    assert admin_api.get(f"/surveys/{sid}").json["name"] == "Quarterly NPS"
    assert sid in [s["id"] for s in admin_api.get("/surveys").json["items"]]
    assert admin_api.get("/surveys/999999").status_code == 404
    assert "Onboarding" in [t["name"] for t in admin_api.get("/topics").json["items"]]


def test_a_send_emails_invitations_once_through_the_mail_path(app, api_client):
    api = api_client("admin", "read", "send")
    with app.app_context():
        survey = make_survey("nps")
        make_contact(email="invitee@x.example")
        db.session.commit()
        sid = survey.id
    made = api.post(
        "/sends", json={"survey_id": sid, "audience": {"type": "emails", "emails": ["invitee@x.example"]}}
    )
    assert made.status_code == 201, made.json
    with app.app_context():
        sent = db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.to_addr == "invitee@x.example")
        ).all()
        assert len(sent) == 1
        assert db.session.execute(sa.select(sa.func.count(Invitation.id))).scalar_one() >= 1
    assert api.get(f"/sends/{made.json['id']}").json["survey_id"] == sid
    bad = api.post("/sends", json={"survey_id": sid, "audience": {"type": "nobody"}})
    assert bad.status_code == 422 and bad.json["detail"]
    assert (
        api_client("cs", "read", "write")
        .post("/sends", json={"survey_id": sid, "audience": {"type": "all"}})
        .status_code
        == 403
    )


def test_metrics_by_bucket_and_segment_with_intervals(app, admin_api):
    with app.app_context():
        survey = make_survey("nps")
        big = make_account(tier="enterprise")
        small = make_account(tier="smb")
        now = utcnow()
        for i, score in enumerate([10, 10, 9, 3, 8]):
            make_response(survey, score=score, account_id=big.id, created_at=now - timedelta(hours=i))
        make_response(survey, score=0, account_id=small.id, created_at=now)
        db.session.commit()
    resp = admin_api.get("/metrics", query_string={"kind": "nps", "bucket": "month"})
    assert resp.status_code == 200, resp.json
    rows = resp.json["rows"]
    total_n = sum(r["n"] for r in rows)
    assert total_n >= 6
    by_tier = admin_api.get(
        "/metrics", query_string={"kind": "nps", "bucket": "month", "segment": "tier"}
    ).json["rows"]
    enterprise = [r for r in by_tier if r["segment"] == "enterprise"]
    assert sum(r["n"] for r in enterprise) == 5
    if len(enterprise) == 1:
        row = enterprise[0]
        assert row["value"] == 40.0 and row["low"] < 40 < row["high"] and row["flagged"] is True
    assert (
        admin_api.get(
            "/metrics", query_string={"kind": "nps", "start": "2026-02-01", "end": "2026-01-01"}
        ).status_code
        == 422
    )
    assert admin_api.get("/metrics", query_string={"kind": "mood"}).status_code == 422
    assert admin_api.get("/metrics").status_code == 422


def test_unsubscribes_and_bounces(app, admin_api):
    with app.app_context():
        c = make_contact(email="leaving@x.example")
        b = make_contact(email="bouncy@x.example", bounced_at=utcnow())
        db.session.commit()
        cid, bid = c.id, b.id
    resp = admin_api.post("/unsubscribes", json={"email": "Leaving@x.example"})
    assert resp.status_code == 200 and resp.json["contact_id"] == cid
    with app.app_context():
        assert is_suppressed("leaving@x.example")
    assert cid in [u["contact_id"] for u in admin_api.get("/unsubscribes").json["items"]]
    assert bid in [u["contact_id"] for u in admin_api.get("/bounces").json["items"]]
    assert admin_api.post("/unsubscribes", json={"email": "ghost@x.example"}).status_code == 404
    assert admin_api.post("/unsubscribes", json={}).status_code == 422


def test_tombstones_page_oldest_first(app, admin_api):
    with app.app_context():
        for i in range(3):
            db.session.add(Tombstone(resource="contact", object_id=1000 + i, reason="erased"))
        db.session.commit()
    first = admin_api.get("/tombstones", query_string={"limit": 2}).json
    rest = admin_api.get("/tombstones", query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    ids = [t["object_id"] for t in first["items"] + rest["items"]]
    assert ids[-3:] == [1000, 1001, 1002]
