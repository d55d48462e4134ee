"""Account jobs: housekeeping of CSV imports."""

from __future__ import annotations

from app.tasks import task


@task
def expire_import_previews() -> int:
    """Expire CSV import previews older than a day and drop their contents; idempotent."""
    from app.accounts.import_apply import expire_stale_previews

    return expire_stale_previews()
