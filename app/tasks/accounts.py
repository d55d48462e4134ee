"""Account jobs: applying big CSV imports, and their housekeeping."""

from __future__ import annotations

from app.accounts import services as accounts
from app.queue import task


@task(timeout=1800)
def apply_import(batch_id: int, actor_id: int | None, ip: str | None = None) -> dict[str, int] | None:
    """Apply a queued CSV import in one transaction; idempotent (only a ``queued`` batch is claimed)."""
    return accounts.apply_queued_import(batch_id, actor_id, ip)


@task(every=3600)
def expire_import_previews() -> int:
    """Expire CSV import previews older than a day (personal data), and enqueue queued imports again."""
    return accounts.expire_import_previews()
