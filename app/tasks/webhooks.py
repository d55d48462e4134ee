"""Webhook jobs: the sweeper (every 10 s) enqueues one job per due delivery; each makes one attempt."""

from __future__ import annotations

from app.queue import task
from app.webhooks import services as webhooks


@task(queue="default", every=10)
def sweep_deliveries() -> int:
    """Claim due deliveries and enqueue one ``deliver`` job each."""
    return webhooks.sweep()


@task(queue="default", timeout=60)
def deliver(delivery_id: int) -> str:
    """One signed attempt of one delivery; retries are scheduled in the database, not by RQ."""
    return webhooks.deliver(delivery_id)
