"""SSRF: private, loopback, link-local and reserved targets are refused at creation and at delivery."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import WebhookAttempt, WebhookDelivery
from app.webhooks import services as webhooks
from app.webhooks.targets import TargetError, resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://[::1]/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://[fe80::1]/hook",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "javascript:alert(1)",
        "https:///nohost",
        "https://example.com:99999/x",
        "",
    ],
)
def test_refused_at_creation(app, url):
    with app.app_context(), pytest.raises(TargetError):
        webhooks.create_endpoint(url, [], "", None)


def test_public_addresses_pass(app, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    with app.app_context():
        target = resolve("https://hooks.example.com/in?x=1")
    assert (target.ip, target.port, target.path, target.host) == (
        "93.184.215.14",
        443,
        "/in?x=1",
        "hooks.example.com",
    )


def test_a_name_that_resolves_to_any_private_address_is_refused(app, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443)), (2, 1, 6, "", ("10.1.2.3", 443))],
    )
    with app.app_context(), pytest.raises(TargetError, match=r"10\.1\.2\.3"):
        resolve("https://mixed.example.com/")


def test_dns_rebinding_is_caught_at_delivery(app, monkeypatch):
    public = [(2, 1, 6, "", ("93.184.215.14", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: public)
    with app.app_context():
        endpoint = webhooks.create_endpoint("https://rebind.example.com/hook", [], "", None)
        webhooks.emit("digest.sent", {"id": 1})
        db.session.commit()
        public[:] = [(2, 1, 6, "", ("127.0.0.1", 443))]  # the name now points inside
        webhooks.sweep()
        attempt = db.session.execute(
            sa.select(WebhookAttempt).join(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        ).scalar_one()
        assert attempt.status_code is None and "127.0.0.1" in attempt.error


def test_loopback_is_allowed_only_by_the_test_setting(app):
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = True
    try:
        with app.app_context():
            assert resolve("http://127.0.0.1:9/x").ip == "127.0.0.1"
            with pytest.raises(TargetError):
                resolve("http://10.0.0.1/x")  # private stays refused
    finally:
        app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
