"""Sends: creating one (now or scheduled), launching it (invitations made, consent and fatigue applied),
delivering it batch by batch through the mail feature, and the sweep that catches up lost jobs."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import ngettext

from app import queue
from app.audit import audit
from app.extensions import db
from app.mail import services as mail
from app.models import DeliveryState, Invitation, Send, SendStatus, Survey, SurveyStatus, utcnow
from app.surveys import audience as aud
from app.surveys.tokens import new_tokens
from app.workspace_settings import get_setting, setting_is_set

log = logging.getLogger(__name__)


class SendError(ValueError):
    """A send that cannot be made; the message says why and ``field`` where the form shows it."""

    def __init__(self, message: str, field: str = "audience") -> None:
        super().__init__(message)
        self.field = field


SCHEDULE_SKEW = timedelta(minutes=5)  # a time this little in the past is clock skew: send now


@dataclass
class AudiencePreview:
    """Who an audience would reach right now, and who would be skipped and why."""

    total: int = 0
    to_send: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


def preview_audience(spec: dict[str, Any], ignore_quarantine: bool = False) -> AudiencePreview:
    """Count an audience and its skips without creating anything."""
    spec = aud.validate(spec)
    result = AudiencePreview(unknown=aud.unknown_emails(spec))
    for chunk in aud.audience_contacts(spec):
        reasons = aud.skip_reasons(chunk, None, ignore_quarantine)
        result.total += len(chunk)
        for reason in reasons.values():
            result.skipped[reason] = result.skipped.get(reason, 0) + 1
    result.to_send = result.total - sum(result.skipped.values())
    return result


def create_send(
    survey: Survey,
    spec: dict[str, Any],
    scheduled_at: datetime | None = None,
    reminder_days: int | None = None,
    expiry_days: int | None = None,
    user_id: int | None = None,
    *,
    ignore_quarantine: bool = False,
    require_recipients: bool = False,
) -> Send:
    """Record a send, commit it, and start it now when it is due (else the sweeper starts it on time).

    Refused: an archived survey, a time in the past, a production workspace whose company name was never
    set, and (``require_recipients``, as the form and CLI ask) a send due now that would reach nobody.
    ``ignore_quarantine`` is an admin's override of the quarantine for this one send (audited)."""
    if survey.status != SurveyStatus.ACTIVE:
        raise SendError("This survey is archived; make it active before sending it.")
    if current_app.config.get("ENV_NAME") == "production" and not setting_is_set("company_name"):
        raise SendError(
            "Set your company name in Settings before the first send: every email shows it.", "company"
        )
    spec = aud.validate(spec)
    now = utcnow()
    if scheduled_at is not None and scheduled_at < now - SCHEDULE_SKEW:
        raise SendError("That time is in the past. Choose a time from now on, or send now.", "scheduled_at")
    when = max(scheduled_at or now, now)
    if require_recipients and when <= now + timedelta(seconds=5):
        check = preview_audience(spec, ignore_quarantine)
        if check.to_send == 0:
            raise SendError(nobody_reached(check, ignore_quarantine))
    expiry = expiry_days or survey.expiry_days or int(get_setting("invitation_expiry_days"))
    unknown = aud.unknown_emails(spec)
    if unknown:
        spec = {**spec, "unknown_count": len(unknown), "unknown_sample": unknown[:50]}
    send = Send(
        survey_id=survey.id,
        status=SendStatus.SCHEDULED,
        audience=spec,
        scheduled_at=when,
        reminder_delay_days=reminder_days,
        expires_at=when + timedelta(days=expiry),
        created_by_id=user_id,
        ignore_quarantine=ignore_quarantine,
    )
    db.session.add(send)
    if ignore_quarantine:
        db.session.flush()
        audit(user_id, "send.quarantine_override", "send", send.id, survey_id=survey.id)
    db.session.commit()
    if when <= now + timedelta(seconds=5):
        queue.enqueue("mail.start_send", send.id, job_id=f"start-send-{send.id}")
    return send


def nobody_reached(check: AudiencePreview, ignore_quarantine: bool = False) -> str:
    """Why an audience reaches no one, in a sentence (with the override to offer when it is quarantine)."""
    if check.total == 0:
        if check.unknown:
            return ngettext(
                "No one to send to: the %(num)d address is not a contact (import it first).",
                "No one to send to: none of the %(num)d addresses is a contact (import them first).",
                len(check.unknown),
            )
        return "No one to send to: this audience has no contacts."
    days = int(get_setting("quarantine_days"))
    ranked = sorted(check.skipped.items(), key=lambda item: -item[1])
    parts = [_reason_words(reason, n, days) for reason, n in ranked]
    if len(parts) == 1:
        lead = "all " if check.total > 1 else ""
        text = f"No one would receive this survey: {lead}{parts[0]}."
    else:
        text = ngettext(
            "No one would receive this survey. Of %(num)d contact, ",
            "No one would receive this survey. Of %(num)d contacts, ",
            check.total,
        )
        text += "; ".join(parts) + "."
    if check.skipped.get("quarantined") and not ignore_quarantine:
        text += " An admin may override the quarantine for this one send (below)."
    return text


def _reason_words(reason: str, n: int, days: int) -> str:
    """'12 are within the 90-day quarantine' and the like, the count first."""
    if reason == "quarantined":
        return ngettext(
            "%(num)d is within the %(days)d-day quarantine",
            "%(num)d are within the %(days)d-day quarantine",
            n,
            days=days,
        )
    if reason == "suppressed":
        return ngettext("%(num)d is on the suppression list", "%(num)d are on the suppression list", n)
    if reason == "invalid_email":
        return ngettext(
            "%(num)d has an address that cannot be mailed", "%(num)d have addresses that cannot be mailed", n
        )
    if reason == "bounced":
        return ngettext("%(num)d bounced", "%(num)d bounced", n)
    return ngettext("%(num)d unsubscribed", "%(num)d unsubscribed", n)


def launch_send(send_id: int) -> int:
    """Make the invitations of a due send exactly once; returns how many are queued for delivery."""
    now = utcnow()
    won = db.session.execute(
        sa.update(Send)
        .where(Send.id == send_id, Send.status == SendStatus.SCHEDULED, Send.scheduled_at <= now)
        .values(status=SendStatus.SENDING, started_at=now),
        execution_options={"synchronize_session": False},
    )
    if won.rowcount != 1:  # already started, cancelled, or not due: someone else's job
        db.session.rollback()
        return 0
    send = db.session.get(Send, send_id)
    queued = _make_invitations(send, now)
    db.session.commit()  # status and every invitation in one transaction: a crash leaves neither
    enqueue_batches(send_id, queued)
    if queued == 0:
        complete_if_done(send_id)
    return queued


def _make_invitations(send: Send, now: datetime) -> int:
    """Every invitation of the send, skipped ones with their reason: the audience read as plain rows, its
    tokens made in one go, one INSERT per chunk of 500 (on PostgreSQL from one JSON parameter)."""
    queued = 0
    expires = max(send.expires_at or now, now)
    for chunk in aud.audience_contacts(send.audience):
        reasons = aud.skip_reasons(chunk, send.id, bool(send.ignore_quarantine))
        tokens = new_tokens(len(chunk))
        rows = [
            (contact.id, token.salt, token.token_hash, reasons.get(contact.id))
            for contact, token in zip(chunk, tokens, strict=True)
        ]
        queued += sum(reason is None for *_, reason in rows)
        if rows:
            _insert_invitations(send, rows, expires, now)
    return queued


# A chunk's invitations in one statement: the rows as one JSON parameter (one ``json.dumps`` in C; psycopg
# dumps array parameters element by element in Python), everything shared by the send as plain parameters.
_INSERT_INVITATIONS_PG = """
INSERT INTO invitations (send_id, survey_id, contact_id, token_salt, token_hash, state, skip_reason,
                         attempts, click_count, expires_at, created_at, updated_at)
SELECT %(send_id)s, %(survey_id)s, v.c, v.s, v.h,
       CASE WHEN v.r IS NULL THEN %(queued)s ELSE %(skipped)s END, v.r,
       0, 0, %(expires_at)s, %(now)s, %(now)s
FROM json_to_recordset(CAST(%(rows)s AS json)) AS v(c integer, s varchar(32), h varchar(64), r varchar(30))
"""


def _insert_invitations(
    send: Send, rows: list[tuple[int, str, str, str | None]], expires: datetime, now: datetime
) -> None:
    """Insert (contact id, token salt, token hash, skip reason or None) rows as the send's invitations."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        document = json.dumps(
            [{"c": c, "s": salt, "h": digest, "r": reason} for c, salt, digest, reason in rows],
            separators=(",", ":"),
        )
        params = {
            "send_id": send.id,
            "survey_id": send.survey_id,
            "queued": DeliveryState.QUEUED.value,
            "skipped": DeliveryState.SKIPPED.value,
            "expires_at": expires,
            "now": now,
            "rows": document,
        }
        conn.exec_driver_sql(_INSERT_INVITATIONS_PG, params)
        return
    shared = {
        "send_id": send.id,
        "survey_id": send.survey_id,
        "attempts": 0,
        "click_count": 0,
        "expires_at": expires,
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(
        sa.insert(Invitation.__table__),
        [
            {
                **shared,
                "contact_id": contact_id,
                "token_salt": salt,
                "token_hash": digest,
                "state": DeliveryState.SKIPPED if reason else DeliveryState.QUEUED,
                "skip_reason": reason,
            }
            for contact_id, salt, digest, reason in rows
        ],
    )


def enqueue_batches(send_id: int, queued: int) -> None:
    """Enqueue enough batch jobs for ``queued`` invitations (each claims its own rows)."""
    size = current_app.config["MAIL_BATCH_SIZE"]
    for _ in range(math.ceil(queued / size)):
        queue.enqueue("mail.send_batch", send_id)


def complete_if_done(send_id: int) -> bool:
    """Mark a send completed once nothing of it is queued or being sent."""
    busy = db.session.execute(
        sa.select(Invitation.id)
        .where(
            Invitation.send_id == send_id,
            Invitation.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
        )
        .limit(1)
    ).first()
    if busy is not None:
        return False
    result = db.session.execute(
        sa.update(Send)
        .where(Send.id == send_id, Send.status == SendStatus.SENDING)
        .values(status=SendStatus.COMPLETED, completed_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount == 1


def cancel_send(send: Send) -> None:
    """Cancel a scheduled send (one already sending stops after its queued rows are skipped)."""
    if send.status not in (SendStatus.SCHEDULED, SendStatus.SENDING):
        raise SendError("Only a scheduled or running send can be cancelled.")
    send.status = SendStatus.CANCELLED
    mail.skip_queued(send.id, "cancelled")
    db.session.commit()


def send_one_batch(send_id: int) -> dict[str, int]:
    """Deliver one batch of a sending send, then complete the send when nothing is left (the batch job)."""
    send = db.session.get(Send, send_id)
    if send is None or send.status != SendStatus.SENDING:
        return {}
    counts = mail.deliver_batch(send_id)
    complete_if_done(send_id)
    log.info("send %s batch: %s", send_id, counts)
    return counts


def catch_up_sends() -> dict[str, int]:
    """Launch due scheduled sends, mark stuck rows uncertain, re-enqueue batches a lost job dropped."""
    due = list(
        db.session.execute(
            sa.select(Send.id).where(Send.status == SendStatus.SCHEDULED, Send.scheduled_at <= utcnow())
        ).scalars()
    )
    started = sum(1 for send_id in due if launch_send(send_id) > 0)
    recovered = mail.recover_stuck()
    pending = mail.sends_needing_batches()
    for send_id, queued in pending:
        enqueue_batches(send_id, queued)
    running = db.session.execute(sa.select(Send.id).where(Send.status == SendStatus.SENDING)).scalars()
    completed = sum(complete_if_done(send_id) for send_id in list(running))
    return {"started": started, **recovered, "requeued": len(pending), "completed": completed}
