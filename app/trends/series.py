"""The Trends page's read model: validated filters, buckets in the workspace's local days, one series per
segment, response rates and the score distribution — all from the rollups, bucketed in the database:
overall and by survey from the day rollup (a row per day, survey and kind), by an account's tier, plan,
stage or CSM from the segment rollup (a row per day and value), by account from the month rollup (a row
per month and account) plus the fine one for partial months at the ends of the range."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.metrics import Score
from app.models import (
    Account,
    DeliveryState,
    Invitation,
    ResponseDayRollup,
    ResponseMonthRollup,
    ResponseMonthTotal,
    ResponseRollup,
    ResponseSegmentRollup,
    Survey,
    SurveyKind,
    User,
)
from app.trends.queries import Counts
from app.trends.rollup_sql import COUNT_COLUMNS, sqlite_day
from app.workspace_settings import workspace_timezone

R = ResponseRollup
D = ResponseDayRollup
M = ResponseMonthRollup
S = ResponseSegmentRollup
COUNT_NAMES = tuple(COUNT_COLUMNS)
SEGMENT_ROLLUP = {"tier": "tier", "plan": "plan", "stage": "stage", "csm": "csm"}  # page -> rollup name
EXPLORER_ARGS = {s: s for s in ("tier", "plan", "stage", "csm", "survey", "account")}  # the explorer's names
KINDS = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
GRAINS = {"day": "Day", "week": "Week", "month": "Month", "quarter": "Quarter"}
COARSER = {"day": "week", "week": "month", "month": "quarter"}
SEGMENTS = {
    "": "Overall",
    "tier": "Tier",
    "plan": "Plan",
    "stage": "Lifecycle stage",
    "csm": "CSM",
    "survey": "Survey",
    "account": "Account",
}
MAX_POINTS = 400  # more buckets × series than this and the grain coarsens
CHART_SERIES = 6  # the biggest series drawn; the table lists them all
MAX_RANGE_DAYS = 3660
# Split by account: the chart draws the top N accounts and "all other accounts" combined (exactly: every
# answer less the top N's and those without an account); every account is in the ranked table (paged)
# and the CSV.
TOP_CHOICES = (5, 10)
RANKS = {"answers": "answers in the range", "arr": "ARR"}
ACCOUNTS_PER_PAGE = 50
OTHERS = -1  # the series key of "all other accounts"
EVERY = -2  # in a read of the top accounts by bucket: every answer of the bucket


@dataclass(frozen=True)
class TrendFilters:
    """The page's checked arguments; ``errors`` say in words what was wrong (shown, never a 500)."""

    kind: str = "nps"
    grain: str = "month"
    start: date = date.min
    end: date = date.min
    segment: str = ""
    errors: tuple[str, ...] = ()
    unknown_segment: str | None = None
    top: int = TOP_CHOICES[0]  # split by account: how many accounts get their own line
    rank: str = "answers"  # … chosen by answers in the range or by ARR
    page: int = 1  # … page of the ranked table of every account

    @classmethod
    def from_args(cls, args: MultiDict, today: date) -> TrendFilters:
        """Parse a query string; bad values fall back to defaults and leave a message."""
        errors: list[str] = []
        kind = (args.get("kind") or "nps").strip()
        if kind not in KINDS:
            errors.append(f"There is no score called “{kind[:40]}”; showing NPS.")
            kind = "nps"
        grain = (args.get("grain") or "month").strip()
        if grain not in GRAINS:
            errors.append(f"“{grain[:40]}” is not a bucket size; use day, week, month or quarter.")
            grain = "month"
        end = _day(args.get("end"), "End", errors) or today
        start = _day(args.get("start"), "Start", errors) or end - timedelta(days=364)
        if end < start:
            errors.append("The end date is before the start date; showing the year up to the end date.")
            start = end - timedelta(days=364)
        if (end - start).days > MAX_RANGE_DAYS:
            errors.append("Ranges are limited to ten years; showing the ten years up to the end date.")
            start = end - timedelta(days=MAX_RANGE_DAYS)
        segment = (args.get("segment") or "").strip()
        unknown = None
        if segment not in SEGMENTS:
            unknown, segment = segment[:40], ""
        top = _whole(args.get("top"), TOP_CHOICES[0])
        if top not in TOP_CHOICES:
            errors.append(f"Top accounts: choose {' or '.join(map(str, TOP_CHOICES))}; showing the top 5.")
            top = TOP_CHOICES[0]
        rank = (args.get("rank") or "answers").strip()
        if rank not in RANKS:
            errors.append(f"“{rank[:40]}” is not a ranking; use answers or arr.")
            rank = "answers"
        page = _whole(args.get("page"), 1)
        if page is None or not 1 <= page <= 100_000:
            errors.append("The page must be a whole number from 1; showing the first.")
            page = 1
        return cls(kind, grain, start, end, segment, tuple(errors), unknown, top, rank, page)

    def query(self, **changes: Any) -> dict[str, str]:
        """The query string of these filters (with changes), for links and the CSV."""
        values = {
            "kind": self.kind,
            "grain": self.grain,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "segment": self.segment,
        }
        if self.segment == "account":
            values |= {"top": str(self.top), "rank": self.rank}
            if self.page > 1:
                values["page"] = str(self.page)
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


def _whole(raw: str | None, default: int) -> int | None:
    """A whole number argument (``default`` when absent, None when not a number)."""
    raw = (raw or "").strip()
    if not raw:
        return default
    return int(raw) if raw.isdigit() and len(raw) < 8 else None


def _day(raw: str | None, label: str, errors: list[str]) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label} date “{raw[:40]}” is not a date like 2026-01-31; using the default.")
        return None
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        errors.append(f"{label} date {value.isoformat()} is out of range; using the default.")
        return None
    return value


def bucket_of(day: date, grain: str) -> date:
    """The first day of the bucket holding ``day``: the day, its ISO week's Monday, month or quarter."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def buckets(start: date, end: date, grain: str) -> list[date]:
    """Every bucket from the one holding ``start`` to the one holding ``end``."""
    out, current = [], bucket_of(start, grain)
    while current <= end:
        out.append(current)
        current = _next(current, grain)
    return out


def _next(first: date, grain: str) -> date:
    if grain == "day":
        return first + timedelta(days=1)
    if grain == "week":
        return first + timedelta(days=7)
    months = 1 if grain == "month" else 3
    year, month = divmod(first.month - 1 + months, 12)
    return date(first.year + year, month + 1, 1)


def next_bucket(first: date, grain: str) -> date:
    """The first day of the bucket after the one starting on ``first``."""
    return _next(first, grain)


def bucket_label(first: date, grain: str) -> str:
    """How a bucket is named in the table and the chart."""
    if grain == "day":
        return first.isoformat()
    if grain == "week":
        return f"Week of {first.isoformat()}"
    if grain == "month":
        return first.strftime("%b %Y")
    return f"Q{(first.month - 1) // 3 + 1} {first.year}"


def bucket_end(first: date, grain: str, start: date, end: date) -> tuple[date, date]:
    """The bucket's days clipped to the range (what the explorer link asks for)."""
    return max(first, start), min(_next(first, grain) - timedelta(days=1), end)


@dataclass
class Point:
    """One bucket of one series."""

    bucket: date
    counts: Counts
    score: Score


@dataclass
class Series:
    """One line of the chart: a segment value (or everything) with its buckets."""

    key: Any
    label: str
    explorer: dict[str, str] | None  # the explorer arguments that select its responses (None: none can)
    points: list[Point] = field(default_factory=list)

    @property
    def total(self) -> Counts:
        """Every answer of the series in the range."""
        return sum((p.counts for p in self.points), Counts.empty())


@dataclass
class Trend:
    """Everything the page shows."""

    filters: TrendFilters
    grain: str  # after coarsening
    coarsened: bool
    buckets: list[date]
    series: list[Series]
    overall: Counts
    rates: dict[date, tuple[int, int]]  # bucket -> (delivered, answered)
    zone: str
    accounts: AccountTable | None = None  # split by account: every account, ranked (one page)


@dataclass
class AccountRow:
    """One account's answers over the whole range, with its rank."""

    rank: int
    key: int
    name: str
    arr: int | None
    counts: Counts
    score: Score


@dataclass
class AccountTable:
    """Every account with answers in the range, ranked as the chart's top N were; one page of them."""

    rank: str
    total: int  # accounts with answers in the range (not counting answers without an account)
    page: int
    pages: int
    rows: list[AccountRow]


Cells = dict[tuple[date, Any], Counts]


def bucket_sql(column: Any, grain: str) -> Any:
    """SQL for the first day of the bucket holding date ``column`` (as ``bucket_of``), per dialect."""
    if grain == "day":
        return column
    if db.session.get_bind().dialect.name == "postgresql":
        truncated = sa.func.date_trunc(sa.literal_column(f"'{grain}'"), sa.cast(column, sa.DateTime()))
        return sa.cast(truncated, sa.Date)
    if grain == "week":  # the Sunday on or after the day, less six days: its ISO week's Monday
        return sa.func.date(column, sa.literal_column("'weekday 0'"), sa.literal_column("'-6 days'"))
    if grain == "month":
        return sa.func.date(column, sa.literal_column("'start of month'"))
    back = sa.case(
        *[
            (sa.func.strftime("%m", column).in_(months), sa.literal_column(f"'-{k} months'"))
            for k, months in (
                (1, ("02", "05", "08", "11")),
                (2, ("03", "06", "09", "12")),
            )
        ],
        else_=sa.literal_column("'+0 months'"),
    )
    return sa.func.date(column, sa.literal_column("'start of month'"), back)


@dataclass(frozen=True)
class _Source:
    """Where a segment's counts are read: the rollup table, its date column, the key column and filters."""

    table: Any
    day: Any
    key: Any
    where: tuple[Any, ...] = ()
    sign: int = 1  # -1: the rows are subtracted (days outside the range in a month read whole)


Plan = tuple[bool, int, int] | None  # by account in months: (whole months?, days added, days subtracted)
KEYS = "keys"  # only some accounts: the expanding parameter of their keys


def _day_param(name: str) -> Any:
    return sa.bindparam(name, type_=sa.Date)


def range_plan(segment: str, start: date, end: date, grain: str) -> tuple[Plan, dict[str, Any]]:
    """(the shape of the reads ``_sources`` makes for start..end, the values of their parameters). The
    statements are built from the shape alone (and cached): a request builds none, only its values."""
    params: dict[str, Any] = {"start": start, "end": end}
    if segment != "account" or grain not in ("month", "quarter"):
        return None, params
    months, add, subtract = month_plan(start, end)
    if months:
        params |= {"m_lo": months[0], "m_hi": months[-1]}
    for prefix, ranges in (("a", add), ("s", subtract)):
        for i, (low, high) in enumerate(ranges):
            params |= {f"{prefix}{i}_lo": low, f"{prefix}{i}_hi": high}
    return (bool(months), len(add), len(subtract)), params


def _sources(segment: str, kind: str, grain: str, plan: Plan, keys: Any = None) -> list[_Source]:
    """The rollup reads whose union holds the segment's counts over the range (parameters ``start`` and
    ``end``, and those of ``range_plan``) at ``grain``:

    - overall and by survey: the day rollup (day × survey × kind);
    - tier, plan, stage, CSM: the segment rollup (a row per day and value of the account's attribute);
    - account, in months or quarters: the month rollup for the range's whole months, and the fine rollup
      (day × survey × account) for a partial month at either end (its days in the range, or the whole
      month less its days outside the range: ``month_plan``); by day or week (few accounts: the grain
      did not coarsen) the fine rollup.

    By account, ``keys``: only some accounts (0: answers without one), those of the parameter ``keys``
    (KEYS) or of a SELECT."""
    kind_value = SurveyKind(kind).value
    between = (_day_param("start"), _day_param("end"))
    if segment in ("", "survey"):
        key = D.survey_id if segment == "survey" else sa.literal_column("''")
        return [_Source(D, D.day, key, (D.kind == kind_value, D.day.between(*between)))]
    if segment in SEGMENT_ROLLUP:
        where = (S.segment == SEGMENT_ROLLUP[segment], S.kind == kind_value, S.day.between(*between))
        return [_Source(S, S.day, S.value, where)]
    if keys == KEYS:
        keys = sa.bindparam(KEYS, expanding=True)
    fine: tuple[Any, ...] = (R.kind == kind_value,)
    if keys is not None:
        fine = (*fine, R.account_key.in_(keys))
    if plan is None:
        return [_Source(R, R.day, R.account_key, (*fine, R.day.between(*between)))]
    months, n_add, n_subtract = plan
    out = []
    if months:  # a contiguous run
        where = (M.kind == kind_value, M.month.between(_day_param("m_lo"), _day_param("m_hi")))
        if keys is not None:
            where = (*where, M.account_key.in_(keys))
        out.append(_Source(M, M.month, M.account_key, where))
    for prefix, count, sign in (("a", n_add, 1), ("s", n_subtract, -1)):
        if count:
            days = [
                R.day.between(_day_param(f"{prefix}{i}_lo"), _day_param(f"{prefix}{i}_hi"))
                for i in range(count)
            ]
            out.append(_Source(R, R.day, R.account_key, (*fine, sa.or_(*days)), sign))
    return out


def month_plan(start: date, end: date) -> tuple[list[date], list[tuple[date, date]], list[tuple[date, date]]]:
    """How to sum start..end from the month rollup and the fine one reading the fewest fine rows: (months
    to add, day ranges to add, day ranges to subtract). A whole month in the range is added; of a month
    the range covers in part, the days in the range are added, or, when they are more than the days
    outside it, the whole month is added and those outside days subtracted."""
    months: list[date] = []
    add: list[tuple[date, date]] = []
    subtract: list[tuple[date, date]] = []
    month = start.replace(day=1)
    while month <= end:
        after = _next(month, "month")
        low, high = max(month, start), min(after - timedelta(days=1), end)
        inside = (high - low).days + 1
        if inside <= (after - month).days - inside:
            add.append((low, high))
        else:
            months.append(month)
            for a, b in (
                (month, low - timedelta(days=1)),
                (high + timedelta(days=1), after - timedelta(days=1)),
            ):
                if a <= b:
                    subtract.append((a, b))
        month = after
    return months, add, subtract


def _union(sources: list[_Source], columns: Any) -> Any:
    """SELECT ``columns(source)`` of each source, as one statement (UNION ALL when several)."""
    selects = [sa.select(*columns(src)).select_from(src.table).where(*src.where) for src in sources]
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


def segment_statement(
    segment: str, kind: str, start: date, end: date, grain: str, keys: list[int] | None = None
) -> tuple[Any, dict[str, Any]]:
    """(SELECT bucket, segment key, n, s0…s10 of ``kind`` over start..end, bucketed by ``grain`` in the
    database: a row per bucket and key, whatever the rollup's grain (by account: only ``keys`` if given);
    its parameters)."""
    plan, params = range_plan(segment, start, end, grain)
    if keys is not None:
        params[KEYS] = list(keys)
    return _segment_template(segment, kind, grain, plan, keys is not None, _dialect()), params


def _dialect() -> str:
    return db.session.get_bind().dialect.name


@lru_cache(maxsize=512)
def _segment_template(segment: str, kind: str, grain: str, plan: Plan, some: bool, dialect: str) -> Any:
    """``segment_statement``'s SELECT for a shape (built once: its cache key and compiled form reused)."""
    sources = _sources(segment, kind, grain, plan, KEYS if some else None)

    def columns(src: _Source) -> list[Any]:
        return [
            bucket_sql(src.day, grain).label("bucket"),
            src.key.label("key"),
            *[
                (getattr(src.table, c) if src.sign > 0 else -getattr(src.table, c)).label(c)
                for c in COUNT_NAMES
            ],
        ]

    inner = _union(sources, columns).subquery()
    sums = [sa.func.sum(inner.c[c]).label(c) for c in COUNT_NAMES]
    group = [inner.c.bucket, *([inner.c.key] if segment else [])]
    key = inner.c.key if segment else sa.literal_column("''").label("key")
    stmt = sa.select(inner.c.bucket, key, *sums)
    stmt = stmt.group_by(*group)
    # a month read whole less its days outside the range can leave an account with nothing in the range
    return stmt.having(sums[0] > 0) if any(src.sign < 0 for src in sources) else stmt


def trend_rows(filters: TrendFilters) -> tuple[str, list[Any]]:
    """(the grain shown, the rows of ``segment_statement`` at it). One read in the common case: at the
    asked grain, or at the coarser one a single series would already need (over MAX_POINTS). The rows
    name the segment's values; when that many series need a coarser grain still, the rows are folded
    into it in Python when its buckets hold whole ones (day into week, month or quarter; month into
    quarter), else read again at it (week into month)."""
    segment, kind, start, end = filters.segment, filters.kind, filters.start, filters.end
    grain = effective_grain(filters, 1)
    rows = db.session.execute(*segment_statement(segment, kind, start, end, grain)).all()
    shown = effective_grain(filters, len({r[1] for r in rows}))
    if shown == grain:
        return grain, rows
    if grain == "week":  # weeks straddle months: read again
        return shown, db.session.execute(*segment_statement(segment, kind, start, end, shown)).all()
    return shown, fold_rows(rows, shown)


def fold_rows(rows: list[Any], grain: str) -> list[tuple[Any, ...]]:
    """``segment_statement`` rows summed into the coarser ``grain``'s buckets (which hold whole ones)."""
    sums: dict[tuple[date, Any], list[int]] = {}
    for r in rows:
        at = (bucket_of(_as_date(r[0]), grain), r[1])
        counts = sums.get(at)
        if counts is None:
            sums[at] = [int(v) for v in r[2:]]
        else:
            for i, v in enumerate(r[2:]):
                counts[i] += int(v)
    return [(b, k, *counts) for (b, k), counts in sums.items()]


def segment_cells(segment: str, rows: list[Any]) -> Cells:
    """{(bucket, segment key): Counts} of ``segment_statement`` rows."""
    return {(_as_date(r[0]), segment_key(segment, r[1])): Counts(r[2], tuple(r[3:])) for r in rows}


def segment_key(segment: str, raw: Any) -> Any:
    """A segment key as the page uses it: None for no value (tier, plan, stage, CSM), a CSM's user id."""
    if segment in SEGMENT_ROLLUP:
        if raw in (None, ""):
            return None
        return int(raw) if segment == "csm" else str(raw)
    return raw


def _labels(segment: str, keys: list[Any]) -> dict[Any, str]:
    """People's names for segment keys (survey names, account names, CSM names)."""
    ids = [k for k in keys if isinstance(k, int) and k]
    if segment == "survey" and ids:
        return dict(db.session.execute(sa.select(Survey.id, Survey.name).where(Survey.id.in_(ids))).all())
    if segment == "account" and ids:
        return dict(db.session.execute(sa.select(Account.id, Account.name).where(Account.id.in_(ids))).all())
    if segment == "csm" and ids:
        rows = db.session.execute(sa.select(User.id, User.name, User.email).where(User.id.in_(ids)))
        return {r.id: r.name or r.email for r in rows}
    return {}


def _key_text(segment: str, key: Any, names: dict[Any, str]) -> tuple[str, str | None]:
    """(label, explorer value) of one segment key; None value: no explorer filter selects it exactly."""
    if segment == "":
        return "All responses", None
    if key is None or (segment == "account" and key == 0):
        return {"csm": "No CSM", "account": "No account"}.get(
            segment, f"No {SEGMENTS[segment].lower()}"
        ), None
    value = getattr(key, "value", key)
    return names.get(key, str(value).replace("_", " ").capitalize()), str(value)


def effective_grain(filters: TrendFilters, n_keys: int) -> str:
    """The asked grain, coarsened while buckets × series exceed MAX_POINTS."""
    grain = filters.grain
    while grain in COARSER and len(buckets(filters.start, filters.end, grain)) * max(n_keys, 1) > MAX_POINTS:
        grain = COARSER[grain]
    return grain


def account_totals(kind: str, plan: Plan, keys: Any = None, columns: tuple[str, ...] = COUNT_NAMES) -> Any:
    """Subquery (key, *columns): each account's answers of ``kind`` over the range (the parameters of
    ``range_plan(..., "month")``; key 0: answers without an account; only ``keys`` if given, KEYS or a
    SELECT of them), from the month rollup's whole months and the fine one's partial months.
    ``columns`` ("n" first): what to sum; ranking needs only ``n``, a twelfth of the work."""
    sources = _sources("account", kind, "month", plan, keys)

    def select(src: _Source) -> list[Any]:
        return [
            src.key.label("key"),
            *[(getattr(src.table, c) if src.sign > 0 else -getattr(src.table, c)).label(c) for c in columns],
        ]

    inner = _union(sources, select).subquery()
    sums = [sa.func.sum(inner.c[c]).label(c) for c in columns]
    return sa.select(inner.c.key, *sums).group_by(inner.c.key).having(sums[0] > 0).subquery("totals")


def ranked_totals(kind: str, plan: Plan) -> Any:
    """Subquery (key, n): each account's answers of ``kind`` over the range (the parameters of
    ``range_plan(..., "month")`` and ``m_before``, the month before its first whole month), what the
    ranking needs. With whole months in the range, from the running totals (``response_month_totals``):
    an account's total at the last whole month less the one at the month before the first, two
    contiguous slices of the table (~2,000 rows each) instead of every month of the range; an account
    with no row at such a month (no answers in it) takes its latest earlier total (one probe of the
    account's index; none at all before the earliest total of the kind). The partial months at the ends
    from the fine rollup, as ``account_totals``. Every account (the ``accounts`` table) is a candidate;
    answers without an account (key 0) are not ranked and not counted here."""
    if plan is None or not plan[0]:
        return account_totals(kind, plan, columns=("n",))
    T = ResponseMonthTotal
    kind_value = SurveyKind(kind).value
    hi, lo = aliased(T, name="t_hi"), aliased(T, name="t_lo")
    m_hi, m_before = _day_param("m_hi"), _day_param("m_before")

    def latest_before(month: Any, name: str) -> Any:
        t = aliased(T, name=name)
        return (
            sa.select(t.n)
            .where(t.kind == kind_value, t.account_key == Account.id, t.month < month)
            .order_by(t.month.desc())
            .limit(1)
            .scalar_subquery()
        )

    earliest = sa.select(sa.func.min(T.month)).where(T.kind == kind_value).scalar_subquery()
    upto_hi = sa.func.coalesce(hi.n, latest_before(m_hi, "t_hi_prev"), 0)
    upto_before = sa.case(
        (m_before < earliest, 0), else_=sa.func.coalesce(lo.n, latest_before(m_before, "t_lo_prev"), 0)
    )
    whole = (
        sa.select(Account.id.label("key"), (upto_hi - upto_before).label("n"))
        .select_from(Account)
        .outerjoin(hi, sa.and_(hi.kind == kind_value, hi.month == m_hi, hi.account_key == Account.id))
        .outerjoin(lo, sa.and_(lo.kind == kind_value, lo.month == m_before, lo.account_key == Account.id))
    )
    partial = [
        sa.select(src.key.label("key"), (src.table.n if src.sign > 0 else -src.table.n).label("n"))
        .select_from(src.table)
        .where(*src.where)
        for src in _sources("account", kind, "month", plan)
        if src.table is not M
    ]
    inner = sa.union_all(whole, *partial).subquery() if partial else whole.subquery()
    n = sa.func.sum(inner.c.n).label("n")
    return sa.select(inner.c.key, n).group_by(inner.c.key).having(n > 0).subquery("totals")


def _rank_order(rank: str, arr: Any, n: Any, key: Any) -> list[Any]:
    """ORDER BY of the ranking: answers (most first) or ARR (highest first, then answers), ties by id."""
    if rank == "arr":
        return [arr.desc().nulls_last(), n.desc(), key]
    return [n.desc(), key]


def ranked_accounts(filters: TrendFilters, limit: int, offset: int = 0) -> list[Any]:
    """Rows (key, name, arr, n, s0…s10, accounts) of the accounts with answers in the range, ranked by
    answers (most first) or ARR (highest first, then answers), ties by id; ``accounts`` is how many
    there are in all. Answers without an account are not ranked (they are a series of their own).
    One statement: every account's answers (``n`` alone) ranked into the page asked for (the accounts
    joined only to rank by ARR), then the page's accounts' counts by score (a few rows each through the
    rollups' account indexes) and names."""
    plan, params = range_plan("account", filters.start, filters.end, "month")
    if plan is not None and plan[0]:  # the month before the first whole month (``ranked_totals``)
        params["m_before"] = (params["m_lo"] - timedelta(days=1)).replace(day=1)
    stmt = _ranked_template(filters.kind, plan, filters.rank, _dialect())
    return db.session.execute(stmt, params | {"limit": limit, "offset": offset}).all()


@lru_cache(maxsize=256)
def _ranked_template(kind: str, plan: Plan, rank: str, dialect: str) -> Any:
    """``ranked_accounts``' statement for a shape (parameters: the range's, ``limit`` and ``offset``)."""
    t = ranked_totals(kind, plan)
    by_arr = rank == "arr"
    arr = Account.arr if by_arr else sa.null()
    ranked = sa.select(t.c.key, t.c.n, arr.label("arr"), sa.func.count().over().label("accounts"))
    ranked = ranked.select_from(t)
    if by_arr:
        ranked = ranked.outerjoin(Account, Account.id == t.c.key)
    page = (
        ranked.where(t.c.key != 0)
        .order_by(*_rank_order(rank, arr, t.c.n, t.c.key))
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .cte("page")
    )
    full = account_totals(kind, plan, keys=sa.select(page.c.key))
    return (
        sa.select(
            page.c.key,
            Account.name,
            Account.arr,
            *[full.c[c] for c in COUNT_NAMES],
            page.c.accounts,
        )
        .select_from(page)
        .join(full, full.c.key == page.c.key)
        .outerjoin(Account, Account.id == page.c.key)
        .order_by(*_rank_order(rank, page.c.arr, page.c.n, page.c.key))
    )


def account_table(filters: TrendFilters) -> tuple[AccountTable, list[AccountRow]]:
    """(the page of the ranked table the filters ask for, the top N accounts)."""

    def as_rows(rows: list[Any], first: int) -> list[AccountRow]:
        out = []
        for i, r in enumerate(rows):
            counts = Counts(int(r[3]), tuple(int(v) for v in r[4:15]))
            name = r[1] if r[1] is not None else f"Account {r[0]}"
            out.append(AccountRow(first + i, int(r[0]), name, r[2], counts, counts.metric(filters.kind)))
        return out

    page = filters.page
    rows = ranked_accounts(filters, ACCOUNTS_PER_PAGE, (page - 1) * ACCOUNTS_PER_PAGE)
    if not rows and page > 1:  # past the last page: show the last one
        first = ranked_accounts(filters, 1)
        page = max(1, -(-(first[0][-1] if first else 0) // ACCOUNTS_PER_PAGE))
        rows = ranked_accounts(filters, ACCOUNTS_PER_PAGE, (page - 1) * ACCOUNTS_PER_PAGE)
    total = rows[0][-1] if rows else 0
    table = AccountTable(
        filters.rank,
        total,
        page,
        max(1, -(-total // ACCOUNTS_PER_PAGE)),
        as_rows(rows, (page - 1) * ACCOUNTS_PER_PAGE + 1),
    )
    if page == 1 and filters.top <= ACCOUNTS_PER_PAGE:
        top = table.rows[: filters.top]
    else:
        top = as_rows(ranked_accounts(filters, filters.top), 1)
    return table, top


def account_split(filters: TrendFilters) -> tuple[str, Cells, AccountTable, list[AccountRow]]:
    """The chart split by account: (grain shown, cells, the ranked table's page, the top N). Cells are
    keyed by account id for the top N, 0 for answers without an account and OTHERS for every other
    account together: every answer in the range less the top N's and those without an account (exact:
    integer counts). Two reads in the common case: the ranked table's page (``ranked_accounts``; and the
    top N when another page is shown), then the top N and no account by bucket with every answer by
    bucket (the day rollup) in one statement; a second by-bucket read only when the answers without an
    account add the series that coarsens the grain."""
    kind, start, end = filters.kind, filters.start, filters.end
    table, top = account_table(filters)
    keys = [r.key for r in top]
    others = table.total > len(keys)

    def read(grain: str) -> tuple[Cells, dict[date, Counts]]:
        stmt, params = segment_statement("account", kind, start, end, grain, [*keys, 0])
        if others:  # every answer by bucket, keyed EVERY
            plan = range_plan("account", start, end, grain)[0]
            stmt = _split_template(kind, grain, plan, _dialect())
        cells = segment_cells("account", db.session.execute(stmt, params).all())
        every_cells = {b: cells.pop((b, k)) for b, k in list(cells) if k == EVERY}
        return cells, every_cells

    # the grain the series we know of already need (the top N and the rest): at least that coarse
    grain = effective_grain(filters, len(keys) + others)
    cells, every = read(grain)
    shown = effective_grain(filters, len(keys) + others + any(k == 0 for _, k in cells))
    if shown != grain:
        grain, (cells, every) = shown, read(shown)
    if others:
        shown_sum: dict[date, Counts] = defaultdict(Counts.empty)
        for (first, _), counts in cells.items():
            shown_sum[first] += counts
        for first, all_answers in every.items():
            rest = all_answers - shown_sum.get(first, Counts.empty())
            if rest.n:
                cells[(first, OTHERS)] = rest
    return grain, cells, table, top


@lru_cache(maxsize=256)
def _split_template(kind: str, grain: str, plan: Plan, dialect: str) -> Any:
    """The top accounts' (parameter KEYS) and no account's rows by bucket, and every answer's by bucket
    keyed EVERY, in one statement (``segment_statement``'s two, same parameters)."""
    some = _segment_template("account", kind, grain, plan, True, dialect)
    every = _segment_template("", kind, grain, None, False, dialect).subquery()
    columns = [every.c.bucket, sa.literal_column(str(EVERY)).label("key"), *[every.c[c] for c in COUNT_NAMES]]
    return sa.union_all(some, sa.select(*columns))


def every_account_rows(filters: TrendFilters, grain: str) -> Iterator[tuple[date, str, Counts]]:
    """(bucket, account name, counts) of every account with answers in the range at ``grain``, in the
    ranked table's order (each account's buckets oldest first), then those without an account; read as a
    stream (the CSV of a split by account)."""
    kind, start, end = filters.kind, filters.start, filters.end
    template, params = segment_statement("account", kind, start, end, grain)
    cells = template.subquery("cells")
    t = account_totals(kind, range_plan("account", start, end, "month")[0], columns=("n",))
    params |= range_plan("account", start, end, "month")[1]
    last = sa.case((cells.c.key == 0, 1), else_=0)
    if filters.rank == "arr":
        order = [last, Account.arr.desc().nulls_last(), t.c.n.desc(), cells.c.key, cells.c.bucket]
    else:
        order = [last, t.c.n.desc(), cells.c.key, cells.c.bucket]
    stmt = (
        sa.select(cells.c.bucket, cells.c.key, Account.name, *[cells.c[c] for c in COUNT_NAMES])
        .select_from(cells)
        .join(t, t.c.key == cells.c.key)
        .outerjoin(Account, Account.id == cells.c.key)
        .order_by(*order)
    )
    result = db.session.execute(stmt, params, execution_options={"yield_per": 2000})
    for r in result:
        name = "No account" if r[1] == 0 else r[2] if r[2] is not None else f"Account {r[1]}"
        yield _as_date(r[0]), name, Counts(int(r[3]), tuple(int(v) for v in r[4:15]))


def build_trend(filters: TrendFilters) -> Trend:
    """The series, rates and distribution the filters ask for, bucketed in the workspace time zone."""
    segment, kind = filters.segment, filters.kind
    arg = EXPLORER_ARGS.get(segment)
    table = None
    if segment == "account":
        grain, cells, table, top = account_split(filters)
        names = {r.key: r.name for r in top}
        order = {r.key: i for i, r in enumerate(top)} | {OTHERS: len(top), 0: len(top) + 1}
    else:
        grain, rows = trend_rows(filters)
        cells = segment_cells(segment, rows)
    by_key: dict[Any, dict[date, Counts]] = defaultdict(dict)
    for (first, key), counts in cells.items():
        by_key[key][first] = counts
    if segment != "account":
        names = _labels(segment, list(by_key))
    series = []
    for key, per_bucket in by_key.items():
        if key == OTHERS:
            label, explorer = f"All other accounts ({table.total - len(top):,})", None
        else:
            label, value = _key_text(segment, key, names)
            explorer = {"kind": kind, **({arg: value} if arg and value is not None else {})}
        points = [Point(b, c, c.metric(kind)) for b, c in sorted(per_bucket.items())]
        series.append(Series(key, label, explorer, points))
    if segment == "account":
        series.sort(key=lambda s: order[s.key])
    else:
        series.sort(key=lambda s: (-s.total.scored, s.label))
    overall = sum((c for c in cells.values()), Counts.empty())
    rates = response_rates(filters, grain) if segment in ("", "survey") else {}
    zone = str(workspace_timezone())
    all_buckets = buckets(filters.start, filters.end, grain)
    return Trend(filters, grain, grain != filters.grain, all_buckets, series, overall, rates, zone, table)


def _as_date(value: Any) -> date:
    return value if type(value) is date else date.fromisoformat(str(value))


def response_rates(filters: TrendFilters, grain: str) -> dict[date, tuple[int, int]]:
    """Invitations delivered per bucket (by the local day sent) and how many of them were answered."""
    dialect = db.session.get_bind().dialect.name
    day = sa.literal_column(
        "response_local_day(invitations.sent_at)"
        if dialect == "postgresql"
        else sqlite_day("invitations.sent_at")
    )
    tz = workspace_timezone()
    low = datetime.combine(filters.start - timedelta(days=1), datetime.min.time(), tz)
    high = datetime.combine(filters.end + timedelta(days=2), datetime.min.time(), tz)
    rows = db.session.execute(
        sa.select(day.label("day"), sa.func.count(Invitation.id), sa.func.count(Invitation.responded_at))
        .join(Survey, Survey.id == Invitation.survey_id)
        .where(
            Invitation.state == DeliveryState.SENT,
            Invitation.sent_at >= low,
            Invitation.sent_at < high,
            Survey.kind == SurveyKind(filters.kind),
        )
        .group_by(sa.text("1"))
    ).all()
    out: dict[date, tuple[int, int]] = {}
    for raw_day, sent, answered in rows:
        local = _as_date(raw_day)
        if filters.start <= local <= filters.end:
            first = bucket_of(local, grain)
            before = out.get(first, (0, 0))
            out[first] = (before[0] + sent, before[1] + answered)
    return out
