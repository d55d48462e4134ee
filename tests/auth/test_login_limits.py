"""Limits on signing in: password spraying from one address is stopped while others still sign in, and an
idle session ends exactly after SESSION_IDLE_MINUTES (issue 20: removing the per-IP limit passed)."""

from __future__ import annotations

import time

import pytest
import time_machine

from tests.conftest import TEST_PASSWORD
from tests.factories import make_user

SPRAYER, COLLEAGUE = "203.0.113.66", "198.51.100.7"


@pytest.mark.committed  # a second app (own engine) must see the user
def test_password_spraying_from_one_address_is_stopped_but_not_other_addresses(app, database_uri):
    from app import create_app
    from app.extensions import db, limiter
    from tests.conftest import test_config

    with app.app_context():
        email = make_user(role="cs", password=TEST_PASSWORD).email
        db.session.commit()
    limited = create_app({**test_config(database_uri), "RATELIMIT_ENABLED": True})
    try:
        limiter.reset()
        client = limited.test_client()
        codes = []
        for n in range(100):  # a different account each time: no account lock is ever reached
            resp = client.post(
                "/login",
                data={"email": f"victim{n}@customer.example", "password": "Summer2026!"},
                environ_base={"REMOTE_ADDR": SPRAYER},
            )
            codes.append(resp.status_code)
            if resp.status_code == 429:
                break
        right = client.post(
            "/login", data={"email": email, "password": TEST_PASSWORD}, environ_base={"REMOTE_ADDR": SPRAYER}
        )
        other = limited.test_client().post(
            "/login",
            data={"email": email, "password": TEST_PASSWORD},
            environ_base={"REMOTE_ADDR": COLLEAGUE},
        )
    finally:
        limiter.reset()
        limiter.enabled = False
    assert codes[-1] == 429, "100 failed sign-ins from one address were all let through"
    assert set(codes[:-1]) == {401} and 5 <= len(codes) - 1 <= 50  # a limit, but not a hair trigger
    assert right.status_code == 429  # even the right password: the address is refused for a while
    assert other.status_code == 302  # a colleague elsewhere signs in as usual


def test_an_idle_session_lasts_exactly_the_idle_limit(app, login):
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    start = int(time.time())
    with time_machine.travel(start, tick=False):
        on_time, late = app.test_client(), app.test_client()
        login(on_time, "viewer")
        login(late, "viewer")
    with time_machine.travel(start + idle, tick=False):  # exactly the limit: still signed in
        assert on_time.get("/").status_code == 200
    with time_machine.travel(start + idle + 1, tick=False):  # one second more: signed out
        resp = late.get("/")
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    with time_machine.travel(start + 2 * idle, tick=False):  # the visit on time moved the window on
        assert on_time.get("/").status_code == 200
