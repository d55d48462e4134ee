"""Data-protection jobs: the nightly retention run (off unless the retention setting is set)."""

from __future__ import annotations

from app.dataprotection import services as dataprotection
from app.queue import task


@task(queue="default", timeout=3600, every=86400)
def apply_retention() -> int:
    """Anonymise or delete responses past the retention setting; the count is audited."""
    return dataprotection.apply_retention()
