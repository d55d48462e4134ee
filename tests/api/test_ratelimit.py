"""The API's rate limit: a budget per token across the API, 429 with Retry-After past it, the RateLimit
fields on every answer, callers without a valid token limited per address, documented in the spec, and
a store outage never fails a request (RELIABILITY 12)."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
import time_machine

from app.api import ratelimit
from app.extensions import db
from app.models import Contact, IdempotencyKey


@pytest.fixture
def limited(app, monkeypatch):
    """The API limited to 3 requests a minute, counted in memory from zero."""
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "memory://")
    ratelimit.reset(app)
    yield app
    ratelimit.reset(app)


def _field(resp, name: str) -> dict[str, int]:
    """The parameters of a RateLimit / RateLimit-Policy field, e.g. {"r": 2, "t": 57}."""
    value = resp.headers[name]
    assert value.startswith('"api";'), value
    return {k: int(v) for k, v in re.findall(r";(\w+)=(\d+)", value)}


def test_a_token_gets_its_budget_then_429_with_retry_after(limited, api_client):
    api = api_client("viewer", "read")
    with time_machine.travel(time.time(), tick=False):
        answers = [api.get("/contacts") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    for resp in answers:
        assert _field(resp, "RateLimit-Policy") == {"q": 3, "w": 60}
        assert resp.headers["RateLimit-Limit"] == "3"
        assert 0 < int(resp.headers["RateLimit-Reset"]) <= 60
        assert _field(resp, "RateLimit")["t"] == int(resp.headers["RateLimit-Reset"])
    refused = answers[-1]
    assert refused.content_type == "application/problem+json"
    assert refused.json["status"] == 429 and "retry after" in refused.json["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert int(refused.headers["Retry-After"]) == max(1, int(refused.headers["RateLimit-Reset"]))
    assert _field(refused, "RateLimit")["r"] == 0


def test_the_budget_is_per_token_and_comes_back_with_the_next_window(limited, api_client):
    first, second = api_client("viewer", "read"), api_client("viewer", "read")
    start = time.time()
    with time_machine.travel(start, tick=False):
        assert [first.get("/topics").status_code for _ in range(4)][-1] == 429
        assert first.get("/contacts").status_code == 429  # one budget across every resource
        assert second.get("/contacts").status_code == 200  # another token is not affected
    with time_machine.travel(start + 61, tick=False):
        again = first.get("/contacts")
    assert again.status_code == 200 and again.headers["RateLimit-Remaining"] == "2"


def test_requests_without_a_valid_token_are_limited_per_address(limited, client, api_client):
    api = api_client("viewer", "read")
    wrong = {"Authorization": "Bearer clp_" + "x" * 43}
    with time_machine.travel(time.time(), tick=False):
        guesser = {"REMOTE_ADDR": "203.0.113.9"}
        guesses = [client.get("/api/v1/contacts", headers=wrong, environ_base=guesser) for _ in range(5)]
        other_address = client.get("/api/v1/contacts", environ_base={"REMOTE_ADDR": "198.51.100.4"})
        with_token = api.get("/contacts", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert [r.status_code for r in guesses] == [401, 401, 401, 429, 429]
    assert other_address.status_code == 401
    assert with_token.status_code == 200  # a valid token counts against its own budget


def test_a_refused_post_runs_nothing_and_claims_no_idempotency_key(limited, admin_api):
    def count(model) -> int:
        with limited.app_context():
            return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()

    start, key = time.time(), {"Idempotency-Key": "rl-1"}
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            admin_api.get("/contacts")
        contacts, keys = count(Contact), count(IdempotencyKey)
        refused = admin_api.post("/contacts", json={"email": "rl@x.example"}, headers=key)
    assert refused.status_code == 429
    assert (count(Contact), count(IdempotencyKey)) == (contacts, keys)
    with time_machine.travel(start + 61, tick=False):
        done = admin_api.post("/contacts", json={"email": "rl@x.example"}, headers=key)
    assert done.status_code == 201 and "Idempotent-Replayed" not in done.headers


def test_docs_and_the_spec_are_not_counted(limited, client):
    codes = {client.get("/api/v1/openapi.json").status_code for _ in range(5)}
    assert codes == {200}


def test_an_unreachable_store_counts_in_memory_and_never_fails_a_request(limited, monkeypatch, api_client):
    monkeypatch.setitem(limited.config, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")
    ratelimit.reset(limited)
    api = api_client("viewer", "read")
    with time_machine.travel(time.time(), tick=False):
        codes = [api.get("/contacts").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_off_when_rate_limits_are_off(app, api_client):
    api = api_client("viewer", "read")
    resp = api.get("/contacts")
    assert resp.status_code == 200 and "RateLimit" not in resp.headers


def test_the_spec_documents_the_limit_on_every_operation(client):
    spec = client.get("/api/v1/openapi.json").json
    assert set(spec["components"]["headers"]) >= {"RateLimit", "RateLimit-Policy", "Retry-After"}
    operations = [op for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert len(operations) >= 30
    for op in operations:
        too_many = op["responses"]["429"]
        assert "Retry-After" in too_many["headers"] and "RateLimit" in too_many["headers"]
        assert "application/problem+json" in too_many["content"]
        for code, response in op["responses"].items():
            if code.startswith("2"):
                assert "RateLimit-Policy" in response["headers"], (op["operationId"], code)
    assert "300 per minute" in spec["info"]["description"]
