"""Friendly error pages and JSON errors; an unreachable database is a 503 with Retry-After, never a 500."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, NotFound

from app.database import is_unavailable
from app.extensions import db

log = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be understood",
    401: "Authentication required",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "That was already done",
    410: "This link has expired",
    413: "That upload is too large",
    415: "Unsupported content type",
    422: "Please check what you entered",
    429: "Too many requests",
    503: "Clearloop is briefly unavailable",
}


def wants_json() -> bool:
    """True for API calls and clients that prefer JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def problem(status: int, detail: str | None = None, **extra: object):
    """An RFC 9457 problem document (``application/problem+json``) for the REST API."""
    title = TITLES.get(status, "Something went wrong")
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    body["instance"] = request.path
    body.update({k: v for k, v in extra.items() if v is not None})
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def render_error(
    status: int, message: str | None = None, headers: dict[str, str] | None = None, errors: object = None
):
    """Render an error as problem+json (the API), JSON or the friendly page, with the given status."""
    title = TITLES.get(status, "Something went wrong")
    message = message or title
    if request.path.startswith("/api/"):
        return problem(status, message, errors=errors), status, headers or {}
    if wants_json():
        resp = jsonify(error={"status": status, "title": title, "message": message})
    else:
        resp = render_template("errors/error.html", status=status, title=title, message=message)
    return resp, status, headers or {}


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        headers = {}
        if exc.code == 429:
            headers["Retry-After"] = "60"
        headers.update(getattr(exc, "problem_headers", None) or {})
        message = exc.description if exc.code not in (404, 500) else None
        if exc.code == 404 and request.path.startswith("/api/") and exc.description != NotFound.description:
            message = exc.description
        errors = (getattr(exc, "data", None) or {}).get("messages")  # webargs' per-field messages
        return render_error(exc.code or 500, message, headers, errors)

    @app.errorhandler(SQLAlchemyError)
    def _database(exc: SQLAlchemyError):
        db.session.rollback()
        if is_unavailable(exc):
            log.warning("database unavailable: %s", exc.__class__.__name__)
            return render_error(503, "Please try again in a few seconds.", {"Retry-After": "5"})
        if app.testing:
            raise exc
        log.exception("database error")
        return render_error(500, "Something went wrong on our side. It has been logged.")

    if app.testing:
        return  # let tests see the traceback of anything unexpected

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception):
        log.exception("unhandled error")
        return render_error(500, "Something went wrong on our side. It has been logged.")
