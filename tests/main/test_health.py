"""The health check: public, says whether the database and Redis answer."""

from __future__ import annotations

import redis


def test_healthz_is_public_and_reports_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_says_when_redis_is_down(app, client, monkeypatch):
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.extensions, "clearloop.redis", dead)
    resp = client.get("/healthz")
    # the app still serves answers without Redis (the sweeper catches up), so it stays 200
    assert resp.status_code == 200
    assert resp.get_json()["redis"] == "down"
