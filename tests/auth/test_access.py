"""Every route declares who may use it, matches the checked-in matrix, and refuses everyone else.

The matrix lives in tests/auth/matrix/<blueprint>.toml; a new route fails here until it is listed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from app.access import view_access

MATRIX_DIR = Path(__file__).parent / "matrix"
ROLES = ("viewer", "cs", "pm", "admin")


def load_matrix() -> dict[str, str | frozenset[str]]:
    """Endpoint → "public" or the set of roles, from every matrix file."""
    matrix: dict[str, str | frozenset[str]] = {}
    for path in sorted(MATRIX_DIR.glob("*.toml")):
        for endpoint, access in tomllib.loads(path.read_text()).items():
            # "public", "api:<scope>" (a token with that scope: tests/api/test_access_scopes.py), or roles
            matrix[endpoint] = access if isinstance(access, str) else frozenset(access) | {"admin"}
    return matrix


def staff_rules(app) -> list[Rule]:
    """Every rule except static files."""
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def concrete_url(rule: Rule) -> str:
    """Fill a rule's arguments with placeholder values."""
    values = {}
    for arg in rule.arguments:
        values[arg] = 1 if isinstance(rule._converters[arg], NumberConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_route_has_an_access_marker(app):
    unmarked = [r.endpoint for r in staff_rules(app) if view_access(app.view_functions[r.endpoint]) is None]
    assert unmarked == [], f"routes without @public or @roles_required: {unmarked}"


def test_markers_match_the_checked_in_matrix(app):
    matrix = load_matrix()
    actual = {}
    for rule in staff_rules(app):
        access = view_access(app.view_functions[rule.endpoint])
        actual[rule.endpoint] = access if isinstance(access, str) else frozenset(r.value for r in access)
    missing = sorted(set(actual) - set(matrix))
    assert not missing, f"add these endpoints to tests/auth/matrix/*.toml: {missing}"
    stale = sorted(set(matrix) - set(actual))
    assert not stale, f"matrix lists endpoints that no longer exist: {stale}"
    wrong = {e: (sorted(actual[e]), sorted(matrix[e])) for e in actual if actual[e] != matrix[e]}
    assert not wrong, f"access differs from the matrix (actual, expected): {wrong}"


def _requests(app):
    for rule in staff_rules(app):
        access = view_access(app.view_functions[rule.endpoint])
        if isinstance(access, str):  # public, or an API route (token scopes, checked in tests/api)
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, frozenset(r.value for r in access)


def unsafe(method: str, token: str) -> dict:
    """A valid CSRF token for unsafe methods, so the access check (not CSRF) is what answers."""
    return {"data": {"csrf_token": token}} if method in ("POST", "PUT", "PATCH", "DELETE") else {}


def test_anonymous_users_are_sent_to_sign_in(app, client):
    checked = 0
    token = client.csrf_token("/login")
    for rule, method, _ in _requests(app):
        resp = client.open(concrete_url(rule), method=method, **unsafe(method, token))
        assert resp.status_code in (302, 401), (
            f"{method} {rule.rule} gave {resp.status_code} to an anonymous user"
        )
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"]
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("role", ["viewer", "cs", "pm"])
def test_wrong_roles_are_refused(app, login, role):
    client = app.test_client()
    login(client, role)
    token = client.csrf_token("/")
    refused = 0
    for rule, method, allowed in _requests(app):
        if role in allowed:
            continue
        resp = client.open(concrete_url(rule), method=method, **unsafe(method, token))
        assert resp.status_code == 403, f"{role} got {resp.status_code} from {method} {rule.rule}"
        refused += 1
    if role == "viewer":
        assert refused > 0, "a viewer should be refused somewhere (admin pages at least)"


def test_an_unmarked_route_is_refused_at_run_time(app):
    from flask import Flask

    from app.access import enforce

    bare = Flask("bare")
    bare.before_request(enforce)
    bare.add_url_rule("/leak", "leak", lambda: "secret")
    assert bare.test_client().get("/leak").status_code == 403
