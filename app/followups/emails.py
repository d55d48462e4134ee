"""The staff emails of a follow-up (plain text; the delivery makes an escaped HTML part from it): the
assignee's alert when it opens, reopens or is handed over, and the escalations when it is overdue."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from app.mail.services import clean_text
from app.models import FollowUp
from app.workspace_settings import workspace_timezone

COMMENT_CHARS = 1500


def local_time(moment: datetime | None) -> str:
    """A moment in the workspace time zone, with the zone named."""
    if moment is None:
        return "—"
    zone = workspace_timezone()
    return f"{moment.astimezone(zone):%a %d %b %Y %H:%M} ({zone.key})"


def page_url(followup_id: int) -> str:
    """The absolute link to a follow-up's page."""
    return f"{current_app.config['BASE_URL']}/followups/{followup_id}"


def who(followup: FollowUp) -> str:
    """The respondent and their account, in words."""
    person = (
        followup.contact.name or followup.contact.email if followup.contact else "An anonymous respondent"
    )
    return f"{person} ({followup.account.name})" if followup.account else person


def _summary(followup: FollowUp) -> list[str]:
    response = followup.response
    lines = [
        f"Who: {clean_text(who(followup))}",
        f"Rule: {clean_text(followup.reason)}",
        f"Due: {local_time(followup.due_at)}",
    ]
    if response is not None and response.score is not None:
        lines.append(f"Score: {response.score} ({response.kind.value.upper()})")
    if response is not None and response.comment:
        comment = response.comment.strip()
        if len(comment) > COMMENT_CHARS:
            comment = comment[:COMMENT_CHARS] + "…"
        lines += ["", "They wrote:", comment]
    return [*lines, "", f"Open the follow-up: {page_url(followup.id)}"]


def alert_email(followup: FollowUp, why: str) -> tuple[str, str]:
    """Subject and body of the assignee's alert (``why``: opened, reopened, assigned)."""
    verb = {
        "opened": "New follow-up",
        "reopened": "Follow-up reopened",
        "assigned": "Follow-up assigned to you",
    }
    subject = f"{verb.get(why, 'Follow-up')}: {who(followup)}"
    intro = {
        "opened": "A customer answer needs closing the loop, and it is yours.",
        "reopened": "A follow-up you resolved was reopened.",
        "assigned": "A follow-up was handed over to you.",
    }.get(why, "")
    return subject, "\n".join([intro, "", *_summary(followup)])


def escalation_email(followup: FollowUp, step: int) -> tuple[str, str]:
    """Subject and body of an escalation (step 1: the assignee; step 2: the admins)."""
    owner = followup.assignee.name or followup.assignee.email if followup.assignee else "nobody"
    if step == 1:
        subject = f"Overdue follow-up: {who(followup)}"
        intro = "This follow-up is past its due time and is not resolved yet."
    else:
        subject = f"Escalated: overdue follow-up for {who(followup)} (owner: {owner})"
        intro = f"This follow-up, owned by {owner}, is still unresolved well past its due time."
    return subject, "\n".join([intro, "", *_summary(followup)])
