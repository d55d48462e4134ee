"""Escalating overdue follow-ups, once per step: step 1 when past due tells the assignee; step 2, a few
business days later (``followup_admin_escalation_days``), tells every active admin.

The step is taken by a conditional UPDATE (``escalation_level`` still the previous step), so two
schedulers or a retried job never escalate twice; the emails are rows with unique keys in that same
transaction. A reopened follow-up starts over (its key carries the reopen count).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.followups import delivery, workflow
from app.followups.emails import escalation_email
from app.models import OPEN_STATES, FollowUp, Role, User, utcnow
from app.workspace_settings import get_setting

BATCH = 500


def _due_steps(now: datetime) -> list[tuple[int, int]]:
    """(follow-up id, next step) of the unresolved follow-ups whose next escalation is due."""
    rows = db.session.execute(
        sa.select(FollowUp.id, FollowUp.escalation_level, FollowUp.due_at)
        .where(FollowUp.state.in_(OPEN_STATES), FollowUp.due_at < now, FollowUp.escalation_level < 2)
        .order_by(FollowUp.due_at)
        .limit(BATCH)
    ).all()
    admin_days = int(get_setting("followup_admin_escalation_days"))
    cal = workflow.calendar()
    out = []
    for followup_id, level, due_at in rows:
        if level == 0:
            out.append((followup_id, 1))
        elif cal.add_business_days(due_at, admin_days) <= now:
            out.append((followup_id, 2))
    return out


def escalate_overdue(now: datetime | None = None) -> dict[str, int]:
    """Take every escalation step that fell due; returns counts and the follow-ups with new emails."""
    now = now or utcnow()
    counts = {"step1": 0, "step2": 0}
    touched: list[int] = []
    for followup_id, step in _due_steps(now):
        if _take_step(followup_id, step):
            counts[f"step{step}"] += 1
            touched.append(followup_id)
        db.session.commit()
    counts["followups"] = len(touched)
    return counts | {"ids": touched}  # type: ignore[return-value]


def _take_step(followup_id: int, step: int) -> bool:
    won = db.session.execute(
        sa.update(FollowUp)
        .where(
            FollowUp.id == followup_id,
            FollowUp.escalation_level == step - 1,
            FollowUp.state.in_(OPEN_STATES),
        )
        .values(escalation_level=step),
        execution_options={"synchronize_session": False},
    ).rowcount
    if won != 1:
        return False
    followup = db.session.execute(
        sa.select(FollowUp).where(FollowUp.id == followup_id).execution_options(populate_existing=True)
    ).scalar_one()
    recipients, audience = _recipients(followup, step)
    workflow.record(
        followup,
        "escalated",
        None,
        str(step - 1),
        str(step),
        "to " + (", ".join(u.email for u in recipients) or "nobody (no active recipient)"),
    )
    subject, body = escalation_email(followup, audience)
    for user in recipients:
        key = f"escalation:{followup.id}:{followup.reopen_count}:{step}:{user.id}"
        delivery.add_message(followup.id, "escalation", key, user.email, subject, body, user.id)
    return True


def _recipients(followup: FollowUp, step: int) -> tuple[list[User], int]:
    """Who hears at this step, and as which audience (1: the owner, 2: the admins)."""
    if step == 1:
        user = db.session.get(User, followup.assignee_id) if followup.assignee_id else None
        if user is not None and user.is_active_user:
            return [user], 1
        # nobody to tell first: the admins hear at once
    admins = db.session.execute(
        sa.select(User).where(User.role == Role.ADMIN, User.is_active_user.is_(True)).order_by(User.id)
    ).scalars()
    return list(admins), 2
