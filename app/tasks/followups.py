"""Follow-up jobs: thin functions of ids that call ``app.followups.services``. Each is idempotent: a
response joins at most one follow-up, an escalation step is taken once, and each email is a row claimed
before it is sent, so a retry or a second scheduler never mails anyone twice."""

from __future__ import annotations

from typing import Any

from app.followups import services as followups
from app.queue import task


@task(timeout=300, retry=(10, 60, 300))
def apply_rules(response_ids: list[int]) -> dict[str, int]:
    """Run the follow-up rules on these responses (after an answer is stored, and after it is analysed)."""
    return followups.apply_rules(response_ids)


@task(queue="mail", timeout=300, retry=(10, 60, 300))
def deliver_messages(followup_id: int) -> dict[str, int]:
    """Send a follow-up's queued emails (alerts, escalations, replies), at most once each."""
    return followups.deliver_messages(followup_id)


@task(every=300, timeout=600)
def escalate_overdue() -> dict[str, Any]:
    """Periodic: escalate overdue follow-ups, once per step (the assignee, then the admins)."""
    return followups.escalate_overdue()


@task(every=120, timeout=600)
def sweep_followups() -> dict[str, int]:
    """Periodic: place recent answers a lost job never ran the rules on; deliver emails a lost job left."""
    return followups.sweep()
