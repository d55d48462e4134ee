"""The admin pages and API calls for webhook endpoints."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import DeliveryStatus, EndpointState, WebhookDelivery, WebhookEndpoint
from app.webhooks import services as webhooks


def test_admin_adds_an_endpoint_sees_attempts_and_replays(app, admin_client, loopback_allowed, receiver):
    page = admin_client.get("/settings/webhooks/")
    assert page.status_code == 200 and "response.created" in page.get_data(as_text=True)
    refused = admin_client.post("/settings/webhooks/", data={"url": "http://10.0.0.1/x"})
    assert refused.status_code == 422 and "public addresses" in refused.get_data(as_text=True)
    made = admin_client.post("/settings/webhooks/", data={"url": receiver.url, "events": ["digest.sent"]})
    assert made.status_code == 302
    with app.app_context():
        ep = db.session.execute(sa.select(WebhookEndpoint)).scalar_one()
        eid, secret = ep.id, ep.secret
        webhooks.emit("digest.sent", {"id": 5})
        db.session.commit()
        webhooks.sweep()
        did = db.session.execute(sa.select(WebhookDelivery.id)).scalar_one()
    detail = admin_client.get(f"/settings/webhooks/{eid}").get_data(as_text=True)
    assert secret in detail and "digest.sent" in detail and "204" in detail
    assert admin_client.post(f"/settings/webhooks/{eid}/deliveries/{did}/replay").status_code == 302
    with app.app_context():
        assert db.session.get(WebhookDelivery, did).status == DeliveryStatus.PENDING
    assert admin_client.post(f"/settings/webhooks/{eid}/pause").status_code == 302
    with app.app_context():
        assert db.session.get(WebhookEndpoint, eid).state == EndpointState.PAUSED
    assert admin_client.post(f"/settings/webhooks/{eid}/resume").status_code == 302
    assert admin_client.post(f"/settings/webhooks/{eid}/rotate").status_code == 302
    with app.app_context():
        ep = db.session.get(WebhookEndpoint, eid)
        assert ep.state == EndpointState.ACTIVE and ep.previous_secret == secret and ep.secret != secret
    assert admin_client.post(f"/settings/webhooks/{eid}/explode", csrf="session").status_code == 404
    assert (
        admin_client.post(f"/settings/webhooks/{eid}/delete", page=f"/settings/webhooks/{eid}").status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(WebhookEndpoint, eid) is None
    assert admin_client.get(f"/settings/webhooks/{eid}").status_code == 404
