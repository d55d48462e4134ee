"""Mail jobs: start a send, deliver one batch, the periodic sweep and the reminders. Each is idempotent:
a re-run or an RQ retry only ever claims ``queued`` rows, so no invitation is emailed twice."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from app.extensions import db
from app.models import Send, SendStatus, utcnow
from app.tasks import task

log = logging.getLogger(__name__)


@task
def start_send(send_id: int) -> int:
    """Make a due send's invitations (once) and enqueue its batches."""
    from app.surveys.sending import start_send as start

    return start(send_id)


@task
def send_batch(send_id: int) -> dict[str, int]:
    """Deliver one batch of a send, then complete the send when nothing is left."""
    from app.mail.delivery import deliver_batch
    from app.surveys.sending import complete_if_done

    send = db.session.get(Send, send_id)
    if send is None or send.status != SendStatus.SENDING:
        return {}
    counts = deliver_batch(send_id)
    complete_if_done(send_id)
    log.info("send %s batch: %s", send_id, counts)
    return counts


@task
def sweep_sends() -> dict[str, int]:
    """Start due scheduled sends, mark stuck rows uncertain, re-enqueue batches a lost job dropped."""
    from app.mail.delivery import recover_stuck, sends_needing_batches
    from app.surveys.sending import complete_if_done, enqueue_batches
    from app.surveys.sending import start_send as start

    due = list(
        db.session.execute(
            sa.select(Send.id).where(Send.status == SendStatus.SCHEDULED, Send.scheduled_at <= utcnow())
        ).scalars()
    )
    started = sum(1 for send_id in due if start(send_id) > 0)
    recovered = recover_stuck()
    pending = sends_needing_batches()
    for send_id, queued in pending:
        enqueue_batches(send_id, queued)
    running = db.session.execute(sa.select(Send.id).where(Send.status == SendStatus.SENDING)).scalars()
    completed = sum(complete_if_done(send_id) for send_id in list(running))
    return {"started": started, **recovered, "requeued": len(pending), "completed": completed}


@task
def send_due_reminders() -> dict[str, int]:
    """One reminder to each invitee who has not answered after the send's delay."""
    from app.mail.reminders import send_reminders

    return send_reminders()
