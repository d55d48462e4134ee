"""API test helpers: a token of a given role and scopes, and a client that sends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from tests.webhooks.conftest import loopback_allowed, receiver  # noqa: F401  (fixtures for test_hooks)


class ApiClient:
    """A test client that sends ``Authorization: Bearer <token>`` and JSON."""

    def __init__(self, app: Flask, secret: str, user_id: int) -> None:
        self.client = app.test_client()
        self.secret = secret
        self.user_id = user_id

    def _open(self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any):
        sent = {"Authorization": f"Bearer {self.secret}", **(headers or {})}
        return self.client.open("/api/v1" + path, method=method, headers=sent, **kw)

    def get(self, path: str, **kw: Any):
        """GET /api/v1<path>."""
        return self._open("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        """POST JSON to /api/v1<path>."""
        return self._open("POST", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any):
        """PATCH JSON to /api/v1<path>."""
        return self._open("PATCH", path, json=json, **kw)


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """``make_token(role, *scopes)`` → the secret of a new token of a new user of that role."""
    from app.api import tokens
    from tests.factories import make_user

    def _make(role: str = "admin", *scopes: str, user=None) -> str:
        with app.app_context():
            owner = user or make_user(role=role)
            wanted = list(scopes) or tokens.allowed_scopes(owner.role)
            secret = tokens.create_token(owner, "test token", wanted, None).secret
            db.session.remove()
            return secret

    return _make


@pytest.fixture
def api_client(app: Flask, make_token) -> Callable[..., ApiClient]:
    """``api_client(role="admin", *scopes)`` → an ApiClient with a fresh token."""
    from app.api import tokens

    def _client(role: str = "admin", *scopes: str) -> ApiClient:
        secret = make_token(role, *scopes)
        with app.app_context():
            token = tokens.authenticate(secret)
            user_id = token.user_id
        return ApiClient(app, secret, user_id)

    return _client


@pytest.fixture
def admin_api(api_client) -> ApiClient:
    """An admin's token with every scope."""
    return api_client("admin")
