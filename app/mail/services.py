"""Mail use cases, the feature's one entry: delivering a send's batch at most once, recovering rows a crash
left ``sending``, skipping a cancelled send's queued rows (an invitation's delivery state is mail's alone),
reminders, suppressing an address, rendering a survey email for a preview, and what other features' own
at-most-once mail (follow-up emails, digests and alerts) builds on: ``MailOutbox`` (claim, in-flight mark,
send, result, recovery of a queued row model), the transport, its outcomes, Message-IDs."""

from __future__ import annotations

from app.mail.delivery import deliver_batch, recover_stuck, sends_needing_batches, skip_queued
from app.mail.message import clean_text, message_id, render_survey_email
from app.mail.outbox import MailOutbox
from app.mail.reminders import send_reminders
from app.mail.suppression import suppress
from app.mail.transport import PermanentMailError, TemporaryMailError, UncertainMailError, get_transport

__all__ = [
    "MailOutbox",
    "PermanentMailError",
    "TemporaryMailError",
    "UncertainMailError",
    "clean_text",
    "deliver_batch",
    "get_transport",
    "message_id",
    "recover_stuck",
    "render_survey_email",
    "send_reminders",
    "sends_needing_batches",
    "skip_queued",
    "suppress",
]
