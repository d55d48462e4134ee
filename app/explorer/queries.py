"""Read models of the explorer: the filtered, keyset-paged response list and what each row shows.

Filters become ``EXISTS`` / ``IN`` conditions on ``responses`` (never joins), so one row is one response
and the newest-first sort walks the ``(created_at, id)`` index; a page after a cursor costs what the first
page costs. Counts stop at COUNT_CAP: an exact count of a million rows is not worth its time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.explorer.filters import Cursor, ExplorerFilters
from app.explorer.fulltext import matches, parse_query
from app.extensions import db
from app.models import (
    Account,
    Channel,
    Contact,
    FollowUp,
    FollowUpState,
    Mention,
    Response,
    ResponseIntent,
    Survey,
    SurveyKind,
    Topic,
    User,
    followup_responses,
    utcnow,
)
from app.surveys.queries import BANDS
from app.workspace_settings import workspace_timezone

PAGE_SIZE = 50
COUNT_CAP = 1_000  # past it the page says "1,000+": counting a million rows exactly costs seconds
NO_SCORE = -1  # where score sorts put feedback-form messages (no score): last, or first when ascending
# Follow-up filter values -> the states they stand for. Open work includes any state that is neither
# contacted nor resolved (the loop work adds "reopened"): list it here when it exists.
OPEN_STATES = tuple(s for s in FollowUpState if s.value not in ("contacted", "resolved"))
FOLLOWUP_STATES: dict[str, tuple[Any, ...]] = {
    "open": OPEN_STATES,
    "contacted": (FollowUpState.CONTACTED,),
    "resolved": (FollowUpState.RESOLVED,),
    "overdue": (*OPEN_STATES, FollowUpState.CONTACTED),
}


def subtree_ids(topic_id: int) -> sa.Select:
    """The ids of a topic and every topic below it, as a recursive subquery: the database walks the (small)
    tree inside the page's own statement, so a topic filter costs no extra round trip. UNION, not UNION
    ALL: a cycle (refused by the editor) still could not loop."""
    tree = sa.select(Topic.id).where(Topic.id == topic_id).cte("topic_subtree", recursive=True)
    child = aliased(Topic)
    tree = tree.union(sa.select(child.id).join(tree, child.parent_id == tree.c.id))
    return sa.select(tree.c.id)


def topic_subtree(topic_id: int) -> set[int]:
    """A topic and every topic below it (a parent includes its children)."""
    children: dict[int | None, list[int]] = {}
    for tid, parent in db.session.execute(sa.select(Topic.id, Topic.parent_id)).all():
        children.setdefault(parent, []).append(tid)
    out, stack = set(), [topic_id]
    while stack:
        tid = stack.pop()
        if tid not in out:
            out.add(tid)
            stack += children.get(tid, [])
    return out


def resolve(filters: ExplorerFilters) -> ExplorerFilters:
    """Drop filters naming rows that do not exist (an unknown id is dropped like a malformed one)."""
    checks = {"survey": Survey, "account": Account, "contact": Contact, "topic": Topic, "csm": User}
    gone = [
        name
        for name, model in checks.items()
        if (value := getattr(filters, name)) is not None and db.session.get(model, value) is None
    ]
    return replace(filters, **dict.fromkeys(gone)) if gone else filters


def _local_midnight(day: Any, zone: Any = None) -> datetime:
    """The UTC instant a workspace-local day starts."""
    return datetime.combine(day, time(), zone or workspace_timezone()).astimezone(UTC)


def _mention_condition(filters: ExplorerFilters) -> sa.ColumnElement[bool] | None:
    """Some accepted mention of the topic (or its subtopics), with the mention sentiment when asked."""
    if filters.topic is None and filters.mention_sentiment is None:
        return None
    where = [Mention.response_id == Response.id, Mention.rejected.is_(False)]
    if filters.topic is not None:
        where.append(Mention.topic_id.in_(subtree_ids(filters.topic)))
    if filters.mention_sentiment is not None:
        where.append(Mention.sentiment_label == filters.mention_sentiment)
    return sa.exists(sa.select(Mention.id).where(*where))


def _followup_condition(value: str) -> sa.ColumnElement[bool]:
    # every response of a follow-up: the one that opened it, and those that joined it (the link table)
    linked = sa.or_(
        FollowUp.response_id == Response.id,
        FollowUp.id.in_(
            sa.select(followup_responses.c.followup_id)
            .where(followup_responses.c.response_id == Response.id)
            .correlate(Response)  # two levels down: named, or SQLAlchemy adds `responses` to this FROM
        ),
    )
    if value == "none":
        return ~sa.exists(sa.select(FollowUp.id).where(linked).correlate(Response))
    where = [linked, FollowUp.state.in_(FOLLOWUP_STATES[value])]
    if value == "overdue":
        where.append(FollowUp.due_at < utcnow())
    return sa.exists(sa.select(FollowUp.id).where(*where).correlate(Response))


def _account_condition(filters: ExplorerFilters) -> sa.ColumnElement[bool] | None:
    """The response's account is in the segment (tier, plan, lifecycle stage, CSM owner)."""
    where = []
    if filters.tier is not None:
        where.append(Account.tier == filters.tier)
    if filters.plan is not None:
        where.append(Account.plan == filters.plan)
    if filters.stage is not None:
        where.append(Account.lifecycle_stage == filters.stage)
    if filters.csm is not None:
        where.append(Account.csm_owner_id == filters.csm)
    return Response.account_id.in_(sa.select(Account.id).where(*where)) if where else None


def _simple_conditions(f: ExplorerFilters) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if f.survey is not None:
        out.append(Response.survey_id == f.survey)
    if f.kind is not None:
        out.append(Response.kind == SurveyKind(f.kind))
    if f.band is not None:
        out.append(BANDS[f.band]())
    if f.channel is not None:
        out.append(Response.channel == Channel(f.channel))
    if f.comment == "with":
        out.append(sa.and_(Response.comment.is_not(None), Response.comment != ""))
    elif f.comment == "without":
        out.append(sa.or_(Response.comment.is_(None), Response.comment == ""))
    if f.sentiment is not None:
        out.append(Response.sentiment_label == f.sentiment)
    if f.account is not None:
        out.append(Response.account_id == f.account)
    if f.contact is not None:
        out.append(Response.contact_id == f.contact)
    if f.lang is not None:
        out.append(Response.language == f.lang)
    zone = workspace_timezone() if f.start is not None or f.end is not None else None  # read once
    if f.start is not None:
        out.append(Response.created_at >= _local_midnight(f.start, zone))
    if f.end is not None:
        out.append(Response.created_at < _local_midnight(f.end + timedelta(days=1), zone))
    return out


def conditions(f: ExplorerFilters) -> list[sa.ColumnElement[bool]]:
    """Every filter as a condition on ``responses`` (bound values only)."""
    out = _simple_conditions(f)
    if f.q is not None:
        out.append(matches(parse_query(f.q), db.session.get_bind().dialect.name, db.session))
    if f.intent is not None:
        intent = sa.select(ResponseIntent.id).where(
            ResponseIntent.response_id == Response.id, ResponseIntent.label == f.intent
        )
        out.append(sa.exists(intent))
    if f.followup is not None:
        out.append(_followup_condition(f.followup))
    out += [c for c in (_mention_condition(f), _account_condition(f)) if c is not None]
    return out


def _score_key() -> sa.ColumnElement[int]:
    return sa.func.coalesce(Response.score, NO_SCORE)


def order_by(sort: str) -> list[sa.ColumnElement[Any]]:
    """The ORDER BY of a sort; the id breaks ties so the order is total (keyset paging needs that)."""
    if sort == "oldest":
        return [Response.created_at.asc(), Response.id.asc()]
    if sort == "score_low":
        return [_score_key().asc(), Response.created_at.desc(), Response.id.desc()]
    if sort == "score_high":
        return [_score_key().desc(), Response.created_at.desc(), Response.id.desc()]
    return [Response.created_at.desc(), Response.id.desc()]


def after_cursor(sort: str, c: Cursor) -> sa.ColumnElement[bool]:
    """Rows after the cursor in the sort's order."""
    at_row = sa.tuple_(Response.created_at, Response.id)
    at_cursor = sa.tuple_(sa.literal(c.created_at, Response.created_at.type), sa.literal(c.id))
    if sort == "oldest":
        return at_row > at_cursor
    if sort.startswith("score"):
        score = _score_key()
        beyond = score > c.score if sort == "score_low" else score < c.score
        return sa.or_(beyond, sa.and_(score == c.score, at_row < at_cursor))
    return at_row < at_cursor


def cursor_of(sort: str, row: Response) -> Cursor:
    """The cursor after ``row``."""
    score = (row.score if row.score is not None else NO_SCORE) if sort.startswith("score") else None
    return Cursor(row.created_at, row.id, score)


@dataclass
class ExplorerPage:
    """One page of the explorer with what the template shows."""

    filters: ExplorerFilters
    items: list[Response]
    next_cursor: Cursor | None
    total: int
    capped: bool
    followups: dict[int, FollowUp] = field(default_factory=dict)


def count(where: list[sa.ColumnElement[bool]]) -> tuple[int, bool]:
    """How many responses match, stopping at COUNT_CAP (and whether it stopped)."""
    inner = sa.select(Response.id).where(*where).limit(COUNT_CAP + 1).subquery()
    n = db.session.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one()
    return min(n, COUNT_CAP), n > COUNT_CAP


def page_ids(
    filters: ExplorerFilters, size: int = PAGE_SIZE, where: list[sa.ColumnElement[bool]] | None = None
) -> list[int]:
    """Ids of one page (one more than ``size`` to know whether a next page exists)."""
    where = list(conditions(filters) if where is None else where)
    if filters.after is not None:
        where.append(after_cursor(filters.sort, filters.after))
    stmt = sa.select(Response.id).where(*where).order_by(*order_by(filters.sort)).limit(size + 1)
    return list(db.session.execute(stmt).scalars())


RELATED = (
    selectinload(Response.contact),
    selectinload(Response.account),
    selectinload(Response.survey),
    selectinload(Response.mentions).selectinload(Mention.topic),
    selectinload(Response.intents),
)


def page_rows(
    filters: ExplorerFilters,
    size: int = PAGE_SIZE,
    where: list[sa.ColumnElement[bool]] | None = None,
    related: bool = True,
) -> list[Response]:
    """One page of responses (one more than ``size``, to know whether a next page exists) in one
    statement: the page's ids found by the filters from the indexes, joined back to their rows (a deferred
    join: only the page's rows are read from the table), with what a row shows loaded when ``related``."""
    where = list(conditions(filters) if where is None else where)
    if filters.after is not None:
        where.append(after_cursor(filters.sort, filters.after))
    page = sa.select(Response.id).where(*where).order_by(*order_by(filters.sort)).limit(size + 1).subquery()
    stmt = sa.select(Response).join(page, page.c.id == Response.id).order_by(*order_by(filters.sort))
    if related:
        stmt = stmt.options(*RELATED)
    return list(db.session.execute(stmt).scalars())


def rows_for(ids: list[int]) -> list[Response]:
    """Responses by id (in that order) with what a row shows loaded: contact, account, survey, tags."""
    if not ids:
        return []
    rows = db.session.execute(sa.select(Response).where(Response.id.in_(ids)).options(*RELATED)).scalars()
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def followups_for(ids: list[int]) -> dict[int, FollowUp]:
    """The follow-up of each of these responses that has one."""
    if not ids:
        return {}
    # the response that opened a follow-up, and every response that joined it later (the link table)
    joined = sa.select(followup_responses.c.response_id, followup_responses.c.followup_id).where(
        followup_responses.c.response_id.in_(ids)
    )
    opened = db.session.execute(
        sa.select(FollowUp.response_id, FollowUp.id).where(FollowUp.response_id.in_(ids))
    )
    pairs = {(rid, fid) for rid, fid in opened} | {(rid, fid) for rid, fid in db.session.execute(joined)}
    by_id = {
        f.id: f
        for f in db.session.execute(
            sa.select(FollowUp).where(FollowUp.id.in_({fid for _, fid in pairs}))
        ).scalars()
    }
    return {rid: by_id[fid] for rid, fid in sorted(pairs, key=lambda p: p[1]) if fid in by_id}


def explorer_page(filters: ExplorerFilters, size: int = PAGE_SIZE) -> ExplorerPage:
    """The page the filters ask for, its next cursor and the (capped) number of matches."""
    where = conditions(filters)  # once: the topic tree and a search's readings are read for both queries
    rows = page_rows(filters, size, where)
    items = rows[:size]
    nxt = cursor_of(filters.sort, items[-1]) if len(rows) > size and items else None
    total, capped = count(where)
    return ExplorerPage(filters, items, nxt, total, capped, followups_for([r.id for r in items]))
