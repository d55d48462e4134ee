"""``Idempotency-Key`` on every API POST (RELIABILITY 2): kept 24 h per token, method and path.

The same key with the same body gives back the stored response (``Idempotent-Replayed: true``); with a
different body, 422; while the first request is still being handled, 409. The key is claimed by a row
committed before the view runs, so two concurrent requests cannot both run: the unique constraint lets
one in. A 5xx (or a crash) releases the key so the client's retry runs again.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, Response, g, request
from sqlalchemy.exc import IntegrityError

from app.api.core import API_PREFIX, current_token, fail
from app.extensions import db
from app.models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
MAX_KEY = 255
KEPT_HEADERS = ("Content-Type", "Location")


def _applies() -> bool:
    return (
        request.method == "POST" and request.path.startswith(API_PREFIX + "/") and HEADER in request.headers
    )


def _find(token_id: int, key: str) -> IdempotencyKey | None:
    return db.session.execute(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.token_id == token_id,
            IdempotencyKey.key == key,
            IdempotencyKey.method == request.method,
            IdempotencyKey.path == request.path[:300],
        )
    ).scalar_one_or_none()


def _replay(row: IdempotencyKey, body_hash: str) -> Response | None:
    """The stored answer, or an error: the same key was used with another body, or is still in flight."""
    if row.body_hash != body_hash:
        fail(422, "This Idempotency-Key was already used with a different request body; use a new key.")
    if row.status_code is None:
        fail(
            409,
            "A request with this Idempotency-Key is still being handled; retry in a moment.",
            {"Retry-After": "1"},
        )
    resp = Response(row.response_body or "", status=row.status_code)
    for name, value in (row.response_headers or {}).items():
        resp.headers[name] = value
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def before() -> Response | None:
    """Claim the key, or answer from what the first request with it gave."""
    if not _applies():
        return None
    key = request.headers[HEADER].strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        fail(400, f"An Idempotency-Key must be 1 to {MAX_KEY} printable characters.")
    token = current_token()
    body_hash = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    row = _find(token.id, key)
    if row is not None and utcnow() - row.created_at > KEEP:
        db.session.delete(row)
        db.session.commit()
        row = None
    if row is not None:
        return _replay(row, body_hash)
    claim = IdempotencyKey(
        token_id=token.id, key=key, method=request.method, path=request.path[:300], body_hash=body_hash
    )
    db.session.add(claim)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        row = _find(token.id, key)
        if row is None:  # pragma: no cover - the winner released it between our insert and this read
            fail(409, "A request with this Idempotency-Key is being handled; retry in a moment.")
        return _replay(row, body_hash)
    g.idempotency_id = claim.id
    return None


def after(response: Response) -> Response:
    """Store the answer under the claimed key (a 5xx releases the key instead)."""
    claim_id = g.pop("idempotency_id", None)
    if claim_id is None:
        return response
    db.session.rollback()  # whatever the view left uncommitted is not ours to commit
    row = db.session.get(IdempotencyKey, claim_id)
    if row is None:
        return response
    if response.status_code >= 500:
        db.session.delete(row)
    else:
        row.status_code = response.status_code
        row.response_body = response.get_data(as_text=True)
        row.response_headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
    db.session.commit()
    return response


def teardown(exc: BaseException | None) -> None:
    """A crash in the view releases the key."""
    claim_id = g.pop("idempotency_id", None)
    if claim_id is None:
        return
    db.session.rollback()
    db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))
    db.session.commit()


def purge_expired() -> int:
    """Delete keys older than 24 h; returns how many."""
    result = db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEEP))
    db.session.commit()
    return result.rowcount or 0


def init_app(app: Flask) -> None:
    """Register the hooks (app-wide, so a 404 or 422 raised before the view is handled the same way)."""
    app.before_request(before)
    app.after_request(after)
    app.teardown_request(teardown)


__all__ = ["init_app", "purge_expired"]
