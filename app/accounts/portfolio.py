"""Read models of the portfolio page and the health columns of the accounts list.

Health comes from app/health's daily snapshots: an account's health is its newest snapshot; its change over
N days is that score minus the score of its newest snapshot on or before today − N. Scores come from the
response rollups (12 months, local days); topics from the mentions of the same window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.accounts.arr import local_today
from app.extensions import db
from app.metrics import Score
from app.models import (
    Account,
    HealthBand,
    HealthSnapshot,
    Lifecycle,
    Mention,
    Response,
    ResponseRollup,
    SurveyKind,
    Tier,
    Topic,
)
from app.trends.queries import Counts, grouped_counts
from app.workspace_settings import workspace_timezone

RISKY = (HealthBand.WATCH.value, HealthBand.AT_RISK.value)
BANDS = ("healthy", "watch", "at_risk", "insufficient", "none")
BAND_LABELS = {
    "healthy": "Healthy",
    "watch": "Watch",
    "at_risk": "At risk",
    "insufficient": "Insufficient data",
    "none": "No health yet",
}
RENEWAL_DAYS = 90
WINDOW_DAYS = 365


def latest_snapshot_id() -> sa.ScalarSelect:
    """Correlated to ``accounts``: the id of the account's newest snapshot."""
    h = aliased(HealthSnapshot)
    return (
        sa.select(h.id)
        .where(h.account_id == Account.id)
        .order_by(h.as_of.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )


def latest_score() -> sa.ScalarSelect:
    """Correlated to ``accounts``: the score of the newest snapshot (None without one)."""
    h = aliased(HealthSnapshot)
    return (
        sa.select(h.score)
        .where(h.account_id == Account.id)
        .order_by(h.as_of.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )


def latest_band() -> sa.ScalarSelect:
    """Correlated to ``accounts``: the band of the newest snapshot."""
    h = aliased(HealthSnapshot)
    return (
        sa.select(h.band)
        .where(h.account_id == Account.id)
        .order_by(h.as_of.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )


def score_on_or_before(day: date) -> sa.ScalarSelect:
    """Correlated to ``accounts``: the score of the newest snapshot on or before ``day``."""
    h = aliased(HealthSnapshot)
    return (
        sa.select(h.score)
        .where(h.account_id == Account.id, h.as_of <= day)
        .order_by(h.as_of.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )


def health_change(days: int) -> sa.ColumnElement:
    """Correlated to ``accounts``: newest score minus the score ``days`` days ago (None when either is
    missing)."""
    return latest_score() - score_on_or_before(local_today() - timedelta(days=days))


@dataclass
class RowHealth:
    """The health columns of one accounts-list row."""

    score: int | None = None
    band: str | None = None
    change_30: int | None = None
    change_90: int | None = None


def health_for(account_ids: list[int]) -> dict[int, RowHealth]:
    """Health, band and 30/90-day change of the given accounts (one query)."""
    if not account_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Account.id,
            latest_score().label("score"),
            latest_band().label("band"),
            health_change(30).label("c30"),
            health_change(90).label("c90"),
        ).where(Account.id.in_(account_ids))
    )
    return {
        r.id: RowHealth(r.score, getattr(r.band, "value", r.band), r.c30, r.c90)
        for r in rows
        if r.score is not None
    }


def _live() -> sa.ColumnElement[bool]:
    """Accounts that have not churned (by today)."""
    return sa.or_(Account.churned_on.is_(None), Account.churned_on > local_today())


@dataclass
class BandRow:
    """Accounts and ARR in one health band."""

    band: str
    accounts: int = 0
    arr: int = 0

    @property
    def label(self) -> str:
        """The band in words."""
        return BAND_LABELS[self.band]


@dataclass
class ArrByBand:
    """ARR of the live accounts by their current health band, and the ARR at risk (watch + at risk)."""

    rows: list[BandRow]
    total_arr: int
    at_risk_arr: int
    at_risk_accounts: int

    @property
    def at_risk_share(self) -> float | None:
        """ARR at risk as a percentage of all live ARR."""
        return 100 * self.at_risk_arr / self.total_arr if self.total_arr else None


def arr_by_band() -> ArrByBand:
    """Live accounts' ARR grouped by the band of their newest snapshot ("none" without one)."""
    band = sa.func.coalesce(sa.type_coerce(latest_band(), sa.String), "none").label("band")
    inner = sa.select(band, Account.arr.label("arr")).where(_live()).subquery()
    rows = db.session.execute(
        sa.select(inner.c.band, sa.func.count(), sa.func.coalesce(sa.func.sum(inner.c.arr), 0)).group_by(
            inner.c.band
        )
    ).all()
    found = {getattr(b, "value", b): BandRow(getattr(b, "value", b), n, int(arr)) for b, n, arr in rows}
    out = [found.get(b, BandRow(b)) for b in BANDS]
    risky = [r for r in out if r.band in RISKY]
    return ArrByBand(out, sum(r.arr for r in out), sum(r.arr for r in risky), sum(r.accounts for r in risky))


@dataclass
class RenewalRow:
    """A renewal in danger."""

    account: Account
    days: int
    score: int
    band: str
    change_30: int | None


def renewals_at_risk(days: int = RENEWAL_DAYS, limit: int = 200) -> list[RenewalRow]:
    """Live accounts renewing in the next ``days`` days whose current health is watch or at risk, soonest
    first."""
    today = local_today()
    band = latest_band().label("band")
    stmt = (
        sa.select(Account, latest_score().label("score"), band, health_change(30).label("c30"))
        .where(
            _live(),
            Account.renewal_date.between(today, today + timedelta(days=days)),
            latest_band().in_(RISKY),
        )
        .order_by(Account.renewal_date, Account.arr.desc(), Account.id)
        .limit(limit)
    )
    return [
        RenewalRow(
            r.Account, (r.Account.renewal_date - today).days, r.score, getattr(r.band, "value", r.band), r.c30
        )
        for r in db.session.execute(stmt)
    ]


def _window() -> tuple[date, date]:
    today = local_today()
    return today - timedelta(days=WINDOW_DAYS - 1), today


@dataclass
class Segment:
    """Scores, health and topics of one lifecycle stage (or tier)."""

    key: Any
    label: str
    accounts: int = 0
    arr: int = 0
    scores: dict[str, Score] = field(default_factory=dict)
    nps_counts: Counts = field(default_factory=Counts.empty)
    health: float | None = None
    at_risk: int = 0
    topics: list[dict[str, Any]] = field(default_factory=list)


def _account_facts(column: Any) -> dict[Any, dict[str, Any]]:
    """Per value of ``column``: live accounts, ARR, mean current health, accounts watch/at risk."""
    score, band = latest_score().label("score"), latest_band().label("band")
    inner = sa.select(column.label("key"), Account.arr.label("arr"), score, band).where(_live()).subquery()
    risky = sa.func.sum(sa.case((inner.c.band.in_(RISKY), 1), else_=0))
    rows = db.session.execute(
        sa.select(
            inner.c.key,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(inner.c.arr), 0),
            sa.func.avg(inner.c.score),
            risky,
        ).group_by(inner.c.key)
    )
    return {
        r[0]: {
            "accounts": r[1],
            "arr": int(r[2]),
            "health": float(r[3]) if r[3] is not None else None,
            "risky": int(r[4] or 0),
        }
        for r in rows
    }


def _scores_by(column: Any) -> dict[Any, dict[str, Any]]:
    """Per value of ``column``: NPS, CSAT and CES of the window from the rollups."""
    start, end = _window()
    join = [(Account, Account.id == ResponseRollup.account_key)]
    out: dict[Any, dict[str, Any]] = {}
    for kind in (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES):
        cells = grouped_counts(kind, start, end, [column], ResponseRollup.account_key != 0, joins=join)
        for (key,), counts in cells.items():
            entry = out.setdefault(key, {})
            entry[kind.value] = counts.metric(kind)
            if kind == SurveyKind.NPS:
                entry["nps_counts"] = counts
    return out


def _topics_by(column: Any, per_segment: int = 3) -> dict[Any, list[dict[str, Any]]]:
    """Per value of ``column``: the most mentioned topics of the window with their negative share."""
    start, _ = _window()
    since = datetime.combine(start, datetime.min.time(), workspace_timezone())
    negative = sa.func.sum(sa.case((Mention.sentiment_label == "negative", 1), else_=0))
    rows = db.session.execute(
        sa.select(column, Topic.id, Topic.name, sa.func.count(sa.distinct(Mention.response_id)), negative)
        .select_from(Mention)
        .join(Topic, Topic.id == Mention.topic_id)
        .join(Response, Response.id == Mention.response_id)
        .join(Account, Account.id == Response.account_id)
        .where(Response.created_at >= since, Mention.rejected.is_(False))
        .group_by(column, Topic.id, Topic.name)
    ).all()
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for key, topic_id, name, n, neg in rows:
        grouped.setdefault(key, []).append(
            {"id": topic_id, "name": name, "count": n, "negative": int(neg or 0)}
        )
    return {k: sorted(v, key=lambda t: (-t["count"], t["name"]))[:per_segment] for k, v in grouped.items()}


def _segments(column: Any, members: list[Any], labels: dict[Any, str], none_label: str) -> list[Segment]:
    facts, scores, topics = _account_facts(column), _scores_by(column), _topics_by(column)
    out = []
    for key in [*members, None]:
        f, s = facts.get(key, {}), scores.get(key, {})
        if not f and not s:
            continue
        out.append(
            Segment(
                key,
                labels.get(key, none_label),
                f.get("accounts", 0),
                f.get("arr", 0),
                {k: v for k, v in s.items() if k != "nps_counts"},
                s.get("nps_counts", Counts.empty()),
                f.get("health"),
                f.get("risky", 0),
                topics.get(key, []),
            )
        )
    return out


def by_lifecycle() -> list[Segment]:
    """Scores, topics and health of each lifecycle stage, in journey order."""
    return _segments(
        Account.lifecycle_stage, list(Lifecycle), {s: s.label for s in Lifecycle}, "No stage set"
    )


def by_tier() -> list[Segment]:
    """NPS (and health) of each revenue tier."""
    return _segments(Account.tier, list(Tier), {t: t.label for t in Tier}, "No tier set")
