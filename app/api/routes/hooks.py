"""Webhook endpoints through the API (the ``webhooks`` scope: admins)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.api.core import actor_id, blueprint, fail, scoped
from app.api.schemas import EndpointInSchema, EndpointList, EndpointSchema
from app.extensions import db
from app.models import WebhookEndpoint
from app.webhooks import services as webhooks

bp = blueprint("hooks", "Webhook endpoints (Standard Webhooks)")


@bp.route("/webhooks", methods=["GET"])
@scoped("webhooks")
@bp.response(200, EndpointList)
def list_endpoints():
    """Every webhook endpoint (without secrets)."""
    rows = db.session.execute(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars()
    return {"items": [_public(e) for e in rows]}


def _public(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "url": e.url,
        "events": e.events,
        "description": e.description,
        "state": e.state,
        "created_at": e.created_at,
    }


@bp.route("/webhooks", methods=["POST"])
@scoped("webhooks")
@bp.arguments(EndpointInSchema)
@bp.response(201, EndpointSchema)
def create_endpoint(data: dict[str, Any]):
    """Add an endpoint; the answer holds its signing secret (shown in the app to admins too)."""
    try:
        made = webhooks.create_endpoint(data["url"], data["events"], data["description"], actor_id())
    except webhooks.TargetError as exc:
        fail(422, str(exc))
    return {**_public(made), "secret": made.secret}


@bp.route("/webhooks/<int:endpoint_id>", methods=["DELETE"])
@scoped("webhooks")
@bp.response(204)
def delete_endpoint(endpoint_id: int):
    """Delete an endpoint and its delivery log."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        fail(404, f"No webhook endpoint with id {endpoint_id}.")
    webhooks.delete_endpoint(endpoint, actor_id())
