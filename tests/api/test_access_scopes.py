"""The access matrix for API routes: every route × method × {no token, each role's widest token, a read-only
token} gets exactly what tests/auth/matrix/api.toml says: 401 without a token, 403 without the scope."""

from __future__ import annotations

import pytest

from app.access import view_access
from app.api import tokens
from app.models import Role
from tests.auth.test_access import concrete_url, load_matrix

ROLES = ("viewer", "cs", "pm", "admin")


def _api_routes(app):
    for rule in app.url_map.iter_rules():
        access = view_access(app.view_functions[rule.endpoint])
        if isinstance(access, str) and access.startswith("api:"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, access.removeprefix("api:")


def test_every_api_route_is_in_the_matrix(app):
    matrix = load_matrix()
    routes = list(_api_routes(app))
    assert routes
    for rule, _, scope in routes:
        assert matrix.get(rule.endpoint) == f"api:{scope}", rule.endpoint


def test_without_a_token_every_api_route_is_401(app, client):
    for rule, method, _ in _api_routes(app):
        resp = client.open(concrete_url(rule), method=method, json={})
        assert resp.status_code == 401, f"{method} {rule.rule}: {resp.status_code}"
        assert resp.content_type == "application/problem+json"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_scopes(app, make_token, role):
    secret = make_token(role)  # every scope the role allows
    allowed = set(tokens.allowed_scopes(Role(role)))
    client = app.test_client()
    for rule, method, scope in _api_routes(app):
        resp = client.open(
            concrete_url(rule), method=method, json={}, headers={"Authorization": f"Bearer {secret}"}
        )
        if scope in allowed:
            assert resp.status_code not in (401, 403, 500), f"{role} {method} {rule.rule}: {resp.status_code}"
        else:
            assert resp.status_code == 403, f"{role} {method} {rule.rule}: {resp.status_code}"


def test_a_read_only_admin_token_cannot_write(app, make_token):
    secret = make_token("admin", "read")
    client = app.test_client()
    for rule, method, scope in _api_routes(app):
        if scope == "read":
            continue
        resp = client.open(
            concrete_url(rule), method=method, json={}, headers={"Authorization": f"Bearer {secret}"}
        )
        assert resp.status_code == 403, f"{method} {rule.rule}"


def test_csrf_does_not_block_token_calls(app, make_token):
    secret = make_token("admin", "read", "write")
    resp = app.test_client().post(  # CSRF is on in tests; a token call carries no CSRF token
        "/api/v1/contacts",
        json={"email": "csrf@x.example"},
        headers={"Authorization": f"Bearer {secret}"},
        csrf=False,
    )
    assert resp.status_code == 201
