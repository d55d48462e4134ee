"""Sessions and sign-in under attack (issue 17 §4–8): no open redirect, sign-out ends the session
server-side, a 12-hour absolute lifetime, the client address behind trusted proxies, and sign-in locks per
(account, IP address) with a much higher account-wide lock and an admin unlock."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
import time_machine
from flask import request

from app.access import public
from app.auth.routes import _safe_next
from app.extensions import db
from app.models import AuditEvent, LoginThrottle, User
from tests.conftest import TEST_PASSWORD
from tests.conftest import test_config as config_for
from tests.factories import make_user
from tests.helpers import text

WRONG = "wrong password here"


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\r\n/x",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\x00/x",
        "",
        None,
    ],
)
def test_next_never_leaves_the_site(app, target):
    with app.test_request_context():
        assert _safe_next(target) == "/"


def test_next_keeps_a_same_site_path(app):
    with app.test_request_context():
        assert _safe_next("/accounts?page=2") == "/accounts?page=2"


@pytest.mark.parametrize("query", ["next=/%09/evil.example", "next=/%0D%0A/x", "next=%2F%09%2Fevil.example"])
def test_sign_in_with_a_hostile_next_never_redirects_off_site(app, client, query):
    with app.app_context():
        email = make_user(password=TEST_PASSWORD).email
    resp = client.post(f"/login?{query}", data={"email": email, "password": TEST_PASSWORD}, csrf="session")
    assert resp.status_code in (302, 400)
    location = resp.headers.get("Location", "")
    assert "evil" not in location and not location.startswith("//")


def test_a_cookie_copied_before_sign_out_no_longer_opens_pages(app, login):
    browser = app.test_client()
    login(browser, "cs")
    copied = browser.get_cookie("session").value
    assert browser.get("/accounts").status_code == 200
    assert browser.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/accounts").status_code == 302  # sent to sign in


def test_a_session_ends_12_hours_after_sign_in_whatever_the_activity(app, admin_client):
    lifetime = app.permanent_session_lifetime.total_seconds()
    assert lifetime == 12 * 3600
    start = time.time()
    step = 50 * 60  # one request every 50 minutes: never idle
    at = start
    while at + step < start + lifetime:
        at += step
        with time_machine.travel(at, tick=False):
            assert admin_client.get("/").status_code == 200
    with time_machine.travel(start + lifetime + 60, tick=False):
        resp = admin_client.get("/accounts")
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
        assert "Your session reached its time limit" in text(admin_client.get(resp.headers["Location"]))
        assert admin_client.get("/").status_code == 302


def test_trusted_proxies_give_the_client_address_to_limits_and_audit(database_uri):
    from app import create_app

    for hops, expected in ((0, "10.0.0.1"), (1, "203.0.113.9")):
        proxied = create_app({**config_for(database_uri), "TRUSTED_PROXIES": hops})
        proxied.add_url_rule("/_whoami", "whoami", public(lambda: request.remote_addr))
        resp = proxied.test_client().get(
            "/_whoami",
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
        )
        assert resp.get_data(as_text=True) == expected


def _attempt(client, email: str, password: str, ip: str):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def test_failed_passwords_lock_one_address_not_the_owner(app, client):
    with app.app_context():
        email = make_user(role="admin", password=TEST_PASSWORD).email
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _attempt(client, email, WRONG, "198.51.100.7").status_code == 401
    locked = _attempt(client, email, TEST_PASSWORD, "198.51.100.7")
    assert locked.status_code == 401 and "locked" in text(locked)
    owner = _attempt(app.test_client(), email, TEST_PASSWORD, "192.0.2.1")
    assert owner.status_code == 302  # the admin still signs in from their own address


def test_the_account_wide_lock_needs_many_more_failures_and_an_admin_can_lift_it(
    app, client, admin_client, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 12)
    with app.app_context():
        user = make_user(role="pm", password=TEST_PASSWORD)
        email, user_id = user.email, user.id
    for n in range(12):  # spread over addresses, each under its own limit
        _attempt(client, email, WRONG, f"198.51.100.{n // 4 + 1}")
    resp = _attempt(app.test_client(), email, TEST_PASSWORD, "192.0.2.1")
    assert resp.status_code == 401 and "locked" in text(resp)
    page = admin_client.get("/admin/users")
    assert "Unlock sign-in" in text(page)
    assert admin_client.post(f"/admin/users/{user_id}/unlock").status_code == 303
    assert _attempt(app.test_client(), email, TEST_PASSWORD, "198.51.100.1").status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).failed_logins == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0
        assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "user.unlock"))


def test_only_admins_unlock(app, cs_client):
    with app.app_context():
        user_id = make_user(role="pm").id
    assert cs_client.post(f"/admin/users/{user_id}/unlock", csrf="session").status_code == 403
