"""The API's plumbing: the flask-smorest ``Api`` (errors as problem+json), token auth and scopes, and the
HMAC-signed cursors every list pages with.

flask-smorest (0.47) with marshmallow (4.4) is used because it is a maintained Flask extension that
generates the OpenAPI 3.1 document from the same schemas that validate requests and shape responses, so
the spec cannot drift from the code; webargs does the parsing, and Flask 3.1 is supported upstream.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from app.api import tokens
from app.api.schemas import ProblemSchema

F = TypeVar("F", bound=Callable[..., Any])
PROBLEM = "application/problem+json"
API_PREFIX = "/api/v1"


class ClearloopApi(Api):
    """flask-smorest's Api with errors documented as RFC 9457 problems and left to app.errors to render."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """app.errors renders every error (problem+json under /api/); keep flask-smorest's handler out."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if 400 <= status < 600:
                response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
                prepare_response(response, self.spec, PROBLEM)
                self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An RFC 9457 problem", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


api = ClearloopApi()


def blueprint(name: str, description: str) -> Blueprint:
    """A resource blueprint of the API."""
    return Blueprint(f"api_{name}", __name__, url_prefix=API_PREFIX, description=description)


def fail(status: int, detail: str, headers: dict[str, str] | None = None) -> HTTPException:
    """Raise an HTTP error whose ``detail`` a person understands (rendered as a problem)."""
    try:
        abort(status, detail)
    except HTTPException as exc:
        exc.problem_headers = headers or {}  # type: ignore[attr-defined]
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def scoped(scope: str) -> Callable[[F], F]:
    """Require an API token holding ``scope`` (and a role that still allows it) to call the view."""
    if scope not in tokens.SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = current_token()
            if scope not in tokens.effective_scopes(token):
                fail(403, f"This token lacks the {scope!r} scope (or its owner's role no longer allows it).")
            return view(*args, **kwargs)

        wrapped._clearloop_api_scope = scope  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def current_token() -> tokens.ApiToken:
    """The request's authenticated token (401 when missing or wrong)."""
    if "api_token" in g:
        return g.api_token
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    token = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        fail(
            401,
            "Send a valid API token as 'Authorization: Bearer clp_...' (make one under API tokens).",
            {"WWW-Authenticate": 'Bearer realm="clearloop"'},
        )
    g.api_token = token
    return token


def actor_id() -> int:
    """The user acting through the current token."""
    return current_token().user_id


# --- Signed cursors ---------------------------------------------------------------------------------------


def _key() -> bytes:
    return hashlib.sha256(b"clearloop-api-cursor:" + current_app.config["SECRET_KEY"].encode()).digest()


def sign_cursor(kind: str, values: list[Any]) -> str:
    """An opaque cursor for ``kind`` holding ``values``, signed so a client cannot forge or edit it."""
    body = base64.urlsafe_b64encode(json.dumps([kind, *values], separators=(",", ":")).encode()).rstrip(b"=")
    mac = hmac.new(_key(), body, hashlib.sha256).digest()[:16]
    return (body + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


def read_cursor(kind: str, text: str | None) -> list[Any] | None:
    """The values of a cursor made for ``kind`` (None without one); 400 for a forged or foreign cursor."""
    if not text:
        return None
    body, _, mac = text.encode("ascii", "replace").partition(b".")
    expected = base64.urlsafe_b64encode(hmac.new(_key(), body, hashlib.sha256).digest()[:16]).rstrip(b"=")
    if not hmac.compare_digest(mac, expected):
        fail(400, "That cursor is not valid: pass the 'next_cursor' of a previous page unchanged.")
    try:
        values = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
    except ValueError:
        fail(400, "That cursor is not valid.")
    if not isinstance(values, list) or not values or values[0] != kind:
        fail(400, "That cursor belongs to another list or another ordering.")
    return values[1:]
