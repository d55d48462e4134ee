"""Mail jobs: start a send, deliver one batch, the periodic sweep and the reminders. Each is idempotent:
a re-run or an RQ retry only ever claims ``queued`` rows, so no invitation is emailed twice."""

from __future__ import annotations

from app.mail import services as mail
from app.queue import task
from app.surveys import services as surveys


@task(queue="mail", timeout=1800)
def start_send(send_id: int) -> int:
    """Make a due send's invitations (once) and enqueue its batches."""
    return surveys.launch_send(send_id)


@task(queue="mail", timeout=900, retry=(10, 60, 300))
def send_batch(send_id: int) -> dict[str, int]:
    """Deliver one batch of a send, then complete the send when nothing is left."""
    return surveys.send_one_batch(send_id)


@task(queue="mail", every=30)
def sweep_sends() -> dict[str, int]:
    """Start due scheduled sends, mark stuck rows uncertain, re-enqueue batches a lost job dropped."""
    return surveys.catch_up_sends()


@task(queue="mail", every=300)
def send_due_reminders() -> dict[str, int]:
    """One reminder to each invitee who has not answered after the send's delay."""
    return mail.send_reminders()
