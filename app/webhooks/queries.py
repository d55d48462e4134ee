"""What the webhook pages show: endpoints with their counts, and an endpoint's recent deliveries."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

PAGE = 50


def endpoints() -> list[tuple[WebhookEndpoint, dict[str, int]]]:
    """Every endpoint with its deliveries counted by status."""
    rows = list(db.session.execute(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, n in db.session.execute(
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count()).group_by(
            WebhookDelivery.endpoint_id, WebhookDelivery.status
        )
    ):
        counts.setdefault(endpoint_id, {})[DeliveryStatus(status).value] = n
    return [(e, counts.get(e.id, {})) for e in rows]


def deliveries(endpoint_id: int, status: str | None, before: int | None) -> list[WebhookDelivery]:
    """An endpoint's deliveries, newest first, with their message and every attempt."""
    stmt = (
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .options(selectinload(WebhookDelivery.message), selectinload(WebhookDelivery.log))
        .order_by(WebhookDelivery.id.desc())
        .limit(PAGE)
    )
    if status in {s.value for s in DeliveryStatus}:
        stmt = stmt.where(WebhookDelivery.status == status)
    if before:
        stmt = stmt.where(WebhookDelivery.id < before)
    return list(db.session.execute(stmt).scalars())
