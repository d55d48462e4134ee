"""The API's rate limit (RELIABILITY 12): ``API_RATE_LIMIT`` requests per token, one budget across every
resource, counted in fixed windows in the limiter's store (Redis in production).

Requests without a valid token share a budget per client address, so guessing tokens is limited too. Every
API answer carries the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers: ``RateLimit-Policy``
and ``RateLimit``) and the older, widely read ``RateLimit-Limit``/``-Remaining``/``-Reset`` trio; past the
limit the answer is a 429 problem with ``Retry-After`` (seconds until the window resets).

When the store is unreachable the counts go on in this process's memory for a while (a request is never
refused or slowed for the limiter's sake), as the other limits of the app do.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from apispec import APISpec, BasePlugin
from flask import Flask, Response, current_app, g, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.api import tokens
from app.api.core import fail

log = logging.getLogger(__name__)

POLICY = "api"  # the policy's name in RateLimit-Policy / RateLimit
RETRY_STORE_AFTER = 30.0  # seconds on the memory fallback before the store is tried again
EXTENSION = "clearloop_api_ratelimit"
# The resource blueprints (flask-smorest names them at registration); docs and pages are not limited here.
LIMITED_BLUEPRINTS: set[str] = set()


@dataclass(frozen=True)
class Window:
    """The state of a caller's window after this request."""

    limit: int
    seconds: int
    remaining: int
    reset_in: int  # whole seconds until the window resets
    allowed: bool


class _Counter:
    """Fixed-window counts in the configured store, with a per-process memory fallback."""

    def __init__(self, uri: str, options: dict) -> None:
        self.primary = FixedWindowRateLimiter(storage_from_string(uri, **options))
        self.fallback = FixedWindowRateLimiter(MemoryStorage())
        self.dead_until = 0.0
        self.lock = threading.Lock()

    def hit(self, item: RateLimitItem, key: str) -> tuple[bool, float, int]:
        """Count one request for ``key``: (allowed, reset time as epoch seconds, remaining)."""
        if time.monotonic() >= self.dead_until:
            try:
                return self._hit(self.primary, item, key)
            except Exception as exc:  # any store failure: count in memory meanwhile
                with self.lock:
                    self.dead_until = time.monotonic() + RETRY_STORE_AFTER
                log.warning("API rate-limit store unreachable (%s); counting in memory", type(exc).__name__)
        return self._hit(self.fallback, item, key)

    @staticmethod
    def _hit(strategy: FixedWindowRateLimiter, item: RateLimitItem, key: str) -> tuple[bool, float, int]:
        allowed = strategy.hit(item, "clearloop-api", key)
        stats = strategy.get_window_stats(item, "clearloop-api", key)
        return allowed, stats.reset_time, stats.remaining


def _counter(app: Flask) -> _Counter:
    counter = app.extensions.get(EXTENSION)
    if counter is None:
        options = app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}
        counter = _Counter(app.config["RATELIMIT_STORAGE_URI"], options)
        app.extensions[EXTENSION] = counter
    return counter


def reset(app: Flask) -> None:
    """Forget every count (tests)."""
    app.extensions.pop(EXTENSION, None)


def limit_item(app: Flask) -> RateLimitItem:
    """The configured limit, e.g. ``300 per minute``."""
    return parse(app.config["API_RATE_LIMIT"])


def _caller() -> str:
    """The budget this request counts against: its token when valid, else the client's address."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        token = tokens.authenticate(secret.strip())
        if token is not None:
            g.api_token = token  # app.api.core.current_token reuses it
            return f"token:{token.id}"
    return f"address:{request.remote_addr or 'unknown'}"


def before() -> None:
    """Count the request; past the limit, answer 429 with Retry-After."""
    if request.blueprint not in LIMITED_BLUEPRINTS or not current_app.config.get("RATELIMIT_ENABLED"):
        return
    item = limit_item(current_app)
    allowed, reset_at, remaining = _counter(current_app).hit(item, _caller())
    window = Window(
        limit=item.amount,
        seconds=item.get_expiry(),
        remaining=max(0, remaining),
        reset_in=max(0, math.ceil(reset_at - time.time())),
        allowed=allowed,
    )
    g.api_rate_window = window
    if not allowed:
        fail(
            429,
            f"This token made more than {item.amount} requests in {window.seconds} seconds; "
            f"retry after {max(1, window.reset_in)} seconds.",
            {"Retry-After": str(max(1, window.reset_in))},
        )


def headers(window: Window) -> dict[str, str]:
    """The RateLimit fields describing ``window``."""
    return {
        "RateLimit-Policy": f'"{POLICY}";q={window.limit};w={window.seconds}',
        "RateLimit": f'"{POLICY}";r={window.remaining};t={window.reset_in}',
        "RateLimit-Limit": str(window.limit),
        "RateLimit-Remaining": str(window.remaining),
        "RateLimit-Reset": str(window.reset_in),
    }


def after(response: Response) -> Response:
    """Tell the caller where it stands (every API answer, the 429 too)."""
    window = g.pop("api_rate_window", None)
    if window is not None:
        response.headers.update(headers(window))
    return response


def init_app(app: Flask, blueprint_names: list[str]) -> None:
    """Limit the named blueprints' routes (registered before the idempotency hooks: a refused request
    claims no Idempotency-Key)."""
    LIMITED_BLUEPRINTS.update(blueprint_names)
    app.before_request(before)
    app.after_request(after)


# --- The limit in the OpenAPI document --------------------------------------------------------------------

HEADER_DOCS = {
    "RateLimit-Policy": 'The quota policy: `"api";q=<requests>;w=<seconds>` (per token).',
    "RateLimit": 'Where this token stands: `"api";r=<remaining>;t=<seconds until the window resets>`.',
    "RateLimit-Limit": "Requests allowed per window (the older RateLimit draft's field).",
    "RateLimit-Remaining": "Requests left in the current window.",
    "RateLimit-Reset": "Seconds until the current window resets.",
}


class RateLimitPlugin(BasePlugin):
    """Documents the limit: the RateLimit headers on every success and a 429 (with Retry-After) on every
    operation of the API."""

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec
        for name, description in HEADER_DOCS.items():
            kind = "string" if name in ("RateLimit", "RateLimit-Policy") else "integer"
            spec.components.header(name, {"description": description, "schema": {"type": kind}})
        spec.components.header(
            "Retry-After", {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
        )

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs) -> None:
        refs = {name: {"$ref": f"#/components/headers/{name}"} for name in HEADER_DOCS}
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if str(code).startswith("2") and isinstance(response, dict):
                    response.setdefault("headers", {}).update(refs)
            responses["429"] = {
                "description": "Too many requests from this token: wait Retry-After seconds.",
                "headers": {**refs, "Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
