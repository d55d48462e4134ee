"""Overview, settings and health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.access import public, roles_required, staff_required
from app.extensions import db
from app.inputs import parse_int
from app.main import bp
from app.main import queries as overview
from app.main.forms import SettingsForm
from app.main.services import save_settings
from app.models import Role
from app.workspace_settings import all_settings

PERIODS = {30: "30 days", 90: "90 days", 180: "6 months", 365: "12 months"}


@bp.route("/")
@staff_required
def index() -> ResponseReturnValue:
    """The overview dashboard."""
    days = parse_int(request.args.get("days"), 1, 3650)
    days = days if days in PERIODS else 90
    return render_template(
        "main/index.html",
        days=days,
        periods=PERIODS,
        kinds=overview.kind_summaries(days),
        rate=overview.response_rate(days),
        topics=overview.top_topics(days),
        comments=overview.recent_comments(),
        backlog=overview.analysis_backlog(),
        since=overview.period(days)[0].isoformat(),
    )


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def settings() -> ResponseReturnValue:
    """Workspace settings."""
    form = SettingsForm(data=all_settings())
    if form.validate_on_submit():
        # only this page's fields: features keep further settings on their own pages (follow-up SLA calendar)
        values = {name: getattr(form, name).data for name in all_settings() if name in form}
        save_settings(values, current_user.id)
        flash("Settings saved.", "success")
        return redirect(url_for("main.settings")), 303
    return render_template("main/settings.html", form=form), 422 if form.errors else 200


@bp.route("/healthz")
@public
def healthz() -> ResponseReturnValue:
    """Liveness and readiness: the database answers (Redis is optional by design)."""
    db.session.execute(sa.text("SELECT 1"))
    redis_ok = True
    if current_app.config.get("REDIS_URL"):
        try:
            current_app.extensions["clearloop.redis"].ping()
        except Exception:
            redis_ok = False
    return jsonify(status="ok", database="ok", redis="ok" if redis_ok else "down")
