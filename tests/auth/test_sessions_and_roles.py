"""Idle sessions end, a signed-in visit to /login goes home, and admins cannot lock themselves out."""

from __future__ import annotations

import time

import time_machine

from app.extensions import db
from app.models import User
from tests.helpers import text


def test_an_idle_session_ends_and_asks_to_sign_in_again(app, admin_client):
    assert admin_client.get("/").status_code == 200
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with time_machine.travel(time.time() + idle + 5, tick=False):  # cookies are signed at that time
        resp = admin_client.get("/accounts")
        assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/accounts"
        page = admin_client.get(resp.headers["Location"])
        assert "You were signed out after a period of inactivity." in text(page)
        assert admin_client.get("/").status_code == 302  # the session really ended


def test_activity_keeps_a_session_alive(app, admin_client):
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    start = time.time()
    for step in (1, 2, 3):  # each visit within the idle window moves it on
        with time_machine.travel(start + step * (idle - 60), tick=False):
            assert admin_client.get("/").status_code == 200


def test_login_page_when_signed_in_and_an_empty_form(admin_client, client):
    assert admin_client.get("/login").headers["Location"] == "/"
    resp = client.post("/login", data={})
    assert resp.status_code == 400 and "This field is required." in text(resp)


def test_an_admin_cannot_drop_their_own_admin_role(app, admin_client):
    me = admin_client.user_id
    resp = admin_client.post(
        f"/admin/users/{me}/role", data={"role": "viewer"}, page="/admin/users", follow_redirects=True
    )
    assert "You cannot remove your own admin role; ask another admin." in text(resp)
    bad = admin_client.post(
        f"/admin/users/{me}/role", data={"role": "owner"}, page="/admin/users", follow_redirects=True
    )
    assert "Choose a valid role." in text(bad)
    with app.app_context():
        assert db.session.get(User, me).role.value == "admin"
    token = admin_client.csrf_token("/admin/users")  # no form posts to an unknown user: hand-built
    assert (
        admin_client.post("/admin/users/999999/role", data={"role": "pm", "csrf_token": token}).status_code
        == 404
    )


def test_signing_oneself_out_everywhere_ends_this_session_too(admin_client):
    resp = admin_client.post(f"/admin/users/{admin_client.user_id}/sessions", page="/admin/users")
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert admin_client.get("/").status_code == 302
