"""Clearloop: the Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app import api as rest_api
from app import (
    cli,
    errors,
    inputs,
    queue,
    security,
    tasks,  # noqa: F401  (declares every job, so app.queue knows each name's queue and retries)
)
from app.accounts.routes import bp as accounts_bp
from app.analysis.routes import bp as analysis_bp
from app.auth.routes import bp as auth_bp
from app.auth.services import load_user
from app.config import load_config
from app.database import configure_engine
from app.dataprotection.routes import bp as dataprotection_bp
from app.explorer.routes import bp as explorer_bp
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.followups.routes import bp as followups_bp
from app.health.routes import bp as health_bp
from app.insights.routes import bp as insights_bp
from app.main.routes import bp as main_bp
from app.outbox.routes import bp as outbox_bp
from app.respond.routes import bp as respond_bp
from app.surveys.routes import bp as surveys_bp
from app.timefmt import localtime, zone_name
from app.trends.routes import bp as trends_bp
from app.webhooks.routes import bp as webhooks_bp

BLUEPRINTS = (
    auth_bp,
    main_bp,
    accounts_bp,
    surveys_bp,
    respond_bp,
    outbox_bp,
    analysis_bp,
    explorer_bp,
    insights_bp,
    webhooks_bp,
    dataprotection_bp,
    followups_bp,
    trends_bp,
    health_bp,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment, with ``config`` overriding any value."""
    settings = load_config()
    settings.update(config or {})
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config.get("TRUSTED_PROXIES"):
        # Behind N proxies (a load balancer, ...): the client's address, scheme and host come from the
        # X-Forwarded-* headers the last N hops set, so rate limits and sign-in locks key on the real client.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    _init_extensions(app)
    queue.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    inputs.init_app(app)  # before the blueprints: their <int:> parts use its converter
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    rest_api.init_app(app)
    cli.register(app)
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    app.jinja_env.filters["one_stop"] = one_stop
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals["zone_name"] = zone_name
    return app


def _init_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    with app.app_context():
        configure_engine(db.engine)
    login_manager.user_loader(load_user)


def _select_locale() -> str | None:
    """Respondent pages set ``g.locale`` from the contact; otherwise the browser's preference."""
    locale = g.get("locale")
    if locale:
        return locale
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def one_stop(text: str) -> str:
    """End a sentence with one full stop when a name already ends with one ("Acme Inc.." -> "Acme Inc.")."""
    return text[:-1] if text.endswith("..") else text
