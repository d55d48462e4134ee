"""Webhook endpoints through the API (the webhooks scope)."""

from __future__ import annotations


def test_the_api_manages_endpoints(app, admin_api, api_client, loopback_allowed, receiver):
    made = admin_api.post("/webhooks", json={"url": receiver.url, "events": ["response.created"]})
    assert made.status_code == 201 and made.json["secret"].startswith("whsec_")
    listed = admin_api.get("/webhooks").json["items"]
    assert [e["url"] for e in listed] == [receiver.url] and "secret" not in listed[0]
    assert admin_api.post("/webhooks", json={"url": "http://192.168.0.1/"}).status_code == 422
    assert admin_api.post("/webhooks", json={"url": receiver.url, "events": ["nope"]}).status_code == 422
    assert api_client("cs").get("/webhooks").status_code == 403
    assert admin_api._open("DELETE", f"/webhooks/{made.json['id']}").status_code == 204
    assert admin_api._open("DELETE", f"/webhooks/{made.json['id']}").status_code == 404
