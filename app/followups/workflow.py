"""The life of a follow-up: open → contacted → resolved (a reason code and a note) → reopened, every
change a ``FollowUpEvent``; reassignment; notes; a reply to the respondent by email (at most once).

Each function changes one follow-up in the caller's transaction after re-reading it under a row lock, so two
people clicking at once cannot both move it; a move the state does not allow raises ``FollowUpError``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.followups import delivery
from app.followups.emails import alert_email
from app.followups.sla import Calendar
from app.mail.queries import is_suppressed
from app.models import OPEN_STATES, FollowUp, FollowUpEvent, FollowUpState, Role, Topic, User, utcnow
from app.webhooks import services as webhooks
from app.workspace_settings import get_setting, workspace_timezone

RESOLUTION_CODES: dict[str, str] = {
    "fixed": "Fixed for this customer",
    "explained": "Explained / answered their question",
    "workaround": "Workaround given",
    "feature_logged": "Feature request logged with product",
    "bug_logged": "Bug reported to engineering",
    "no_reply": "Customer did not reply",
    "not_actionable": "Not actionable",
}
CONTACT_CHANNELS = ("email", "call", "meeting", "chat")
LOOPS = {"inner": "Inner loop: solved for this customer", "outer": "Outer loop: root cause sent to product"}
MAX_NOTE = 5000
MAX_REPLY = 10_000


class FollowUpError(ValueError):
    """A change that is not allowed, with a message a person understands."""


def calendar() -> Calendar:
    """The workspace's business calendar (time zone, holiday country, start of day)."""
    return Calendar(
        workspace_timezone(),
        str(get_setting("followup_holiday_country") or ""),
        int(get_setting("followup_day_start_hour")),
    )


def due_from(start: datetime) -> datetime:
    """When a follow-up opened (or reopened) at ``start`` is due under the workspace's SLA."""
    return calendar().add_business_days(start, int(get_setting("followup_sla_business_days")))


def record(
    followup: FollowUp,
    kind: str,
    actor_id: int | None,
    from_value: str | None = None,
    to_value: str | None = None,
    note: str | None = None,
) -> FollowUpEvent:
    """Add an event to the caller's transaction (flushed, so its id can name an email)."""
    event = FollowUpEvent(
        followup_id=followup.id,
        actor_id=actor_id,
        kind=kind,
        from_value=from_value,
        to_value=to_value,
        note=note,
    )
    db.session.add(event)
    db.session.flush()
    return event


def lock(followup_id: int) -> FollowUp:
    """The follow-up, re-read under a row lock; FollowUpError when it is gone."""
    row = db.session.execute(
        sa.select(FollowUp)
        .where(FollowUp.id == followup_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise FollowUpError("This follow-up no longer exists.")
    return row


def _clean_note(note: str | None, required: bool, what: str = "A note") -> str | None:
    note = (note or "").replace("\x00", "").strip()
    if required and not note:
        raise FollowUpError(f"{what} is required.")
    if len(note) > MAX_NOTE:
        raise FollowUpError(f"{what} can be at most {MAX_NOTE:,} characters.")
    return note or None


def _move(followup: FollowUp, to: FollowUpState, actor_id: int | None, note: str | None) -> FollowUpEvent:
    event = record(followup, "state", actor_id, followup.state.value, to.value, note)
    followup.state = to
    return event


def mark_contacted(followup_id: int, actor_id: int, channel: str, note: str | None) -> FollowUp:
    """The customer was reached (first contact is kept for the metrics)."""
    followup = lock(followup_id)
    if followup.state not in (FollowUpState.OPEN, FollowUpState.REOPENED):
        raise FollowUpError(
            f"Only an open or reopened follow-up can be marked contacted (this one is {followup.state})."
        )
    if channel not in CONTACT_CHANNELS:
        raise FollowUpError("Choose how you contacted the customer.")
    note = _clean_note(note, False)
    _move(followup, FollowUpState.CONTACTED, actor_id, f"{channel}: {note}" if note else channel)
    followup.contacted_at = followup.contacted_at or utcnow()
    return followup


def resolve(
    followup_id: int, actor_id: int, code: str, note: str | None, loop: str, root_topic_id: int | None
) -> FollowUp:
    """Close it with a reason code, a note, and whether the root cause went to product (outer loop)."""
    followup = lock(followup_id)
    if followup.state not in OPEN_STATES:
        raise FollowUpError("This follow-up is already resolved.")
    if code not in RESOLUTION_CODES:
        raise FollowUpError("Choose a resolution reason.")
    note = _clean_note(note, True, "A resolution note")
    if loop not in LOOPS:
        raise FollowUpError("Say whether this closed the inner loop or the outer loop.")
    if loop == "outer":
        if root_topic_id is None or db.session.get(Topic, root_topic_id) is None:
            raise FollowUpError(
                "An outer-loop resolution needs the root-cause topic it was sent to product under."
            )
    else:
        root_topic_id = None
    _move(followup, FollowUpState.RESOLVED, actor_id, f"{RESOLUTION_CODES[code]}: {note}")
    followup.resolved_at = utcnow()
    followup.contacted_at = followup.contacted_at or followup.resolved_at  # resolving implies contact
    followup.resolution_code, followup.resolution_note = code, note
    followup.loop, followup.root_topic_id = loop, root_topic_id
    webhooks.emit("followup.resolved", event_data(followup), followup.contact_id, followup.response_id)
    return followup


def event_data(followup: FollowUp) -> dict:
    """What a follow-up webhook event carries (no notes: they are staff words about a person)."""
    return {
        "id": followup.id,
        "response_id": followup.response_id,
        "contact_id": followup.contact_id,
        "account_id": followup.account_id,
        "state": followup.state,
        "reason": followup.reason,
        "resolution_code": followup.resolution_code,
        "due_at": followup.due_at,
    }


def reopen(followup_id: int, actor_id: int | None, note: str | None, notify: bool = True) -> FollowUp:
    """Open a resolved follow-up again: a new due time, escalation starts over, the assignee is told."""
    followup = lock(followup_id)
    if followup.state != FollowUpState.RESOLVED:
        raise FollowUpError("Only a resolved follow-up can be reopened.")
    note = _clean_note(note, actor_id is not None, "A reason for reopening")
    event = _move(followup, FollowUpState.REOPENED, actor_id, note)
    now = utcnow()
    followup.reopen_count += 1
    followup.due_at = due_from(now)
    followup.escalation_level = 0
    if notify:
        notify_assignee(followup, event.id, "reopened")
    return followup


def assign(followup_id: int, actor_id: int, assignee_id: int) -> FollowUp:
    """Hand it to another CS member or admin, who is emailed."""
    followup = lock(followup_id)
    user = db.session.get(User, assignee_id)
    if user is None or not user.is_active_user or user.role not in (Role.CS, Role.ADMIN):
        raise FollowUpError("Follow-ups can be assigned to active CS members and admins only.")
    if user.id == followup.assignee_id:
        raise FollowUpError(f"It is already assigned to {user.name or user.email}.")
    old = db.session.get(User, followup.assignee_id) if followup.assignee_id else None
    event = record(followup, "assigned", actor_id, old.email if old else None, user.email)
    followup.assignee_id = user.id
    if followup.is_open:
        notify_assignee(followup, event.id, "assigned")
    return followup


def add_note(followup_id: int, actor_id: int, note: str | None) -> FollowUp:
    """An internal note on the timeline."""
    followup = lock(followup_id)
    record(followup, "note", actor_id, note=_clean_note(note, True))
    return followup


def reply_address(followup: FollowUp) -> str | None:
    """Where a reply goes: the contact's address, or the address an anonymous respondent left."""
    if followup.contact is not None:
        return followup.contact.email
    return followup.response.respondent_email if followup.response else None


def reply(followup_id: int, actor: User, subject: str | None, body: str | None) -> FollowUp:
    """Email the respondent from the follow-up (queued, sent at most once); the first reply is a contact."""
    followup = lock(followup_id)
    to = reply_address(followup)
    if not to:
        raise FollowUpError("This respondent left no email address, so they cannot be replied to.")
    if is_suppressed(to) or (followup.contact is not None and followup.contact.unsubscribed_at):
        raise FollowUpError("This respondent unsubscribed or their address bounced: no email can go to them.")
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise FollowUpError("Write the reply before sending it.")
    if len(body) > MAX_REPLY:
        raise FollowUpError(f"A reply can be at most {MAX_REPLY:,} characters.")
    company = str(get_setting("company_name"))
    subject = (subject or "").strip() or f"Re: your feedback to {company}"
    event = record(followup, "reply", actor.id, to_value=to, note=body)
    delivery.add_message(
        followup.id, "reply", f"reply:{followup.id}:{event.id}", to, subject, body, None, actor.email
    )
    if followup.state in (FollowUpState.OPEN, FollowUpState.REOPENED):
        _move(followup, FollowUpState.CONTACTED, actor.id, "email reply")
        followup.contacted_at = followup.contacted_at or utcnow()
    return followup


def notify_assignee(followup: FollowUp, event_id: int, why: str) -> None:
    """Queue the assignee's email about this follow-up (once per event)."""
    user = db.session.get(User, followup.assignee_id) if followup.assignee_id else None
    if user is None or not user.is_active_user or not user.email:
        return
    subject, body = alert_email(followup, why)
    delivery.add_message(
        followup.id, "alert", f"alert:{followup.id}:{event_id}", user.email, subject, body, user.id
    )
