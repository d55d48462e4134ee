"""Account jobs: applying big CSV imports, and their housekeeping."""

from __future__ import annotations

from app.jobs import enqueue
from app.tasks import task


@task
def apply_import(batch_id: int, actor_id: int | None, ip: str | None = None) -> dict[str, int] | None:
    """Apply a queued CSV import in one transaction; idempotent (only a ``queued`` batch is claimed)."""
    from app.accounts.import_apply import apply_queued

    return apply_queued(batch_id, actor_id, ip)


def enqueue_import(batch_id: int, actor_id: int | None, ip: str | None = None) -> None:
    """Enqueue the import of a batch already marked ``queued`` (after that commit)."""
    enqueue(apply_import, batch_id, actor_id, ip, queue="default", timeout=1800)


@task
def expire_import_previews() -> int:
    """Expire CSV import previews older than a day, and enqueue queued imports again; idempotent."""
    from app.accounts.import_apply import expire_stale_previews, queued_batches

    for batch_id, actor_id in queued_batches():
        enqueue_import(batch_id, actor_id)
    return expire_stale_previews()
