"""Delivering webhooks: the sweeper claims due deliveries and enqueues one job each; a job makes one signed
attempt and records it; failures retry on the Standard Webhooks schedule with jitter, honouring
``Retry-After``; a 410 disables the endpoint; an endpoint failing for too long is paused and admins told."""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import sqlalchemy as sa
from flask import current_app

from app import queue
from app.extensions import db
from app.models import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from app.webhooks import notify, signing, targets

log = logging.getLogger(__name__)

# Seconds before attempt 1, 2, ... (attempt 1 is immediate): now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
# 20 h, 24 h. Each wait gets ±10% jitter so a recovering receiver is not hit by every retry at once.
SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.1
TIMEOUT = 15  # seconds for the whole attempt: DNS, connect, TLS, sending, the answer's status, headers, body
CLAIM = timedelta(seconds=TIMEOUT * 4)
BATCH = 500
MAX_RETRY_AFTER = 86400


def timeout() -> float:
    """Seconds one attempt may take in all (tests shorten it with WEBHOOK_TIMEOUT; never above TIMEOUT)."""
    return min(float(current_app.config.get("WEBHOOK_TIMEOUT") or TIMEOUT), TIMEOUT)


def schedule() -> tuple[int, ...]:
    """The retry waits (tests shorten them with WEBHOOK_SCHEDULE)."""
    return tuple(current_app.config.get("WEBHOOK_SCHEDULE") or SCHEDULE)


def sweep() -> int:
    """Claim due deliveries of active endpoints and enqueue one job each; returns how many."""
    now = utcnow()
    due = (
        sa.select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            WebhookEndpoint.state == EndpointState.ACTIVE,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH)
    )
    ids = list(db.session.execute(due).scalars())
    if not ids:
        return 0
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(claimed_until=now + CLAIM)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    for delivery_id in ids:
        queue.enqueue("webhooks.deliver", delivery_id, job_id=f"webhook-{delivery_id}-{int(now.timestamp())}")
    return len(ids)


def _retry_after(headers: dict[str, str]) -> int | None:
    value = headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return min(int(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, min(int((when - utcnow()).total_seconds()), MAX_RETRY_AFTER)) if when.tzinfo else None


def _next_wait(attempts: int, retry_after: int | None) -> int | None:
    """Seconds until the next attempt after ``attempts`` tries, or None when the schedule is spent."""
    waits = schedule()
    if attempts >= len(waits):
        return None
    wait = waits[attempts] * (1 + random.uniform(-JITTER, JITTER))  # noqa: S311 - jitter, not security
    return int(max(wait, retry_after or 0))


def deliver(delivery_id: int) -> str:
    """Make one attempt of a delivery (the job); returns its outcome. Idempotent on a finished delivery."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "gone"
    endpoint = delivery.endpoint
    if endpoint.state != EndpointState.ACTIVE:
        delivery.claimed_until = None
        db.session.commit()
        return "endpoint-" + endpoint.state.value
    message = delivery.message
    body = json.dumps(message.payload, separators=(",", ":")).encode()
    live = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_expires_at and endpoint.previous_expires_at > utcnow():
        live.append(endpoint.previous_secret)
    headers = signing.headers(live, message.msg_id, int(time.time()), body)
    started = time.monotonic()
    deadline = targets.Deadline(timeout())
    status, error, text, reply_headers = None, None, None, {}
    try:
        # Resolved again at delivery (DNS may have changed since creation), within the attempt's deadline.
        target = targets.resolve(endpoint.url, deadline)
        status, reply_headers, text = targets.post(target, body, headers, deadline)
    except (targets.TargetError, targets.DeliveryTimeout) as exc:
        error = str(exc)
    except (OSError, Exception) as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    return _record(delivery, status, error, text, reply_headers, int((time.monotonic() - started) * 1000))


def _record(
    delivery: WebhookDelivery, status: int | None, error: str | None, text: str | None, headers: dict, ms: int
) -> str:
    endpoint = delivery.endpoint
    now = utcnow()
    delivery.attempts += 1
    delivery.claimed_until = None
    if status is not None and 300 <= status < 400:
        error = f"redirect to {headers.get('location', '?')[:200]} not followed (3xx counts as a failure)"
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            status_code=status,
            error=error,
            response_body=(text or "")[:1000] or None,
            duration_ms=ms,
            created_at=now,
        )
    )
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
        endpoint.failing_since = None
        db.session.commit()
        return "delivered"
    if status == 410:
        delivery.status = DeliveryStatus.FAILED
        endpoint.state, endpoint.state_reason = EndpointState.DISABLED, "The receiver answered 410 Gone."
        db.session.commit()
        notify.tell_admins(endpoint, "disabled")
        return "disabled"
    wait = _next_wait(delivery.attempts, _retry_after(headers))
    if wait is None:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + timedelta(seconds=wait)
    endpoint.failing_since = endpoint.failing_since or now
    paused = _maybe_pause(endpoint, now)
    db.session.commit()
    if paused:
        notify.tell_admins(endpoint, "paused")
    return "failed" if wait is None else "retry"


def _maybe_pause(endpoint: WebhookEndpoint, now) -> bool:
    """Pause an endpoint that has failed without a single success for longer than the setting."""
    limit = timedelta(hours=float(current_app.config.get("WEBHOOK_PAUSE_AFTER_HOURS", 72)))
    if (
        endpoint.state == EndpointState.ACTIVE
        and endpoint.failing_since
        and now - endpoint.failing_since >= limit
    ):
        endpoint.state = EndpointState.PAUSED
        endpoint.state_reason = f"Every delivery failed for {limit.total_seconds() / 3600:g} hours; paused."
        return True
    return False
