"""Webhook use cases: endpoints (create with an SSRF check, rotate the secret, pause, resume, delete),
events (``emit`` in the caller's transaction), the sweeper and one delivery attempt, and replays."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.audit import audit
from app.extensions import db
from app.models import (
    DeliveryStatus,
    EndpointState,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from app.webhooks.delivery import SCHEDULE, deliver, sweep
from app.webhooks.outbox import EVENTS, contact_data, emit, emit_many, listeners, response_data
from app.webhooks.signing import new_secret
from app.webhooks.targets import TargetError, resolve

ROTATION_OVERLAP = timedelta(hours=24)  # the old secret still signs (second signature) for a day
MAX_ENDPOINTS = 50

__all__ = [
    "EVENTS",
    "SCHEDULE",
    "TargetError",
    "contact_data",
    "create_endpoint",
    "delete_endpoint",
    "deliver",
    "emit",
    "emit_many",
    "listeners",
    "pause",
    "replay",
    "response_data",
    "resume",
    "rotate_secret",
    "sweep",
]


def _events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise TargetError(f"Unknown event {unknown[0]!r}; choose from {', '.join(EVENTS)}.")
    return [e for e in EVENTS if e in events]


def create_endpoint(url: str, events: list[str], description: str, actor_id: int | None) -> WebhookEndpoint:
    """Save an endpoint after checking its URL resolves only to public addresses; commits."""
    resolve(url)
    count = db.session.execute(sa.select(sa.func.count(WebhookEndpoint.id))).scalar_one()
    if count >= MAX_ENDPOINTS:
        raise TargetError(f"A workspace has at most {MAX_ENDPOINTS} endpoints; delete one first.")
    endpoint = WebhookEndpoint(
        url=url.strip(),
        events=_events(events),
        description=(description or "").strip()[:200],
        secret=new_secret(),
        created_by_id=actor_id,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit(
        actor_id, "webhook.create", "webhook_endpoint", endpoint.id, url=endpoint.url, events=endpoint.events
    )
    db.session.commit()
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, actor_id: int | None) -> str:
    """A new secret; the old one keeps signing alongside it for ROTATION_OVERLAP. Returns the new one."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    audit(actor_id, "webhook.rotate", "webhook_endpoint", endpoint.id)
    db.session.commit()
    return endpoint.secret


def resume(endpoint: WebhookEndpoint, actor_id: int | None) -> None:
    """Re-activate a paused or disabled endpoint; its waiting deliveries go out at the next sweep."""
    endpoint.state, endpoint.state_reason, endpoint.failing_since = EndpointState.ACTIVE, None, None
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == DeliveryStatus.PENDING)
        .values(next_attempt_at=utcnow(), claimed_until=None)
    )
    audit(actor_id, "webhook.resume", "webhook_endpoint", endpoint.id)
    db.session.commit()


def pause(endpoint: WebhookEndpoint, actor_id: int | None) -> None:
    """Stop deliveries to an endpoint until it is resumed (they wait, nothing is dropped)."""
    endpoint.state, endpoint.state_reason = EndpointState.PAUSED, "Paused by an admin."
    audit(actor_id, "webhook.pause", "webhook_endpoint", endpoint.id)
    db.session.commit()


def delete_endpoint(endpoint: WebhookEndpoint, actor_id: int | None) -> None:
    """Delete an endpoint with its deliveries and their attempts."""
    audit(actor_id, "webhook.delete", "webhook_endpoint", endpoint.id, url=endpoint.url)
    db.session.delete(endpoint)
    db.session.commit()


def replay(delivery: WebhookDelivery, actor_id: int | None) -> None:
    """Send a delivery again now, with the same webhook-id (receivers dedupe on it); one more attempt."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.claimed_until = None
    delivery.attempts = min(delivery.attempts, len(SCHEDULE) - 1)
    audit(actor_id, "webhook.replay", "webhook_delivery", delivery.id)
    db.session.commit()
