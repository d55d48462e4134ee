"""API tokens: hashed, shown once, scopes never wider than the role (now and later), revocable, CLI."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, AuditEvent, Role, User
from tests.factories import make_user


def test_a_token_is_clp_plus_32_random_bytes_and_only_its_hash_is_kept(app, make_token):
    secret = make_token("admin", "read")
    assert re.fullmatch(r"clp_[A-Za-z0-9_-]{43}", secret)
    with app.app_context():
        row = db.session.execute(sa.select(ApiToken).order_by(ApiToken.id.desc())).scalars().first()
        stored = " ".join(str(getattr(row, c.key)) for c in ApiToken.__table__.columns)
        assert secret not in stored and secret[4:] not in stored
        assert row.prefix == secret[:12]


def test_missing_wrong_and_revoked_tokens_get_401(app, client, api_client):
    assert client.get("/api/v1/contacts").status_code == 401
    wrong = client.get("/api/v1/contacts", headers={"Authorization": "Bearer clp_" + "x" * 43})
    assert wrong.status_code == 401 and wrong.content_type == "application/problem+json"
    assert "WWW-Authenticate" in wrong.headers
    api = api_client("viewer", "read")
    assert api.get("/contacts").status_code == 200
    with app.app_context():
        from app.api import tokens

        tokens.revoke_token(tokens.authenticate(api.secret), None)
    assert api.get("/contacts").status_code == 401


def test_scopes_cannot_exceed_the_role(app):
    from app.api import tokens

    with app.app_context():
        viewer = make_user(role="viewer")
        for scope in ("write", "send", "privacy", "webhooks"):
            try:
                tokens.create_token(viewer, "t", ["read", scope], None)
            except tokens.TokenError as exc:
                assert scope in str(exc)
            else:
                raise AssertionError(f"a viewer got the {scope} scope")
        cs = make_user(role="cs")
        assert tokens.allowed_scopes(cs.role) == ["read", "write"]
        for bad in ([], ["root"], ["read"] * 0):
            try:
                tokens.create_token(cs, "t", bad, None)
            except tokens.TokenError:
                pass
            else:
                raise AssertionError(bad)


def test_a_role_downgrade_narrows_existing_tokens(app, api_client):
    api = api_client("admin", "read", "write")
    assert api.post("/contacts", json={"email": "before@x.example"}).status_code == 201
    with app.app_context():
        user = db.session.get(User, api.user_id)
        user.role = Role.VIEWER
        db.session.commit()
    refused = api.post("/contacts", json={"email": "after@x.example"})
    assert refused.status_code == 403 and "write" in refused.json["detail"]
    assert api.get("/contacts").status_code == 200


def test_a_read_token_cannot_write(api_client):
    api = api_client("cs", "read")
    resp = api.post("/contacts", json={"email": "no@x.example"})
    assert resp.status_code == 403 and resp.content_type == "application/problem+json"


def test_last_use_is_recorded_and_first_use_audited(app, api_client):
    api = api_client("viewer", "read")
    api.get("/contacts")
    with app.app_context():
        token = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == api.user_id)).scalar_one()
        assert token.last_used_at is not None
        used = (
            db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.target_id == str(token.id)))
            .scalars()
            .all()
        )
        assert "api_token.create" in used and "api_token.first_use" in used


def test_the_page_makes_a_token_shown_once_and_revokes_it(app, cs_client):
    page = cs_client.get("/account/api-tokens")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="read"' in html and 'value="write"' in html and 'value="send"' not in html
    made = cs_client.post("/account/api-tokens", data={"name": "CRM sync", "scopes": ["read", "write"]})
    assert made.status_code == 303
    shown = cs_client.get("/account/api-tokens").get_data(as_text=True)
    secret = re.search(r"clp_[A-Za-z0-9_-]{43}", shown).group(0)
    again = cs_client.get("/account/api-tokens").get_data(as_text=True)
    assert secret not in again and "CRM sync" in again
    assert cs_client.post("/account/api-tokens", data={"name": "x", "scopes": ["send"]}).status_code == 422
    assert cs_client.post("/account/api-tokens", data={"name": "", "scopes": ["read"]}).status_code == 422
    with app.app_context():
        token_id = db.session.execute(sa.select(ApiToken.id).where(ApiToken.name == "CRM sync")).scalar_one()
    assert cs_client.post(f"/account/api-tokens/{token_id}/revoke").status_code == 302
    assert (
        app.test_client().get("/api/v1/contacts", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_others_cannot_revoke_my_token_but_an_admin_can(app, cs_client, viewer_client, admin_client):
    made = cs_client.post("/account/api-tokens", data={"name": "mine", "scopes": ["read"]})
    assert made.status_code == 303
    with app.app_context():
        token_id = db.session.execute(sa.select(ApiToken.id).where(ApiToken.name == "mine")).scalar_one()
    assert viewer_client.post(f"/account/api-tokens/{token_id}/revoke", csrf="session").status_code == 404
    assert "mine" in admin_client.get("/account/api-tokens").get_data(as_text=True)
    assert admin_client.post(f"/account/api-tokens/{token_id}/revoke").status_code == 302
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None


def test_cli_creates_a_token(app):
    with app.app_context():
        email = make_user(role="cs").email
    runner = app.test_cli_runner()
    out = runner.invoke(args=["tokens", "create", "--email", email, "--scope", "read", "--scope", "write"])
    assert out.exit_code == 0, out.output
    secret = out.output.strip()
    assert secret.startswith("clp_")
    listed = runner.invoke(args=["tokens", "list", "--email", email])
    assert secret[:12] in listed.output and "read,write" in listed.output
    refused = runner.invoke(args=["tokens", "create", "--email", email, "--scope", "privacy"])
    assert refused.exit_code != 0 and "privacy" in refused.output
    nobody = runner.invoke(args=["tokens", "create", "--email", "nobody@x.example", "--scope", "read"])
    assert nobody.exit_code != 0 and "No user" in nobody.output
