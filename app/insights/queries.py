"""Read models of topic analytics: the topic tree and SQL aggregates over responses and their mentions.

Every count is of distinct responses unless it says mentions. A topic's figures include its subtopics
(a parent includes its children, as in the explorer): they are read from ``topic_hits``, one row per
(response, topic ancestor) kept by triggers (``app/insights/hits_sql.py``), so one grouped scan of the
period answers for every topic at once; the Topics page's additive figures (volume, NPS bands, mention
sentiment, totals) come from per-day tables kept from them (``topic_days``, ``topic_day_totals``:
``app/insights/days_sql.py``). tests/insights/reference_queries.py holds the joins they replace (the
period's responses, their mentions and the topic tree), and a test compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.insights.periods import Period
from app.models import (
    Account,
    AnalysisState,
    Mention,
    Response,
    RetagRun,
    RetagState,
    SurveyKind,
    Topic,
    TopicDay,
    TopicDayTotal,
    TopicHit,
)
from app.trends.queries import days_follow, zone_offsets


@dataclass(frozen=True)
class TopicNode:
    """An active topic in tree order, with its depth and every ancestor id."""

    id: int
    name: str
    parent_id: int | None
    depth: int
    ancestors: tuple[int, ...] = ()
    children: list[int] = field(default_factory=list, compare=False)


def topic_tree() -> list[TopicNode]:
    """Active topics in tree order (children after their parent, by position then name)."""
    topics = list(
        db.session.execute(
            sa.select(Topic.id, Topic.name, Topic.parent_id)
            .where(Topic.is_active.is_(True))
            .order_by(Topic.position, Topic.name)
        )
    )
    ids = {t.id for t in topics}
    by_parent: dict[int | None, list] = {}
    for t in topics:
        by_parent.setdefault(t.parent_id if t.parent_id in ids else None, []).append(t)
    out: list[TopicNode] = []

    def walk(parent: int | None, ancestors: tuple[int, ...]) -> None:
        """Append the children of ``parent``, depth first."""
        for t in by_parent.get(parent, []):
            node = TopicNode(
                t.id, t.name, t.parent_id if t.parent_id in ids else None, len(ancestors), ancestors
            )
            node.children.extend(c.id for c in by_parent.get(t.id, []))
            out.append(node)
            walk(t.id, (*ancestors, t.id))

    walk(None, ())
    return out


def _in_period(period_start: datetime, period_end: datetime, survey_id: int | None) -> list:
    conditions = [Response.created_at >= period_start, Response.created_at < period_end]
    if survey_id is not None:
        conditions.append(Response.survey_id == survey_id)
    return conditions


def period_responses(period_start: datetime, period_end: datetime, survey_id: int | None = None) -> sa.CTE:
    """The period's responses as a materialised CTE, so every query starts from the period (by the
    created_at index) and reaches mentions by response id: its cost follows the period, not the history."""
    return (
        sa.select(
            Response.id,
            Response.account_id,
            Response.kind,
            Response.score,
            Response.created_at,
            sa.case((Response.kind == SurveyKind.NPS, Response.score)).label("nps"),
        )
        .where(*_in_period(period_start, period_end, survey_id))
        .cte("period_responses")
        .prefix_with("MATERIALIZED")
    )


def _hits(start: datetime, end: datetime, survey_id: int | None, only: Iterable[int] | None) -> list:
    """Conditions on ``topic_hits`` for responses in [start, end) (of a survey; under topics ``only``)."""
    conditions = [TopicHit.created_at >= start, TopicHit.created_at < end]
    if survey_id is not None:
        conditions.append(TopicHit.survey_id == survey_id)
    if only is not None:
        conditions.append(TopicHit.topic_id.in_(sorted(set(only))))
    return conditions


def _hit_nps() -> sa.ColumnElement:
    return sa.case((TopicHit.kind == SurveyKind.NPS.value, TopicHit.score))


FIRST_DAY, LAST_DAY = datetime(1970, 1, 2), datetime(2099, 12, 30)  # the stored offset history's span


def day_tables_usable(periods: Sequence[Period]) -> bool:
    """Whether the per-day tables (``topic_days``, ``topic_day_totals``: local days as the rollups count
    them) answer for ``periods`` exactly: every period in one zone, the zone whose offsets the rollups
    were counted in, each bound a local midnight by those offsets, and no offset change in their span
    that moves local time across a midnight (where a local day would not be one stretch of time). Else
    the figures come from ``topic_hits`` by instant."""
    zones = {p.zone for p in periods}
    if len(zones) != 1:
        return False
    zone = zones.pop()
    offsets = zone_offsets(zone)
    bounds = sorted({b.replace(tzinfo=None) for p in periods for b in (p.start, p.end)})
    if not bounds or bounds[0] < FIRST_DAY or bounds[-1] > LAST_DAY:
        return False

    def offset_at(at: datetime) -> int:
        return next((m for since, m in reversed(offsets) if since <= at), 0)

    for p in periods:
        for bound, day in ((p.start, p.first), (p.end, p.last + timedelta(days=1))):
            naive = bound.astimezone(UTC).replace(tzinfo=None)
            if naive + timedelta(minutes=offset_at(naive)) != datetime.combine(day, datetime.min.time()):
                return False
    lo, hi = bounds[0] - timedelta(days=2), bounds[-1] + timedelta(days=2)
    for (_, before), (since, after) in pairwise(offsets):
        if lo <= since <= hi:
            old = since + timedelta(minutes=before) - timedelta(seconds=1)
            if old.date() != (since + timedelta(minutes=after)).date():
                return False
    return days_follow(zone)


@dataclass
class TopicCounts:
    """One topic's counts in a period."""

    responses: int = 0
    accounts: int = 0
    positive: int = 0  # mentions
    neutral: int = 0
    negative: int = 0
    promoters: int = 0  # among its NPS responses
    passives: int = 0
    detractors: int = 0

    @property
    def mentions(self) -> int:
        """Mentions with any sentiment label (or none)."""
        return self.positive + self.neutral + self.negative

    @property
    def nps_counts(self) -> tuple[int, int, int]:
        """(promoters, passives, detractors) of its NPS responses."""
        return self.promoters, self.passives, self.detractors


def topic_counts(
    period: Period,
    survey_id: int | None = None,
    only: Iterable[int] | None = None,
    sentiment: bool = True,
) -> dict[int, TopicCounts]:
    """Responses, accounts, NPS bands and (with ``sentiment``) mention sentiment per topic, subtopics in.

    One grouped scan of ``topic_hits`` (one row per response and topic, subtopics' mentions in): a
    response counts once per topic, its mentions each count."""
    sums = [sa.func.sum(TopicHit.positive), sa.func.sum(TopicHit.neutral), sa.func.sum(TopicHit.negative)]
    out: dict[int, TopicCounts] = {}
    for a, n, accounts, p, m, d, *mentions in db.session.execute(
        sa.select(
            TopicHit.topic_id,
            sa.func.count(),
            sa.func.count(sa.distinct(TopicHit.account_id)),
            *_bands(_hit_nps()),
            *(sums if sentiment else []),
        )
        .where(*_hits(period.start, period.end, survey_id, only))
        .group_by(TopicHit.topic_id)
    ):
        counts = TopicCounts(
            responses=n, accounts=accounts, promoters=p or 0, passives=m or 0, detractors=d or 0
        )
        if sentiment:
            counts.positive, counts.neutral, counts.negative = (int(v or 0) for v in mentions)
        out[a] = counts
    return out


def _bands(score: sa.ColumnElement) -> list[sa.ColumnElement]:
    return [
        sa.func.sum(sa.case((score >= 9, 1), else_=0)),
        sa.func.sum(sa.case((score.between(7, 8), 1), else_=0)),
        sa.func.sum(sa.case((score <= 6, 1), else_=0)),
    ]


@dataclass(frozen=True)
class Totals:
    """All responses of a period: how many, how many were analysed comments, and the NPS bands."""

    responses: int
    analysed: int
    promoters: int
    passives: int
    detractors: int

    @property
    def nps_counts(self) -> tuple[int, int, int]:
        """(promoters, passives, detractors)."""
        return self.promoters, self.passives, self.detractors


def totals(period: Period, survey_id: int | None = None) -> Totals:
    """Responses in the period, analysed comments (the share denominator), and NPS bands."""
    score = sa.case((Response.kind == SurveyKind.NPS, Response.score))
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((Response.analysis_state == AnalysisState.DONE, 1), else_=0)),
            *_bands(score),
        ).where(*_in_period(period.start, period.end, survey_id))
    ).one()
    return Totals(*(int(v or 0) for v in row))


def weekly_counts(
    buckets: Sequence[Period],
    survey_id: int | None = None,
    only: Iterable[int] | None = None,
) -> tuple[dict[int, list[int]], list[int]]:
    """Responses per topic per bucket, and analysed comments per bucket (for shares over time)."""
    if not buckets:
        return {}, []
    bucket = sa.case(*[(TopicHit.created_at < b.end, i) for i, b in enumerate(buckets)])
    per_topic: dict[int, list[int]] = {}
    rows = db.session.execute(
        sa.select(TopicHit.topic_id, bucket.label("b"), sa.func.count())
        .where(*_hits(buckets[0].start, buckets[-1].end, survey_id, only))
        .group_by(TopicHit.topic_id, bucket)
    )
    for a, b, n in rows:
        per_topic.setdefault(a, [0] * len(buckets))[b] = n
    denominators = [0] * len(buckets)
    which = sa.case(*[(Response.created_at < b.end, i) for i, b in enumerate(buckets)])
    for b, n in db.session.execute(
        sa.select(which.label("b"), sa.func.count())
        .where(*_in_period(buckets[0].start, buckets[-1].end, survey_id))
        .where(Response.analysis_state == AnalysisState.DONE)
        .group_by(which)
    ):
        denominators[b] = n
    return per_topic, denominators


def negative_accounts(
    period: Period, survey_id: int | None = None, only: Iterable[int] | None = None
) -> dict[int, list[tuple[int, str, int, int]]]:
    """Per topic, the accounts that mentioned it negatively: (id, name, ARR, negative responses), by ARR.

    PostgreSQL, a period in the per-day tables' days: from ``topic_account_days`` (a topic's rows are
    one range of its key); else a grouping of ``topic_hits``."""
    if db.session.get_bind().dialect.name == "postgresql" and day_tables_usable([period]):
        from app.insights.accounts_sql import ACCOUNT_DAYS

        days = sa.table(
            ACCOUNT_DAYS,
            sa.column("topic_id", sa.Integer),
            sa.column("day", sa.Date),
            sa.column("survey_id", sa.Integer),
            sa.column("account_id", sa.Integer),
            sa.column("negative", sa.Integer),
        )
        conditions = [days.c.day >= period.first, days.c.day <= period.last, days.c.negative > 0]
        if survey_id is not None:
            conditions.append(days.c.survey_id == survey_id)
        if only is not None:
            conditions.append(days.c.topic_id.in_(sorted(set(only))))
        stmt = (
            sa.select(days.c.topic_id, Account.id, Account.name, Account.arr, sa.func.sum(days.c.negative))
            .join(Account, Account.id == days.c.account_id)
            .where(*conditions)
            .group_by(days.c.topic_id, Account.id, Account.name, Account.arr)
        )
    else:
        stmt = (
            sa.select(TopicHit.topic_id, Account.id, Account.name, Account.arr, sa.func.count())
            .join(Account, Account.id == TopicHit.account_id)
            .where(*_hits(period.start, period.end, survey_id, only), TopicHit.negative > 0)
            .group_by(TopicHit.topic_id, Account.id, Account.name, Account.arr)
        )
    out: dict[int, list[tuple[int, str, int, int]]] = {}
    for a, account_id, name, arr, n in db.session.execute(stmt):
        out.setdefault(a, []).append((account_id, name, int(arr or 0), int(n)))
    for accounts in out.values():
        accounts.sort(key=lambda row: (-row[2], row[1]))
    return out


def data_version() -> tuple[int, int]:
    """The newest response and mention ids: any new answer, tag or rejection changes them."""
    row = db.session.execute(
        sa.select(sa.func.max(Response.id), sa.select(sa.func.max(Mention.id)).scalar_subquery())
    )
    newest_response, newest_mention = row.one()
    return int(newest_response or 0), int(newest_mention or 0)


def retag_running() -> RetagRun | None:
    """The re-tag run in progress, if any: while history is re-tagged, shares move for no real reason."""
    return db.session.execute(
        sa.select(RetagRun)
        .where(RetagRun.state.in_([RetagState.QUEUED, RetagState.RUNNING]))
        .order_by(RetagRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()


@dataclass
class Windows:
    """Several periods' figures from one pass: per named window, the topic counts, totals and revenue at
    stake (per topic: how many accounts mentioned it negatively, and their ARR); per bucket, the topics'
    responses and the analysed comments."""

    counts: dict[str, dict[int, TopicCounts]]
    totals: dict[str, Totals]
    revenue: dict[str, dict[int, tuple[int, int]]]
    weekly: tuple[dict[int, list[int]], list[int]]


def windows(
    named: dict[str, Period],
    buckets: Sequence[Period] = (),
    survey_id: int | None = None,
    only: Iterable[int] | None = None,
    accounts: Iterable[str] = (),
    negative: Iterable[str] = (),
) -> Windows:
    """What ``topic_counts``, ``totals``, ``negative_accounts`` and ``weekly_counts`` give for each of
    the ``named`` periods and ``buckets``, identical figure for figure, in three statements over their
    union: the local days (or instants) bounding any of them cut it into segments; the additive counts
    are grouped by (topic, segment) and summed per period in Python — from ``topic_days`` and
    ``topic_day_totals`` (a row per local day × topic × survey, and per day × survey) when their days are
    the periods' (``day_tables_usable``), else from ``topic_hits`` and ``responses`` by instant; distinct
    accounts (asked for the periods in ``accounts``) and revenue at stake (``negative``) from
    ``account_figures``."""
    _room_to_group()
    periods = [*named.values(), *buckets]
    # by local day from the per-day tables when they are in the periods' zone, else by instant
    by_day = day_tables_usable(periods)
    spans = (
        [(p.first, p.last + timedelta(days=1)) for p in periods]
        if by_day
        else [(p.start, p.end) for p in periods]
    )
    cuts = sorted({t for span in spans for t in span})
    lo, hi = cuts[0], cuts[-1]

    def covered(start: date | datetime, end: date | datetime) -> list[int]:
        return [i for i in range(len(cuts) - 1) if start <= cuts[i] and cuts[i + 1] <= end]

    def segment(column: sa.ColumnElement) -> sa.ColumnElement:
        inner = [(column < cut, i) for i, cut in enumerate(cuts[1:-1])]
        return sa.case(*inner, else_=len(cuts) - 2) if inner else sa.literal(0)

    segs = {name: covered(*span) for name, span in zip(named, spans, strict=False)}
    bucket_segs = [covered(*span) for span in spans[len(named) :]]

    # 1. additive counts per (topic, segment)
    per: dict[int, dict[int, tuple[int, ...]]] = {}
    for a, s, *values in db.session.connection().execute(
        _day_sums(lo, hi, survey_id, only, segment) if by_day else _hit_sums(lo, hi, survey_id, only, segment)
    ):
        per.setdefault(a, {})[s] = tuple(int(v or 0) for v in values)

    def summed(rows: dict[int, tuple[int, ...]], wanted: list[int]) -> list[int]:
        out = [0] * 7
        for s in wanted:
            for j, v in enumerate(rows.get(s, ())):
                out[j] += v
        return out

    counts: dict[str, dict[int, TopicCounts]] = {name: {} for name in named}
    for a, rows in per.items():
        for name, wanted in segs.items():
            n, p, m, d, pos, neu, neg = summed(rows, wanted)
            if n:
                counts[name][a] = TopicCounts(n, 0, pos, neu, neg, p, m, d)
    per_topic = {}
    for a, rows in per.items():
        series = [summed(rows, wanted)[0] for wanted in bucket_segs]
        if any(series):
            per_topic[a] = series

    # 2. distinct accounts and the negative ones' count and ARR, per topic and window
    distinct, revenue = account_figures(
        {w: named[w] for w in accounts}, {w: named[w] for w in negative}, survey_id, only, by_day
    )
    for w, by_topic in distinct.items():
        for a, k in by_topic.items():
            if a in counts[w]:
                counts[w][a].accounts = k

    # 3. every response: totals per segment
    by_seg: dict[int, tuple[int, ...]] = {}
    for s, *values in db.session.execute(
        _day_totals(lo, hi, survey_id, segment) if by_day else _response_totals(lo, hi, survey_id, segment)
    ):
        by_seg[s] = tuple(int(v or 0) for v in values)

    def total(wanted: list[int]) -> list[int]:
        out = [0] * 5
        for s in wanted:
            for j, v in enumerate(by_seg.get(s, ())):
                out[j] += v
        return out

    return Windows(
        counts=counts,
        totals={name: Totals(*total(wanted)) for name, wanted in segs.items()},
        revenue=revenue,
        weekly=(per_topic, [total(wanted)[1] for wanted in bucket_segs]),
    )


def window_totals(period: Period, survey_id: int | None = None) -> Totals:
    """``windows({"now": period}, (), survey_id).totals["now"]`` alone (its third statement): the
    period's responses, analysed comments and NPS bands, from ``topic_day_totals`` when its days are the
    period's, else from ``responses`` by instant."""
    if day_tables_usable([period]):
        stmt = _day_totals(period.first, period.last + timedelta(days=1), survey_id, lambda _: sa.literal(0))
    else:
        stmt = _response_totals(period.start, period.end, survey_id, lambda _: sa.literal(0))
    row = db.session.execute(stmt).first()
    return Totals(*(int(v or 0) for v in (row[1:] if row else (0,) * 5)))


def account_figures(
    accounts: dict[str, Period],
    negative: dict[str, Period],
    survey_id: int | None = None,
    only: Iterable[int] | None = None,
    by_day: bool | None = None,
) -> tuple[dict[str, dict[int, int]], dict[str, dict[int, tuple[int, int]]]]:
    """Per topic, its distinct accounts in each period of ``accounts``, and in each period of
    ``negative`` how many accounts mentioned it negatively and their ARR (revenue at stake; each account
    once per topic and period, at its current ARR; an account no longer on file counts in neither).

    PostgreSQL, periods in the per-day tables' days (``by_day``, else ``day_tables_usable``): the
    ``bit_or`` of ``topic_account_bits`` per topic over each segment the periods' bounds cut (one row per
    topic, day, survey and chunk of 4,096 account ids), combined per period in Python; ARR read for the
    accounts set in any negative bit string. Else one grouping of ``topic_hits`` by (topic, account),
    summed per topic in SQL (a row per topic comes back)."""
    if not accounts and not negative:
        return {}, {}
    periods = {**accounts, **negative}
    if by_day is None:
        by_day = day_tables_usable(list(periods.values()))
    if by_day and db.session.get_bind().dialect.name == "postgresql":
        return _account_bits(accounts, negative, survey_id, only)
    return _account_hits(accounts, negative, survey_id, only)


def _months_and_edges(cuts: list[date]) -> tuple[list[date], list[tuple[date, date]]]:
    """For the segments [cuts[i], cuts[i + 1]): the first days of the calendar months lying wholly inside
    one of them, and the day ranges [a, b) of the segments outside those months."""
    months: list[date] = []
    edges: list[tuple[date, date]] = []
    for lo, hi in pairwise(cuts):
        at = lo
        month = lo if lo.day == 1 else _next_month(lo)
        while _next_month(month) <= hi:
            if at < month:
                edges.append((at, month))
            months.append(month)
            at = _next_month(month)
            month = at
        if at < hi:
            edges.append((at, hi))
    return months, edges


def _next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _account_bits(accounts, negative, survey_id, only):
    from app.insights.accounts_sql import ACCOUNT_BITS, CHUNK
    from app.insights.months_sql import MONTHS

    periods = {**accounts, **negative}
    cuts = sorted({d for p in periods.values() for d in (p.first, p.last + timedelta(days=1))})
    segs = {
        name: [
            i
            for i in range(len(cuts) - 1)
            if p.first <= cuts[i] and cuts[i + 1] <= p.last + timedelta(days=1)
        ]
        for name, p in periods.items()
    }

    def bit_table(name: str, when: str) -> sa.TableClause:
        return sa.table(
            name,
            sa.column(when, sa.Date),
            sa.column("topic_id", sa.Integer),
            sa.column("survey_id", sa.Integer),
            sa.column("chunk", sa.Integer),
            sa.column("accounts"),
            sa.column("negative"),
        )

    def segment(column: sa.ColumnElement) -> sa.ColumnElement:
        inner = [(column < cut, i) for i, cut in enumerate(cuts[1:-1])]
        return sa.case(*inner, else_=len(cuts) - 2) if inner else sa.literal(0)

    # each segment's whole calendar months from the month rows, its other days from the day rows
    months, edges = _months_and_edges(cuts)
    parts = []
    for table, when, wanted in (
        (bit_table(ACCOUNT_BITS, "day"), "day", edges),
        (bit_table(MONTHS, "month"), "month", months),
    ):
        if not wanted:
            continue
        column = table.c[when]
        # survey 0: every survey's accounts in one row (accounts_sql)
        conditions = [table.c.survey_id == (survey_id or 0)]
        if when == "day":
            conditions.append(sa.or_(*[sa.and_(column >= a, column < b) for a, b in wanted]))
        else:
            conditions.append(column.in_(wanted))
        if only is not None:
            conditions.append(table.c.topic_id.in_(sorted(set(only))))
        parts.append(
            sa.select(
                table.c.topic_id,
                table.c.chunk,
                segment(column).label("seg"),
                table.c.accounts,
                table.c.negative,
            ).where(*conditions)
        )
    rows = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery()
    seg = rows.c.seg
    as_text = [
        sa.cast(sa.func.bit_or(rows.c.accounts), sa.Text),
        sa.cast(sa.func.bit_or(rows.c.negative), sa.Text),
    ]
    # per (topic, chunk): each period's union of its segments' bit strings, as Python ints
    union: dict[tuple[int, int], dict[str, list[int]]] = {}
    for topic_id, chunk, s, seen, bad in db.session.connection().execute(
        sa.select(rows.c.topic_id, rows.c.chunk, seg, *as_text).group_by(rows.c.topic_id, rows.c.chunk, seg)
    ):
        both = union.setdefault((topic_id, chunk), {})
        seen_i, bad_i = int(seen, 2), int(bad, 2)
        for name, wanted in segs.items():
            if s in wanted:
                pair = both.setdefault(name, [0, 0])
                pair[0] |= seen_i
                pair[1] |= bad_i
    distinct: dict[str, dict[int, int]] = {w: {} for w in accounts}
    for (topic_id, _), both in union.items():
        for w in accounts:
            k = both.get(w, (0, 0))[0].bit_count()
            if k:
                distinct[w][topic_id] = distinct[w].get(topic_id, 0) + k
    # the ARR (and being on file) of every account set in a negative bit string, by chunk and bit
    wanted_ids: dict[int, int] = {}
    for (_, chunk), both in union.items():
        for w in negative:
            wanted_ids[chunk] = wanted_ids.get(chunk, 0) | both.get(w, (0, 0))[1]
    ids = [
        chunk * CHUNK + (CHUNK - 1 - position)
        for chunk, mask in wanted_ids.items()
        for position in range(mask.bit_length())
        if mask >> position & 1
    ]
    arr_of: dict[int, np.ndarray] = {}
    on_file: dict[int, np.ndarray] = {}
    listed = sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Integer))  # one array, not n parameters
    if ids:
        for account_id, arr in db.session.execute(
            sa.select(Account.id, Account.arr).where(Account.id == sa.any_(listed))
        ):
            chunk, bit = divmod(account_id, CHUNK)
            if chunk not in arr_of:
                arr_of[chunk], on_file[chunk] = np.zeros(CHUNK), np.zeros(CHUNK)
            arr_of[chunk][bit] = int(arr or 0)
            on_file[chunk][bit] = 1
    revenue: dict[str, dict[int, tuple[int, int]]] = {w: {} for w in negative}
    for (topic_id, chunk), both in union.items():
        if chunk not in on_file:
            continue
        for w in negative:
            mask = both.get(w, (0, 0))[1]
            if not mask:
                continue
            flags = np.unpackbits(np.frombuffer(mask.to_bytes(CHUNK // 8, "big"), dtype=np.uint8))
            n = int(flags @ on_file[chunk])
            if n:
                k, total = revenue[w].get(topic_id, (0, 0))
                revenue[w][topic_id] = (k + n, total + int(flags @ arr_of[chunk]))
    return distinct, revenue


def _account_hits(accounts, negative, survey_id, only):
    """``account_figures`` from ``topic_hits``: grouped by (topic, account), then per topic."""
    at = TopicHit.created_at

    def inside(p: Period, *more) -> sa.ColumnElement:
        return sa.func.max(sa.case((sa.and_(at >= p.start, at < p.end, *more), 1), else_=0))

    flags = [inside(p).label(f"a{i}") for i, p in enumerate(accounts.values())]
    flags += [inside(p, TopicHit.negative > 0).label(f"n{i}") for i, p in enumerate(negative.values())]
    periods = [*accounts.values(), *negative.values()]
    pairs = (
        sa.select(TopicHit.topic_id, TopicHit.account_id, *flags)
        .where(
            *_hits(min(p.start for p in periods), max(p.end for p in periods), survey_id, only),
            TopicHit.account_id.is_not(None),
        )
        .group_by(TopicHit.topic_id, TopicHit.account_id)
        .subquery()
    )
    known = Account.id.is_not(None)
    sums = [sa.func.sum(pairs.c[f"a{i}"]) for i in range(len(accounts))]
    for i in range(len(negative)):
        bad = sa.and_(pairs.c[f"n{i}"] == 1, known)
        sums += [
            sa.func.sum(sa.case((bad, 1), else_=0)),
            sa.func.sum(sa.case((bad, sa.func.coalesce(Account.arr, 0)), else_=0)),
        ]
    distinct: dict[str, dict[int, int]] = {w: {} for w in accounts}
    revenue: dict[str, dict[int, tuple[int, int]]] = {w: {} for w in negative}
    for topic_id, *values in db.session.connection().execute(
        sa.select(pairs.c.topic_id, *sums)
        .outerjoin(Account, Account.id == pairs.c.account_id)
        .group_by(pairs.c.topic_id)
    ):
        for w, k in zip(accounts, values, strict=False):
            if k:
                distinct[w][topic_id] = int(k)
        rest = values[len(accounts) :]
        for i, w in enumerate(negative):
            n, total = int(rest[2 * i] or 0), int(rest[2 * i + 1] or 0)
            if n:
                revenue[w][topic_id] = (n, total)
    return distinct, revenue


def _hit_sums(lo: datetime, hi: datetime, survey_id: int | None, only, segment) -> sa.Select:
    """(topic, segment, responses, promoters, passives, detractors, positive, neutral, negative) from
    ``topic_hits``, by instant."""
    seg = segment(TopicHit.created_at)
    return (
        sa.select(
            TopicHit.topic_id,
            seg,
            sa.func.count(),
            *_bands(_hit_nps()),
            sa.func.sum(TopicHit.positive),
            sa.func.sum(TopicHit.neutral),
            sa.func.sum(TopicHit.negative),
        )
        .where(*_hits(lo, hi, survey_id, only))
        .group_by(TopicHit.topic_id, seg)
    )


def _day_sums(lo: date, hi: date, survey_id: int | None, only, segment) -> sa.Select:
    """The same sums from ``topic_days``, local days [lo, hi)."""
    seg = segment(TopicDay.day)
    conditions = [TopicDay.day >= lo, TopicDay.day < hi]
    if survey_id is not None:
        conditions.append(TopicDay.survey_id == survey_id)
    if only is not None:
        conditions.append(TopicDay.topic_id.in_(sorted(set(only))))
    columns = ("responses", "promoters", "passives", "detractors", "positive", "neutral", "negative")
    return (
        sa.select(TopicDay.topic_id, seg, *[sa.func.sum(getattr(TopicDay, c)) for c in columns])
        .where(*conditions)
        .group_by(TopicDay.topic_id, seg)
    )


def _response_totals(lo: datetime, hi: datetime, survey_id: int | None, segment) -> sa.Select:
    """(segment, responses, analysed, promoters, passives, detractors) from ``responses``, by instant."""
    rseg = segment(Response.created_at)
    score = sa.case((Response.kind == SurveyKind.NPS, Response.score))
    return (
        sa.select(
            rseg,
            sa.func.count(),
            sa.func.sum(sa.case((Response.analysis_state == AnalysisState.DONE, 1), else_=0)),
            *_bands(score),
        )
        .where(*_in_period(lo, hi, survey_id))
        .group_by(rseg)
    )


def _day_totals(lo: date, hi: date, survey_id: int | None, segment) -> sa.Select:
    """The same from ``topic_day_totals``, local days [lo, hi)."""
    seg = segment(TopicDayTotal.day)
    conditions = [TopicDayTotal.day >= lo, TopicDayTotal.day < hi]
    if survey_id is not None:
        conditions.append(TopicDayTotal.survey_id == survey_id)
    columns = ("responses", "analysed", "promoters", "passives", "detractors")
    return (
        sa.select(seg, *[sa.func.sum(getattr(TopicDayTotal, c)) for c in columns])
        .where(*conditions)
        .group_by(seg)
    )


def _room_to_group() -> None:
    """PostgreSQL: enough memory for this transaction's groupings of a period's topic hits (tens of
    thousands of (topic, account) groups) to stay in memory, not spill to disk (the default is 4 MB)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))


def nps_topic_groups(period: Period, survey_id: int | None = None) -> dict[tuple[tuple[int, ...], int], int]:
    """The period's NPS answers (with a score) that mention an active topic themselves, grouped: (their
    topics, sorted; the answer coded 100 / 0 / −100 for promoter / passive / detractor) → how many answers:
    the sufficient statistics of the driver fit.

    PostgreSQL, a period in the per-day tables' days: summed from ``topic_pattern_days`` (a row per local
    day × survey × set of own topics, kept by triggers: ``app/insights/patterns_sql.py``), grouped by
    pattern in SQL. Else ``nps_topic_groups_from_hits``."""
    if db.session.get_bind().dialect.name != "postgresql" or not day_tables_usable([period]):
        return nps_topic_groups_from_hits(period, survey_id)
    from app.insights.patterns_sql import PATTERNS

    _room_to_group()
    table = sa.table(
        PATTERNS,
        sa.column("day", sa.Date),
        sa.column("survey_id", sa.Integer),
        sa.column("topics", sa.Text),
        sa.column("promoters", sa.Integer),
        sa.column("passives", sa.Integer),
        sa.column("detractors", sa.Integer),
    )
    conditions = [table.c.day >= period.first, table.c.day <= period.last]
    if survey_id is not None:
        conditions.append(table.c.survey_id == survey_id)
    stmt = (
        sa.select(
            table.c.topics,
            sa.func.sum(table.c.promoters),
            sa.func.sum(table.c.passives),
            sa.func.sum(table.c.detractors),
        )
        .where(*conditions)
        .group_by(table.c.topics)
    )
    out: dict[tuple[tuple[int, ...], int], int] = {}
    for topics, promoters, passives, detractors in db.session.connection().execute(stmt):
        key = tuple(map(int, topics.split(",")))  # stored sorted by id
        for value, n in ((100, promoters), (0, passives), (-100, detractors)):
            if n:
                out[(key, value)] = int(n)
    return out


def nps_topic_groups_from_hits(
    period: Period, survey_id: int | None = None
) -> dict[tuple[tuple[int, ...], int], int]:
    """``nps_topic_groups`` from ``topic_hits`` by instant, in one statement: each answer's own topics
    joined into one string, then counted by (topics, score)."""
    _room_to_group()
    listed = sa.func.aggregate_strings(sa.cast(TopicHit.topic_id, sa.String), ",")
    per_response = (
        sa.select(TopicHit.score.label("score"), listed.label("topics"))
        .where(
            *_hits(period.start, period.end, survey_id, None),
            TopicHit.kind == SurveyKind.NPS.value,
            TopicHit.score.is_not(None),
            TopicHit.own_mentions > 0,
        )
        .group_by(TopicHit.response_id, TopicHit.score)
        .subquery()
    )
    out: dict[tuple[tuple[int, ...], int], int] = {}
    for score, topics, n in db.session.connection().execute(
        sa.select(per_response.c.score, per_response.c.topics, sa.func.count()).group_by(
            per_response.c.score, per_response.c.topics
        )
    ):
        key = (tuple(sorted(int(t) for t in topics.split(","))), coded(int(score)))
        out[key] = out.get(key, 0) + n  # the same topics in another order or another score of a band
    return out


def coded(score: int) -> int:
    """An NPS answer coded for the driver fit: promoters 100, passives 0, detractors −100."""
    return 100 if score >= 9 else (-100 if score <= 6 else 0)
