"""Read models of the explorer: the filtered, keyset-paged response list and what each row shows.

Filters become ``EXISTS`` / ``IN`` conditions on ``responses`` (never joins), so one row is one response
and the newest-first sort walks the ``(created_at, id)`` index; a page after a cursor costs what the first
page costs. Counts stop at COUNT_CAP: an exact count of a million rows is not worth its time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, load_only, selectinload

from app.explorer.filters import Cursor, ExplorerFilters
from app.explorer.fulltext import match_condition, match_value, parse_query
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


def subtree_ids(topic: int | sa.BindParameter[int]) -> sa.Select:
    """The ids of a topic and every topic below it, as a recursive subquery: the database walks the (small)
    tree inside the page's own statement, so a topic filter costs no extra round trip. UNION, not UNION
    ALL: a cycle (refused by the editor) still could not loop. ``topic`` is an id or a bound parameter."""
    tree = sa.select(Topic.id).where(Topic.id == topic).cte("topic_subtree", recursive=True)
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


# Every filter becomes a condition with named bound parameters ("f_<filter>"). The statement's text depends
# only on which filters are set (and on the few values that change it: band, comment, follow-up state, a
# search with nothing to look for), so the explorer's page and count statements are built once per shape
# (``_page_statement``, ``_count_statement``) and run with the values; SQLAlchemy then also reuses their
# cache keys. ``conditions`` builds the same conditions with the values inside, for callers composing them.
STRUCTURAL = ("band", "comment", "followup")  # their value changes the condition's text, not just a value
Shape = tuple[tuple[str, Any], ...]


class _Binds:
    """Named bound parameters: without values (a statement built once per shape) or with them."""

    def __init__(self, values: dict[str, Any] | None) -> None:
        self.values = values

    def __call__(self, name: str, type_: Any) -> sa.BindParameter[Any]:
        if self.values is None:
            return sa.bindparam(name, type_=type_)
        return sa.bindparam(name, self.values[name], type_=type_)

    def eq(self, column: Any, name: str) -> sa.ColumnElement[bool]:
        return column == self(name, column.type)


def _mention_condition(shape: dict[str, Any], b: _Binds) -> sa.ColumnElement[bool] | None:
    """Some accepted mention of the topic (or its subtopics), with the mention sentiment when asked."""
    if "topic" not in shape and "mention_sentiment" not in shape:
        return None
    where = [Mention.response_id == Response.id, Mention.rejected.is_(False)]
    if "topic" in shape:
        where.append(Mention.topic_id.in_(subtree_ids(b("f_topic", Topic.id.type))))
    if "mention_sentiment" in shape:
        where.append(b.eq(Mention.sentiment_label, "f_mention_sentiment"))
    return sa.exists(sa.select(Mention.id).where(*where))


def _followup_condition(value: str, b: _Binds) -> sa.ColumnElement[bool]:
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
        where.append(FollowUp.due_at < b("f_now", FollowUp.due_at.type))
    return sa.exists(sa.select(FollowUp.id).where(*where).correlate(Response))


def _account_condition(shape: dict[str, Any], b: _Binds) -> sa.ColumnElement[bool] | None:
    """The response's account is in the segment (tier, plan, lifecycle stage, CSM owner)."""
    columns = {
        "tier": Account.tier,
        "plan": Account.plan,
        "stage": Account.lifecycle_stage,
        "csm": Account.csm_owner_id,
    }
    where = [b.eq(column, f"f_{name}") for name, column in columns.items() if name in shape]
    return Response.account_id.in_(sa.select(Account.id).where(*where)) if where else None


SIMPLE = {
    "survey": Response.survey_id,
    "kind": Response.kind,
    "channel": Response.channel,
    "sentiment": Response.sentiment_label,
    "account": Response.account_id,
    "contact": Response.contact_id,
    "lang": Response.language,
}


def _simple_conditions(shape: dict[str, Any], b: _Binds) -> list[sa.ColumnElement[bool]]:
    out = [b.eq(column, f"f_{name}") for name, column in SIMPLE.items() if name in shape]
    if "band" in shape:
        out.append(BANDS[shape["band"]]())
    if shape.get("comment") == "with":
        out.append(sa.and_(Response.comment.is_not(None), Response.comment != ""))
    elif shape.get("comment") == "without":
        out.append(sa.or_(Response.comment.is_(None), Response.comment == ""))
    if "start" in shape:
        out.append(Response.created_at >= b("f_start", Response.created_at.type))
    if "end" in shape:
        out.append(Response.created_at < b("f_end", Response.created_at.type))
    return out


def _conditions(shape: Shape, dialect: str, b: _Binds) -> list[sa.ColumnElement[bool]]:
    """Every filter of the shape as a condition on ``responses``, its values bound by ``b``."""
    named = dict(shape)
    out = _simple_conditions(named, b)
    if named.get("q") == "nothing":
        out.append(sa.false())  # only stop words: nothing to look for
    elif "q" in named:
        out.append(match_condition(dialect, b("f_q", sa.Text)))
    if "intent" in named:
        intent = sa.select(ResponseIntent.id).where(
            ResponseIntent.response_id == Response.id, b.eq(ResponseIntent.label, "f_intent")
        )
        out.append(sa.exists(intent))
    if "followup" in named:
        out.append(_followup_condition(named["followup"], b))
    out += [c for c in (_mention_condition(named, b), _account_condition(named, b)) if c is not None]
    return out


FILTERS = tuple(f.name for f in fields(ExplorerFilters) if f.name not in ("sort", "after"))


def _bound(f: ExplorerFilters) -> tuple[Shape, dict[str, Any]]:
    """The filters' shape (which are set, and the values that change the statement's text) and the values
    of their bound parameters. Reads the workspace's time zone for dates and, on PostgreSQL, has the
    database stem a search (one round trip each, once per page)."""
    shape: list[tuple[str, Any]] = []
    values: dict[str, Any] = {}
    for name in FILTERS:
        value = getattr(f, name)
        if value is None:
            continue
        shape.append((name, value if name in STRUCTURAL else True))
        values[f"f_{name}"] = value
    if f.kind is not None:
        values["f_kind"] = SurveyKind(f.kind)
    if f.channel is not None:
        values["f_channel"] = Channel(f.channel)
    if f.start is not None or f.end is not None:
        zone = workspace_timezone()  # read once
        if f.start is not None:
            values["f_start"] = _local_midnight(f.start, zone)
        if f.end is not None:
            values["f_end"] = _local_midnight(f.end + timedelta(days=1), zone)
    if f.followup == "overdue":
        values["f_now"] = utcnow()
    dialect = db.session.get_bind().dialect.name
    if f.q is not None:
        values["f_q"] = match_value(parse_query(f.q), dialect, db.session)
        if values["f_q"] is None:
            shape = [(n, "nothing" if n == "q" else v) for n, v in shape]
    return (("dialect", dialect), *shape), values


def conditions(f: ExplorerFilters) -> list[sa.ColumnElement[bool]]:
    """Every filter as a condition on ``responses`` (bound values only)."""
    shape, values = _bound(f)
    return _conditions(shape[1:], shape[0][1], _Binds(values))


@lru_cache(maxsize=256)
def _shape_conditions(shape: Shape) -> tuple[sa.ColumnElement[bool], ...]:
    return tuple(_conditions(shape[1:], shape[0][1], _Binds(None)))


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


def _cursor_values(c: Cursor) -> dict[str, Any]:
    return {"after_at": c.created_at, "after_id": c.id, "after_score": c.score}


def _after_condition(sort: str, b: _Binds) -> sa.ColumnElement[bool]:
    at_row = sa.tuple_(Response.created_at, Response.id)
    at_cursor = sa.tuple_(b("after_at", Response.created_at.type), b("after_id", Response.id.type))
    if sort == "oldest":
        return at_row > at_cursor
    if sort.startswith("score"):
        score, mark = _score_key(), b("after_score", sa.Integer())
        beyond = score > mark if sort == "score_low" else score < mark
        return sa.or_(beyond, sa.and_(score == mark, at_row < at_cursor))
    return at_row < at_cursor


def after_cursor(sort: str, c: Cursor) -> sa.ColumnElement[bool]:
    """Rows after the cursor in the sort's order."""
    return _after_condition(sort, _Binds(_cursor_values(c)))


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
    n = db.session.execute(_count_of(where)).scalar_one()
    return min(n, COUNT_CAP), n > COUNT_CAP


def _count_of(where: list[sa.ColumnElement[bool]] | tuple[sa.ColumnElement[bool], ...]) -> sa.Select:
    inner = sa.select(Response.id).where(*where).limit(COUNT_CAP + 1).subquery()
    return sa.select(sa.func.count()).select_from(inner)


@lru_cache(maxsize=256)
def _count_statement(shape: Shape) -> sa.Select:
    return _count_of(_shape_conditions(shape))


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


# What a row of the explorer's list shows (``explorer/index.html``), with the keys its related rows load by:
# the page loads these columns only (not the analysis JSON, the invitation, the audit fields ...).
LISTED = (
    Response.id,
    Response.created_at,
    Response.survey_id,
    Response.kind,
    Response.channel,
    Response.contact_id,
    Response.account_id,
    Response.score,
    Response.comment,
    Response.form_category,
    Response.respondent_email,
    Response.account_hint,
    Response.edit_count,
    Response.analysis_state,
    Response.sentiment_label,
)


def _rows_statement(
    where: list[sa.ColumnElement[bool]], sort: str, size: int, related: bool, listed: bool = False
) -> sa.Select:
    page = sa.select(Response.id).where(*where).order_by(*order_by(sort)).limit(size + 1).subquery()
    stmt = sa.select(Response).join(page, page.c.id == Response.id).order_by(*order_by(sort))
    options = [*(RELATED if related else ()), *((load_only(*LISTED),) if listed else ())]
    return stmt.options(*options) if options else stmt


@lru_cache(maxsize=256)
def _page_statement(
    shape: Shape, sort: str, after: bool, size: int, related: bool, listed: bool
) -> sa.Select:
    where = list(_shape_conditions(shape))
    if after:
        where.append(_after_condition(sort, _Binds(None)))
    return _rows_statement(where, sort, size, related, listed)


def page_rows(
    filters: ExplorerFilters,
    size: int = PAGE_SIZE,
    where: list[sa.ColumnElement[bool]] | None = None,
    related: bool = True,
    bound: tuple[Shape, dict[str, Any]] | None = None,
    listed: bool = False,
) -> list[Response]:
    """One page of responses (one more than ``size``, to know whether a next page exists) in one
    statement: the page's ids found by the filters from the indexes, joined back to their rows (a deferred
    join: only the page's rows are read from the table), with what a row shows loaded when ``related``.
    Without ``where`` the statement is the one built for the filters' shape, run with their values
    (``bound``: the shape and values ``explorer_page`` already has). ``listed``: only the columns the
    explorer's list shows are loaded (another attribute would load on first use, one row at a time)."""
    if where is not None:
        where = list(where)
        if filters.after is not None:
            where.append(after_cursor(filters.sort, filters.after))
        stmt = _rows_statement(where, filters.sort, size, related, listed)
        return list(db.session.execute(stmt).scalars())
    shape, values = bound or _bound(filters)
    if filters.after is not None:
        values = values | _cursor_values(filters.after)
    stmt = _page_statement(shape, filters.sort, filters.after is not None, size, related, listed)
    return list(db.session.execute(stmt, values).scalars())


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
    shape, values = _bound(filters)  # once: the time zone and a search's readings serve both statements
    rows = page_rows(filters, size, bound=(shape, values), listed=True)
    items = rows[:size]
    nxt = cursor_of(filters.sort, items[-1]) if len(rows) > size and items else None
    n = db.session.execute(_count_statement(shape), values).scalar_one()
    followups = followups_for([r.id for r in items])
    return ExplorerPage(filters, items, nxt, min(n, COUNT_CAP), n > COUNT_CAP, followups)
