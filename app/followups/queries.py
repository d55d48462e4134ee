"""Read models of follow-ups that other features use: a response's follow-up state (the response page) and
open/overdue counts per account (account health)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import OPEN_STATES, FollowUp, FollowUpState, Response, followup_responses, utcnow


@dataclass(frozen=True)
class FollowUpStatus:
    """What the response page shows about the follow-up a response belongs to."""

    followup_id: int
    state: FollowUpState
    assignee_id: int | None
    due_at: datetime | None
    overdue: bool

    @property
    def label(self) -> str:
        """The state in words, "overdue" included."""
        return f"{self.state.value}, overdue" if self.overdue else self.state.value


def is_overdue(state: FollowUpState, due_at: datetime | None, now: datetime | None = None) -> bool:
    """Not resolved and past its due time."""
    return state in OPEN_STATES and due_at is not None and due_at < (now or utcnow())


def state_for_response(response: Response | int) -> FollowUpStatus | None:
    """The follow-up a response opened or joined, or None when it has none."""
    response_id = response if isinstance(response, int) else response.id
    row = db.session.execute(
        sa.select(FollowUp.id, FollowUp.state, FollowUp.assignee_id, FollowUp.due_at)
        .join(followup_responses, followup_responses.c.followup_id == FollowUp.id)
        .where(followup_responses.c.response_id == response_id)
    ).first()
    if row is None:
        return None
    return FollowUpStatus(row.id, row.state, row.assignee_id, row.due_at, is_overdue(row.state, row.due_at))


def counts_by_account(
    account_ids: list[int] | None = None, now: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """Per account: (open follow-ups, of which overdue). Accounts with none are absent."""
    now = now or utcnow()
    overdue = sa.and_(FollowUp.due_at.is_not(None), FollowUp.due_at < now)
    query = (
        sa.select(FollowUp.account_id, sa.func.count(), sa.func.count().filter(overdue))
        .where(FollowUp.state.in_(OPEN_STATES), FollowUp.account_id.is_not(None))
        .group_by(FollowUp.account_id)
    )
    if account_ids is not None:
        query = query.where(FollowUp.account_id.in_(account_ids))
    return {account_id: (n, late) for account_id, n, late in db.session.execute(query).all()}
