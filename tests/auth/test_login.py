"""Signing in and out, throttling, sessions that really end, the password policy, and the CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.passwords import password_problem
from app.extensions import db
from app.models import AuditEvent, LoginThrottle, User
from tests.conftest import TEST_PASSWORD
from tests.factories import make_user


def test_sign_in_and_out(app, client):
    with app.app_context():
        user = make_user(role="cs", password=TEST_PASSWORD)
        email = user.email
    resp = client.post("/login", data={"email": email.upper(), "password": TEST_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_gives_the_same_message_as_an_unknown_email(app, client):
    with app.app_context():
        email = make_user().email
    wrong = client.post("/login", data={"email": email, "password": "not the password at all"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "whatever it is"})
    assert wrong.status_code == unknown.status_code == 401
    assert b"Email or password is not right." in wrong.data
    assert b"Email or password is not right." in unknown.data


def test_next_only_goes_to_same_site_paths(app, client):
    with app.app_context():
        email = make_user(password=TEST_PASSWORD).email
    resp = client.post("/login?next=//evil.example/x", data={"email": email, "password": TEST_PASSWORD})
    assert resp.headers["Location"] == "/"


def test_account_locks_after_repeated_failures(app, client):
    with app.app_context():
        email = make_user(password=TEST_PASSWORD).email
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert (
            client.post("/login", data={"email": email, "password": "wrong password here"}).status_code == 401
        )
    resp = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert resp.status_code == 401
    assert b"locked" in resp.data
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one()
        throttle = db.session.execute(
            sa.select(LoginThrottle).where(LoginThrottle.user_id == user.id)
        ).scalar_one()
        assert (
            throttle.locked_until is not None
        )  # this address is locked out; the account is not (issue 17 §8)
        actions = db.session.execute(
            sa.select(AuditEvent.action).where(AuditEvent.target_id == str(user.id))
        ).scalars()
        assert "login.locked" in list(actions)


def test_a_success_resets_the_failure_count(app, client):
    with app.app_context():
        email = make_user(password=TEST_PASSWORD).email
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.post("/login", data={"email": email, "password": "wrong password here"})
    assert client.post("/login", data={"email": email, "password": TEST_PASSWORD}).status_code == 302
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one()
        assert user.failed_logins == 0


def test_ending_sessions_signs_out_other_browsers(app, login):
    first, second = app.test_client(), app.test_client()
    user_id = login(first, "admin")
    with app.app_context():
        email = db.session.get(User, user_id).email
    second.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert second.get("/").status_code == 200
    assert first.post(f"/admin/users/{user_id}/sessions", page="/admin/users").status_code == 303
    assert second.get("/").status_code == 302
    assert first.get("/").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, login):
    mine, other = app.test_client(), app.test_client()
    user_id = login(mine, "pm")
    with app.app_context():
        email = db.session.get(User, user_id).email
    other.post("/login", data={"email": email, "password": TEST_PASSWORD})
    resp = mine.post(
        "/account/password", data={"current": TEST_PASSWORD, "new": "plum tractor violin sunrise 77"}
    )
    assert resp.status_code == 302
    assert mine.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_password_change_refuses_a_weak_password(app, login):
    client = app.test_client()
    login(client, "pm")
    resp = client.post("/account/password", data={"current": TEST_PASSWORD, "new": "password123"})
    assert resp.status_code == 422
    assert b"common" in resp.data or b"guess" in resp.data


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("password1234", False),
        ("qwertyuiop123", False),
        ("x" * 129, False),
        ("plum tractor violin sunrise 77", True),
        ("Zq8!vN2#pL5@wR" * 9, True),
    ],
)
def test_password_policy(app, password, ok):
    with app.app_context():
        assert (password_problem(password, ("someone@example.com",)) is None) is ok


def test_admin_creates_a_user_and_changes_a_role(app, admin_client):
    resp = admin_client.post(
        "/admin/users",
        data={
            "email": "New.Person@Example.com",
            "name": "New",
            "role": "cs",
            "password": "granite otter lamp 93 ferry",
        },
    )
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.email == "new.person@example.com")).scalar_one()
        assert user.role.value == "cs"
        user_id = user.id
    assert admin_client.post(f"/admin/users/{user_id}/role", data={"role": "pm"}).status_code == 303
    with app.app_context():
        assert db.session.get(User, user_id).role.value == "pm"


def test_admin_create_user_rejects_duplicates_and_bad_roles(app, admin_client):
    data = {"email": "dup@example.com", "role": "cs", "password": "granite otter lamp 93 ferry"}
    assert admin_client.post("/admin/users", data=data).status_code == 302
    resp = admin_client.post("/admin/users", data=data)
    assert resp.status_code == 422 and b"already exists" in resp.data
    assert (
        admin_client.post("/admin/users", data={**data, "email": "x@example.com", "role": "root"}).status_code
        == 422
    )


def test_cli_creates_the_first_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--email", "boss@example.com", "--password", "granite otter lamp 93 ferry"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.com" in result.output
    result = runner.invoke(args=["users", "create", "--email", "weak@example.com", "--password", "password"])
    assert result.exit_code != 0 and "characters" in result.output
    result = runner.invoke(
        args=["users", "create", "--email", "not-an-email", "--password", "granite otter lamp 93 ferry"]
    )
    assert result.exit_code != 0 and "not a valid email" in result.output


def test_cli_prompts_for_the_password(app):
    runner = app.test_cli_runner()
    secret = "granite otter lamp 93 ferry"
    result = runner.invoke(
        args=["users", "create", "--email", "ask@example.com", "--role", "pm"], input=f"{secret}\n{secret}\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (
            db.session.execute(sa.select(User.role).where(User.email == "ask@example.com")).scalar_one().value
            == "pm"
        )


def test_sign_in_without_the_csrf_token_is_refused(app, client):
    with app.app_context():
        email = make_user(password=TEST_PASSWORD).email
    resp = client.post("/login", data={"email": email, "password": TEST_PASSWORD}, csrf=False)
    assert resp.status_code == 400
    assert b"CSRF" in resp.data
    assert client.get("/").status_code == 302  # still signed out
