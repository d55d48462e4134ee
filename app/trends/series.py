"""The Trends page's read model: validated filters, buckets in the workspace's local days, one series per
segment, response rates and the score distribution — all from the rollups: overall and by survey from
the day rollup (no account in its grain: a row per day, survey and kind), by account or an account's
attribute from the fine one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.metrics import Score
from app.models import (
    Account,
    DeliveryState,
    Invitation,
    ResponseDayRollup,
    ResponseRollup,
    Survey,
    SurveyKind,
    User,
)
from app.trends.queries import Counts, grouped_counts
from app.trends.rollup_sql import sqlite_day
from app.workspace_settings import workspace_timezone

R = ResponseRollup
D = ResponseDayRollup
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
        return cls(kind, grain, start, end, segment, tuple(errors), unknown)

    def query(self, **changes: Any) -> dict[str, str]:
        """The query string of these filters (with changes), for links and the CSV."""
        values = {
            "kind": self.kind,
            "grain": self.grain,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "segment": self.segment,
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


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
    explorer: dict[str, str]  # the explorer arguments that select this series' responses
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


def _segment(segment: str) -> tuple[Any, Any, list[tuple[Any, Any]], str | None]:
    """(rollup table, group column, joins, explorer argument) of a segment: the day rollup unless the
    segment needs the account."""
    join = [(Account, Account.id == R.account_key)]
    return {
        "": (D, sa.literal(""), [], None),
        "tier": (R, Account.tier, join, "tier"),
        "plan": (R, Account.plan, join, "plan"),
        "stage": (R, Account.lifecycle_stage, join, "stage"),
        "csm": (R, Account.csm_owner_id, join, "csm"),
        "survey": (D, D.survey_id, [], "survey"),
        "account": (R, R.account_key, [], "account"),
    }[segment]


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


def build_trend(filters: TrendFilters) -> Trend:
    """The series, rates and distribution the filters ask for, bucketed in the workspace time zone."""
    table, column, joins, arg = _segment(filters.segment)
    cells = grouped_counts(
        filters.kind, filters.start, filters.end, [table.day, column], joins=joins, table=table
    )
    by_key: dict[Any, dict[date, Counts]] = defaultdict(dict)
    grain = filters.grain
    keys = {key for _, key in cells}
    while (
        grain in COARSER and len(buckets(filters.start, filters.end, grain)) * max(len(keys), 1) > MAX_POINTS
    ):
        grain = COARSER[grain]
    for (day, key), counts in cells.items():
        first = bucket_of(_as_date(day), grain)
        by_key[key][first] = by_key[key].get(first, Counts.empty()) + counts
    names = _labels(filters.segment, list(by_key))
    series = []
    for key, per_bucket in by_key.items():
        label, value = _key_text(filters.segment, key, names)
        explorer = {"kind": filters.kind, **({arg: value} if arg and value is not None else {})}
        points = [Point(b, c, c.metric(filters.kind)) for b, c in sorted(per_bucket.items())]
        series.append(Series(key, label, explorer, points))
    series.sort(key=lambda s: (-s.total.scored, s.label))
    overall = sum((c for c in cells.values()), Counts.empty())
    rates = response_rates(filters, grain) if filters.segment in ("", "survey") else {}
    zone = str(workspace_timezone())
    all_buckets = buckets(filters.start, filters.end, grain)
    return Trend(filters, grain, grain != filters.grain, all_buckets, series, overall, rates, zone)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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
