"""API jobs: forgetting idempotency keys after their 24 hours."""

from __future__ import annotations

from app.api import services as api
from app.queue import task


@task(queue="default", every=3600)
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Key records older than 24 h."""
    return api.purge_expired()
