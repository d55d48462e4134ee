"""Insights jobs: thin functions of ids that call ``app.insights.services``. Each is idempotent: a digest
row exists once per team and week, and a member's email is claimed before it is sent, so a retry or a
second scheduler never mails anyone twice."""

from __future__ import annotations

from app.insights import services as insights
from app.queue import task


@task(every=300, timeout=900)
def schedule_digests() -> dict[str, int]:
    """Periodic: create and build the digests that fell due (each team's local weekday and hour)."""
    return insights.schedule_digests()


@task(timeout=600, retry=(10, 60, 300))
def build_digest(digest_id: int) -> bool:
    """Build one digest (once) and enqueue its delivery."""
    return insights.build_digest(digest_id)


@task(queue="mail", timeout=900, retry=(10, 60, 300))
def deliver_digest(digest_id: int) -> dict[str, int]:
    """Send one built digest to the members not yet sent it."""
    return insights.deliver_digest(digest_id)


@task(every=900, timeout=600)
def check_alerts() -> dict[str, int]:
    """Periodic: raise emerging-topic and large-account detractor alerts (once per subject and day)."""
    return insights.check_alerts()


@task(queue="mail", timeout=300, retry=(10, 60, 300))
def deliver_alert(alert_id: int) -> dict[str, int]:
    """Send one alert to its team's members, at most once each."""
    return insights.deliver_alert(alert_id)


@task(queue="mail", every=60)
def sweep_team_mail() -> dict[str, int]:
    """Periodic: finish builds and deliveries a lost job left, and settle emails a crash left in flight."""
    return insights.sweep_team_mail()
