"""Insights jobs: thin functions of ids that call ``app.insights.services``. Each is idempotent: a digest
row exists once per team and week, and a member's email is claimed before it is sent, so a retry or a
second scheduler never mails anyone twice."""

from __future__ import annotations

from app.insights import services
from app.tasks import task


@task
def schedule_digests() -> dict[str, int]:
    """Periodic: create and build the digests that fell due (each team's local weekday and hour)."""
    return services.schedule_digests()


@task
def build_digest(digest_id: int) -> bool:
    """Build one digest (once) and enqueue its delivery."""
    return services.build_digest(digest_id)


@task
def deliver_digest(digest_id: int) -> dict[str, int]:
    """Send one built digest to the members not yet sent it."""
    return services.deliver_digest(digest_id)


@task
def check_alerts() -> dict[str, int]:
    """Periodic: raise emerging-topic and large-account detractor alerts (once per subject and day)."""
    return services.check_alerts()


@task
def deliver_alert(alert_id: int) -> dict[str, int]:
    """Send one alert to its team's members, at most once each."""
    return services.deliver_alert(alert_id)


@task
def sweep_team_mail() -> dict[str, int]:
    """Periodic: finish builds and deliveries a lost job left, and settle emails a crash left in flight."""
    return services.sweep_team_mail()
