"""Health jobs: thin functions that call ``app.health.services``; each recomputes from the database, so
running one twice gives the same result as once."""

from __future__ import annotations

from app.health import services as health
from app.queue import task


@task(every=300, timeout=600)
def refresh_recent() -> dict[str, int]:
    """Periodic: refresh the accounts that got answers in the last minutes (debounced per account)."""
    return health.refresh_recent()


@task(every=86_400, timeout=3600)
def refresh_all() -> dict[str, int]:
    """Daily: every account's stored figures."""
    return health.refresh_all()
