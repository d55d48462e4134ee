"""Clearloop: the Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, g, request

from app import errors, jobs, security
from app.config import load_config
from app.database import configure_engine
from app.extensions import babel, csrf, db, limiter, login_manager, migrate

BLUEPRINTS = (
    "app.auth:bp",
    "app.main:bp",
    "app.accounts:bp",
    "app.surveys:bp",
    "app.respond:bp",
    "app.outbox:bp",
    "app.analysis:bp",
    "app.explorer:bp",
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment, with ``config`` overriding any value."""
    settings = load_config()
    settings.update(config or {})
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    _init_extensions(app)
    jobs.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    for spec in BLUEPRINTS:
        module_name, attr = spec.split(":")
        module = __import__(module_name, fromlist=[attr])
        app.register_blueprint(getattr(module, attr))
    _register_cli(app)
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    app.jinja_env.filters["one_stop"] = one_stop
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
    from app.auth.services import load_user

    login_manager.user_loader(load_user)


def _select_locale() -> str | None:
    """Respondent pages set ``g.locale`` from the contact; otherwise the browser's preference."""
    from flask import current_app

    locale = g.get("locale")
    if locale:
        return locale
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def _register_cli(app: Flask) -> None:
    """Attach the ``flask`` commands each feature provides."""
    from app.cli import register

    register(app)


def one_stop(text: str) -> str:
    """End a sentence with one full stop when a name already ends with one ("Acme Inc.." -> "Acme Inc.")."""
    return text[:-1] if text.endswith("..") else text
