"""Admin pages for webhooks: endpoints (create, rotate, pause, resume, delete), every attempt, replays."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.access import roles_required
from app.extensions import db
from app.inputs import parse_id
from app.models import Role, WebhookDelivery, WebhookEndpoint
from app.webhooks import queries
from app.webhooks import services as webhooks
from app.webhooks.forms import EndpointForm
from app.workspace_settings import workspace_timezone

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")


def local(value: datetime | None) -> str:
    """A time in the workspace's zone, the zone named."""
    if value is None:
        return "—"
    zone = workspace_timezone()
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M:%S} {zone.key}"


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    """Endpoints and a form to add one."""
    form = EndpointForm()
    status = 200
    if form.validate_on_submit():
        try:
            endpoint = webhooks.create_endpoint(
                form.url.data, form.events.data, form.description.data, current_user.id
            )
        except webhooks.TargetError as exc:
            form.url.errors = [*form.url.errors, str(exc)]
            status = 422
        else:
            flash("Endpoint added. Copy its signing secret from its page.", "success")
            return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))
    elif request.method == "POST":
        status = 422
    return render_template("webhooks/index.html", form=form, rows=queries.endpoints(), local=local), status


@bp.route("/<int:endpoint_id>")
@roles_required(Role.ADMIN)
def endpoint(endpoint_id: int) -> ResponseReturnValue:
    """One endpoint: its secret, state and deliveries with every attempt."""
    ep = _endpoint(endpoint_id)
    status = request.args.get("status")
    before = parse_id(request.args.get("before"))
    rows = queries.deliveries(ep.id, status, before)
    return render_template(
        "webhooks/endpoint.html", ep=ep, rows=rows, status=status, local=local, page=queries.PAGE
    )


@bp.route("/<int:endpoint_id>/<action>", methods=["POST"])
@roles_required(Role.ADMIN)
def act(endpoint_id: int, action: str) -> ResponseReturnValue:
    """Rotate the secret, pause, resume or delete an endpoint."""
    ep = _endpoint(endpoint_id)
    if action == "rotate":
        webhooks.rotate_secret(ep, current_user.id)
        flash("New secret made; the old one keeps signing for 24 hours (two signatures).", "success")
    elif action == "pause":
        webhooks.pause(ep, current_user.id)
        flash("Paused: deliveries wait until you resume.", "success")
    elif action == "resume":
        webhooks.resume(ep, current_user.id)
        flash("Resumed: waiting deliveries go out at the next sweep.", "success")
    elif action == "delete":
        webhooks.delete_endpoint(ep, current_user.id)
        flash("Endpoint deleted.", "success")
        return redirect(url_for("webhooks.index"))
    else:
        abort(404)
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay", methods=["POST"])
@roles_required(Role.ADMIN)
def replay(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send a delivery again (same webhook-id)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        abort(404)
    webhooks.replay(delivery, current_user.id)
    flash("Queued again with the same webhook-id.", "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
