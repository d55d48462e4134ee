"""Mail use cases, the feature's one entry: delivering a send's batch at most once, recovering rows a crash
left ``sending``, skipping a cancelled send's queued rows (an invitation's delivery state is mail's alone),
reminders, suppressing an address, and rendering a survey email for a preview."""

from __future__ import annotations

from app.mail.delivery import deliver_batch, recover_stuck, sends_needing_batches, skip_queued
from app.mail.message import render_survey_email
from app.mail.reminders import send_reminders
from app.mail.suppression import suppress

__all__ = [
    "deliver_batch",
    "recover_stuck",
    "render_survey_email",
    "send_reminders",
    "sends_needing_batches",
    "skip_queued",
    "suppress",
]
