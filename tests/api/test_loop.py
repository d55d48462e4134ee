"""Follow-ups and account health through the API; follow-up webhooks."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    FollowUp,
    FollowUpState,
    HealthBand,
    HealthSnapshot,
    WebhookEndpoint,
    WebhookMessage,
    utcnow,
)
from tests.factories import make_account, make_contact, make_response, make_survey


def _followup(app, **kw) -> int:
    with app.app_context():
        contact = make_contact()
        response = make_response(
            make_survey("nps"), score=2, contact_id=contact.id, account_id=contact.account_id
        )
        fu = FollowUp(
            response_id=response.id,
            contact_id=contact.id,
            account_id=contact.account_id,
            reason="detractor",
            **{"due_at": utcnow() + timedelta(days=2), **kw},
        )
        db.session.add(fu)
        db.session.commit()
        return fu.id


def test_list_filter_and_get_followups(app, admin_api):
    open_id = _followup(app)
    late_id = _followup(app, due_at=utcnow() - timedelta(days=1))
    done_id = _followup(app, state=FollowUpState.RESOLVED)
    listed = {f["id"] for f in admin_api.get("/followups", query_string={"state": "open"}).json["items"]}
    assert {open_id, late_id} <= listed and done_id not in listed
    overdue = {f["id"] for f in admin_api.get("/followups", query_string={"state": "overdue"}).json["items"]}
    assert late_id in overdue and open_id not in overdue
    assert admin_api.get(f"/followups/{done_id}").json["state"] == "resolved"
    assert admin_api.get("/followups/999999").status_code == 404
    assert admin_api.get("/followups", query_string={"state": "lost"}).status_code == 422


def test_act_on_a_followup_and_its_webhooks(app, admin_api, api_client):
    fid = _followup(app)
    with app.app_context():
        db.session.add(WebhookEndpoint(url="https://hooks.example.com/x", secret="whsec_" + "A" * 32))
        db.session.commit()
    contacted = admin_api.post(f"/followups/{fid}/actions", json={"action": "contacted", "channel": "call"})
    assert contacted.status_code == 200 and contacted.json["state"] == "contacted"
    refused = admin_api.post(f"/followups/{fid}/actions", json={"action": "resolve", "code": "fixed"})
    assert refused.status_code == 422 and refused.json["detail"]
    resolved = admin_api.post(
        f"/followups/{fid}/actions",
        json={"action": "resolve", "code": "fixed", "note": "Patched their export", "loop": "inner"},
    )
    assert resolved.status_code == 200 and resolved.json["state"] == "resolved"
    with app.app_context():
        events = db.session.execute(sa.select(WebhookMessage.event_type)).scalars().all()
        assert "followup.resolved" in events
    assert (
        admin_api.post("/followups/999999/actions", json={"action": "note", "note": "x"}).status_code == 404
    )
    assert (
        api_client("viewer", "read").post(f"/followups/{fid}/actions", json={"action": "note"}).status_code
        == 403
    )


def test_account_health_and_history(app, admin_api):
    with app.app_context():
        account = make_account()
        bands = list(HealthBand)
        for i in range(3):
            db.session.add(
                HealthSnapshot(
                    account_id=account.id,
                    as_of=date(2026, 11, 1) + timedelta(days=7 * i),
                    score=50 + i,
                    band=bands[i % len(bands)],
                    drivers={"nps": -10 + i},
                )
            )
        empty = make_account()
        db.session.commit()
        aid, eid = account.id, empty.id
    body = admin_api.get(f"/accounts/{aid}/health").json
    assert body["latest"]["score"] == 52 and [h["score"] for h in body["history"]] == [52, 51, 50]
    assert admin_api.get(f"/accounts/{eid}/health").json == {"account_id": eid, "latest": None, "history": []}
    assert admin_api.get("/accounts/999999/health").status_code == 404
