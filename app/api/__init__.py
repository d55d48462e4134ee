"""The REST API at /api/v1: flask-smorest resources, token auth, problem+json errors, idempotent POSTs,
the OpenAPI document at /api/v1/openapi.json and its reference page at /api/v1/docs."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template

from app.access import public
from app.api import idempotency, ratelimit
from app.api.core import API_PREFIX, api
from app.api.pages import bp as pages_bp
from app.api.routes import catalog, hooks, loop, people, responses
from app.extensions import csrf

RESOURCES = (people.bp, responses.bp, catalog.bp, loop.bp, hooks.bp)
docs_bp = Blueprint("api_docs", __name__, url_prefix=API_PREFIX)


@docs_bp.route("/openapi.json")
@public
def openapi_json():
    """The OpenAPI 3.1 document of the API."""
    return jsonify(api.spec.to_dict())


@docs_bp.route("/docs")
@public
def docs():
    """The API reference (Swagger UI from vendored files, started by a static script)."""
    return render_template("api/docs.html")


def init_app(app: Flask) -> None:
    """Configure flask-smorest and register the API's blueprints (CSRF-exempt: tokens, not cookies)."""
    app.config.setdefault("API_TITLE", "Clearloop")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "servers": [{"url": "/"}],
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "info": {
                "description": (
                    "Accounts, contacts, surveys, sends, responses and metrics of Clearloop.\n\n"
                    f"Rate limit: {app.config['API_RATE_LIMIT']} per token, one budget across the API "
                    "(requests without a valid token: per client address). Every answer carries the "
                    "IETF `RateLimit-Policy` and `RateLimit` fields (and `RateLimit-Limit`, "
                    "`-Remaining`, `-Reset`); past the limit the answer is `429` with `Retry-After` "
                    "in seconds."
                )
            },
        },
    )
    api.init_app(app, spec_kwargs={"extra_plugins": [ratelimit.RateLimitPlugin()]})
    for bp in RESOURCES:
        api.register_blueprint(bp)
        csrf.exempt(bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(pages_bp)
    ratelimit.init_app(app, [bp.name for bp in RESOURCES])
    idempotency.init_app(app)
