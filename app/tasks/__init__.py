"""RQ job functions. Each takes ids, loads rows, returns early if they are gone, and is idempotent.

Wrap every job in ``@task``: it gives the job an app context when a plain ``rq worker`` runs it, and
a fresh database session per job in worker processes (inline jobs share the request's session).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context

from app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

_worker_app: Flask | None = None


def _app() -> Flask:
    """The app a job runs in when no context was pushed (a bare ``rq worker``): built once per process."""
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app({"IS_WORKER": True})
    return _worker_app


def task(func: F) -> F:
    """Run ``func`` inside an app context, releasing the session afterwards in workers."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            try:
                return func(*args, **kwargs)
            finally:
                if current_app.config.get("IS_WORKER"):
                    db.session.remove()
        with _app().app_context():
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper  # type: ignore[return-value]
