"""The follow-up list (filters: state, owner, overdue) and one follow-up's page data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    OPEN_STATES,
    FollowUp,
    FollowUpMessage,
    FollowUpState,
    Response,
    Topic,
    followup_responses,
    utcnow,
)

PAGE_SIZE = 50
STATES = {
    "open": "Open (not resolved)",
    "overdue": "Overdue",
    "contacted": "Contacted",
    "reopened": "Reopened",
    "resolved": "Resolved",
    "all": "All",
}


@dataclass(frozen=True)
class ListFilters:
    """The list's query arguments, cleaned (unknown values fall back to defaults)."""

    state: str
    owner: str  # "" everyone, "me", "none", or a user id

    def args(self, **override: Any) -> dict[str, Any]:
        """Query arguments for a link keeping these filters."""
        return {k: v for k, v in {"state": self.state, "owner": self.owner, **override}.items() if v}


def parse_filters(args: dict[str, str]) -> ListFilters:
    """Clean the list page's arguments."""
    state = args.get("state", "open")
    owner = args.get("owner", "")
    if owner not in ("", "me", "none") and not (owner.isdigit() and len(owner) < 10):
        owner = ""
    return ListFilters(state if state in STATES else "open", owner)


def list_query(filters: ListFilters, me_id: int) -> sa.Select:
    """Follow-ups matching the filters, the most urgent first."""
    query = sa.select(FollowUp).options(
        selectinload(FollowUp.contact),
        selectinload(FollowUp.account),
        selectinload(FollowUp.assignee),
        selectinload(FollowUp.response),
    )
    if filters.state == "open":
        query = query.where(FollowUp.state.in_(OPEN_STATES))
    elif filters.state == "overdue":
        query = query.where(FollowUp.state.in_(OPEN_STATES), FollowUp.due_at < utcnow())
    elif filters.state != "all":
        query = query.where(FollowUp.state == FollowUpState(filters.state))
    if filters.owner == "me":
        query = query.where(FollowUp.assignee_id == me_id)
    elif filters.owner == "none":
        query = query.where(FollowUp.assignee_id.is_(None))
    elif filters.owner:
        query = query.where(FollowUp.assignee_id == int(filters.owner))
    if filters.state == "resolved":
        return query.order_by(FollowUp.resolved_at.desc(), FollowUp.id.desc())
    return query.order_by(FollowUp.due_at.asc().nulls_last(), FollowUp.id)


def counts(me_id: int) -> dict[str, int]:
    """The tab counts: open, overdue, mine (open)."""
    now = utcnow()
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(FollowUp.due_at < now),
            sa.func.count().filter(FollowUp.assignee_id == me_id),
        ).where(FollowUp.state.in_(OPEN_STATES))
    ).one()
    return {"open": row[0], "overdue": row[1], "mine": row[2]}


def linked_responses(followup_id: int) -> list[Response]:
    """The responses of a follow-up, oldest first."""
    return list(
        db.session.execute(
            sa.select(Response)
            .join(followup_responses, followup_responses.c.response_id == Response.id)
            .where(followup_responses.c.followup_id == followup_id)
            .options(selectinload(Response.survey), selectinload(Response.mentions))
            .order_by(Response.created_at, Response.id)
        ).scalars()
    )


def messages(followup_id: int) -> list[FollowUpMessage]:
    """The emails of a follow-up and how their delivery went."""
    return list(
        db.session.execute(
            sa.select(FollowUpMessage)
            .where(FollowUpMessage.followup_id == followup_id)
            .order_by(FollowUpMessage.id)
        ).scalars()
    )


def topic_choices() -> list[tuple[int, str]]:
    """Active topics, for root causes and rule conditions."""
    rows = db.session.execute(
        sa.select(Topic.id, Topic.name)
        .where(Topic.is_active.is_(True), Topic.merged_into_id.is_(None))
        .order_by(Topic.name)
    ).all()
    return [(r.id, r.name) for r in rows]
