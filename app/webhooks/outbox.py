"""The webhook outbox: an event is a row written in the transaction of the change it reports, with one
delivery row per subscribed endpoint; nothing is sent from the request (RELIABILITY 1 and 9)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import EndpointState, WebhookDelivery, WebhookEndpoint, WebhookMessage, utcnow

EVENTS = {
    "response.created": "A response was received (any channel)",
    "response.updated": "A respondent changed their score or comment",
    "response.analyzed": "Topics, intents and sentiment of a response are ready",
    "response.erased": "A response's personal data was erased",
    "contact.unsubscribed": "A contact unsubscribed",
    "followup.opened": "A follow-up was opened on a response",
    "followup.resolved": "A follow-up was resolved",
    "health.changed": "An account's health band changed",
    "digest.sent": "A product digest was sent to a team",
}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return getattr(value, "value", value)


def listeners(event_type: str) -> list[int]:
    """Ids of the endpoints (not disabled) subscribed to ``event_type``."""
    rows = db.session.execute(
        sa.select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.state != EndpointState.DISABLED
        )
    ).all()
    return [endpoint_id for endpoint_id, events in rows if not events or event_type in events]


def emit(
    event_type: str, data: dict[str, Any], contact_id: int | None = None, response_id: int | None = None
) -> WebhookMessage | None:
    """Add an event and its deliveries to the caller's transaction (the caller commits); None when no
    endpoint listens, so a workspace without webhooks writes nothing."""
    made = emit_many(event_type, [(data, contact_id, response_id)])
    return made[0] if made else None


def emit_many(
    event_type: str,
    events: list[tuple[dict[str, Any], int | None, int | None]],
    endpoint_ids: list[int] | None = None,
) -> list[WebhookMessage]:
    """``emit`` for several events of one type: (data, contact_id, response_id) each; one endpoint lookup
    (``endpoint_ids``: the caller's own ``listeners(event_type)`` of this transaction)."""
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type!r}")
    if endpoint_ids is None:
        endpoint_ids = listeners(event_type) if events else []
    if not endpoint_ids:
        return []
    now = utcnow()
    messages = [
        WebhookMessage(
            msg_id="msg_" + secrets.token_urlsafe(18),
            event_type=event_type,
            payload={"type": event_type, "timestamp": now.isoformat(), "data": _json(data)},
            contact_id=contact_id,
            response_id=response_id,
            fanned_out=True,
            created_at=now,
        )
        for data, contact_id, response_id in events
    ]
    db.session.add_all(messages)
    db.session.flush()
    db.session.add_all(
        WebhookDelivery(message_id=m.id, endpoint_id=e, next_attempt_at=now)
        for m in messages
        for e in endpoint_ids
    )
    return messages


def response_data(response: Any) -> dict[str, Any]:
    """What a response event carries."""
    return {
        "id": response.id,
        "survey_id": response.survey_id,
        "kind": response.kind,
        "channel": response.channel,
        "score": response.score,
        "comment": response.comment,
        "contact_id": response.contact_id,
        "account_id": response.account_id,
        "created_at": response.created_at,
        "updated_at": response.updated_at,
    }


def contact_data(contact: Any) -> dict[str, Any]:
    """What a contact event carries."""
    return {
        "id": contact.id,
        "email": contact.email,
        "account_id": contact.account_id,
        "unsubscribed_at": contact.unsubscribed_at,
    }
