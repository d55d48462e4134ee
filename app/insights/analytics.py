"""Topic analytics for a period, with the previous period beside it: the figures of the Topics page.

Reads with ``queries`` and computes with the pure ``stats``; the Topics page, the digest and the alerts all
take their numbers from here, so a figure means the same everywhere.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.insights import queries as q
from app.insights import sharing, stats
from app.insights.periods import Period, days_ending, weekly_buckets
from app.metrics import Change, NpsCounts, Score, nps, nps_change, share
from app.models import RetagRun

EMERGING_CACHE_SECONDS = 300
_EMERGING: dict[tuple, tuple[float, list[stats.EmergingResult]]] = {}
MIN_DRIVER_RESPONSES = 20  # NPS answers mentioning a topic before it gets its own column in the driver fit
EMERGING_DAYS = 7


@dataclass
class TopicFigures:
    """One topic's figures in the period and the previous one."""

    node: q.TopicNode
    now: q.TopicCounts
    before: q.TopicCounts
    share: Score
    prev_share: Score
    nps: Score
    prev_nps: Score
    nps_change: Change | None
    impact: stats.Estimate
    prev_impact: stats.Estimate
    revenue: int  # ARR of the accounts that mentioned it negatively in the period (each once)
    revenue_count: int  # how many accounts that is
    prev_revenue: int
    trend: list[tuple[Period, int, int]] = field(default_factory=list)  # (week, responses, analysed)
    driver: stats.Estimate | None = None
    driver_note: str = ""
    emerging: stats.EmergingResult | None = None

    @property
    def share_change(self) -> float | None:
        """Change of share in percentage points."""
        if self.share.value is None or self.prev_share.value is None:
            return None
        return self.share.value - self.prev_share.value


@dataclass(frozen=True)
class Drivers:
    """The period's two driver fits, per topic: its estimate or why it has none."""

    n: int
    r_squared: float | None
    estimates: dict[int, stats.Estimate | None]
    notes: dict[int, str]


@dataclass
class Analytics:
    """Every topic's figures for a period, the totals, the emerging test and what paused it."""

    period: Period
    previous: Period
    totals: q.Totals
    prev_totals: q.Totals
    topics: list[TopicFigures]
    emerging_week: Period
    emerging_baseline: Period
    retag: RetagRun | None
    driver_n: int = 0
    driver_r2: float | None = None
    drivers_pending: bool = False  # the driver fit was deferred (the Topics page fetches it: ``drivers``)

    @property
    def nps(self) -> Score:
        """NPS of every answer in the period."""
        return nps(*self.totals.nps_counts)

    @property
    def prev_nps(self) -> Score:
        """NPS of every answer in the previous period."""
        return nps(*self.prev_totals.nps_counts)

    @property
    def nps_change(self) -> Change | None:
        """The NPS change from the previous period, judged against noise."""
        return nps_change(NpsCounts(*self.prev_totals.nps_counts), NpsCounts(*self.totals.nps_counts))

    def by_id(self, topic_id: int) -> TopicFigures | None:
        """One topic's figures."""
        return next((t for t in self.topics if t.node.id == topic_id), None)


def topic_analytics(
    period: Period,
    survey_id: int | None = None,
    only: Iterable[int] | None = None,
    trend_weeks: int = 12,
    with_driver: bool | str = True,
) -> Analytics:
    """Figures for every active topic (or the subtrees of ``only``) in ``period`` and the one before.

    ``with_driver``: True fits the drivers; ``"deferred"`` leaves them out with ``drivers_pending`` set
    (the Topics page fetches them in a second request: ``drivers``); False: no driver figures.

    Without the driver fit a topic's figures do not depend on which other topics are asked for, so inside
    ``sharing()`` (every team's digest of a run) the workspace-wide figures are computed once and each
    team reads its subtrees from them."""
    if not with_driver and sharing.active():
        key = ("topic_analytics", period, survey_id, trend_weeks)
        full = sharing.shared(key, lambda: _topic_analytics(period, survey_id, None, trend_weeks, False))
        return full if only is None else restricted(full, only)
    return _topic_analytics(period, survey_id, only, trend_weeks, with_driver)


def restricted(full: Analytics, only: Iterable[int]) -> Analytics:
    """Workspace-wide figures cut to the subtrees of ``only`` (what asking for ``only`` computes)."""
    wanted = set(only)
    topics = [t for t in full.topics if t.node.id in wanted or wanted.intersection(t.node.ancestors)]
    return dataclasses.replace(full, topics=topics)


def _topic_analytics(
    period: Period, survey_id: int | None, only: Iterable[int] | None, trend_weeks: int, with_driver: bool
) -> Analytics:
    tree = q.topic_tree()
    if only is not None:
        wanted = set(only)
        tree = [n for n in tree if n.id in wanted or wanted.intersection(n.ancestors)]
    scope = None if only is None else [n.id for n in tree]
    previous = period.previous()
    week = days_ending(period.last, EMERGING_DAYS, period.zone)
    baseline = week.previous(stats.BASELINE_WEEKS)
    buckets = weekly_buckets(period, trend_weeks)
    # the period, the one before, the trend's weeks and the emerging test's week and baseline: one pass
    w = q.windows(
        {"now": period, "before": previous, "week": week, "baseline": baseline},
        buckets,
        survey_id,
        scope,
        accounts=("now", "before", "week"),
        negative=("now", "before"),
    )
    now, before = w.counts["now"], w.counts["before"]
    totals, prev_totals = w.totals["now"], w.totals["before"]
    negative, prev_negative = w.revenue["now"], w.revenue["before"]
    rows = [_figures(n, now, before, totals, prev_totals, negative, prev_negative) for n in tree]
    per_topic, denominators = w.weekly
    for row in rows:
        counts = per_topic.get(row.node.id, [0] * len(buckets))
        row.trend = [(b, k, n) for b, k, n in zip(buckets, counts, denominators, strict=True)]
    retag = q.retag_running()
    result = Analytics(period, previous, totals, prev_totals, rows, week, baseline, retag)
    if scope is None:  # the week's counts of every topic are those the emerging test reads
        tested = (w.counts["week"], w.counts["baseline"], w.totals["week"], w.totals["baseline"])
        results = emerging_results(week, survey_id, paused=retag is not None, counted=tested)
    else:
        results = emerging_results(week, survey_id, paused=retag is not None)
    for res in results:
        figures = result.by_id(res.key)
        if figures is not None:
            figures.emerging = res
    if with_driver is True:
        _apply_drivers(result, drivers(period, survey_id, totals=totals))
    elif with_driver == "deferred":
        result.drivers_pending = True
    return result


def drivers(period: Period, survey_id: int | None = None, totals: q.Totals | None = None) -> Drivers:
    """The period's driver fits, of every active topic (whatever a caller's ``only``); ``totals``: the
    period's, when the caller has them. Computed on each call (no cache: a re-tag or a rejection changes
    the fit without a new id)."""
    if totals is None:
        totals = q.window_totals(period, survey_id)
    return _fit_drivers(period, totals, q.topic_tree(), survey_id)


def _apply_drivers(result: Analytics, fitted: Drivers) -> None:
    result.driver_n, result.driver_r2 = fitted.n, fitted.r_squared
    for row in result.topics:
        row.driver = fitted.estimates.get(row.node.id)
        if row.driver is None:
            row.driver_note = fitted.notes.get(row.node.id, f"fewer than {MIN_DRIVER_RESPONSES} NPS answers")


def _figures(node, now, before, totals, prev_totals, negative, prev_negative) -> TopicFigures:
    c, b = now.get(node.id, q.TopicCounts()), before.get(node.id, q.TopicCounts())
    accounts, revenue = negative.get(node.id, (0, 0))
    return TopicFigures(
        node=node,
        now=c,
        before=b,
        share=share(min(c.responses, totals.analysed), totals.analysed),
        prev_share=share(min(b.responses, prev_totals.analysed), prev_totals.analysed),
        nps=nps(*c.nps_counts),
        prev_nps=nps(*b.nps_counts),
        nps_change=nps_change(NpsCounts(*b.nps_counts), NpsCounts(*c.nps_counts)),
        impact=stats.nps_impact(totals.nps_counts, c.nps_counts),
        prev_impact=stats.nps_impact(prev_totals.nps_counts, b.nps_counts),
        revenue=revenue,
        revenue_count=accounts,
        prev_revenue=prev_negative.get(node.id, (0, 0))[1],
    )


def emerging_results(
    week: Period, survey_id: int | None = None, paused: bool = False, counted: tuple | None = None
) -> list[stats.EmergingResult]:
    """The emerging test of every active topic: ``week`` against the 8 weeks before it.

    The same test serves every team's digest and every page view of a week, so it is kept for a few
    minutes per process, keyed by the newest response and mention ids (new data is a new key).
    ``counted``: the week's and baseline's topic counts and totals, when the caller has them already.
    """
    key = (week.first, week.last, week.zone, survey_id, paused, q.data_version())
    hit = _EMERGING.get(key)
    if hit is not None and time.monotonic() - hit[0] < EMERGING_CACHE_SECONDS:
        return hit[1]
    results = _emerging_results(week, survey_id, paused, counted)
    if len(_EMERGING) > 64:
        _EMERGING.clear()
    _EMERGING[key] = (time.monotonic(), results)
    return results


def _emerging_results(
    week: Period, survey_id: int | None, paused: bool, counted: tuple | None = None
) -> list[stats.EmergingResult]:
    """Count every topic in the week and its baseline (unless ``counted``), and test them."""
    tree = q.topic_tree()
    if counted is None:
        w = q.windows(
            {"week": week, "baseline": week.previous(stats.BASELINE_WEEKS)}, (), survey_id, None, ("week",)
        )
        counted = (w.counts["week"], w.counts["baseline"], w.totals["week"], w.totals["baseline"])
    now, base, totals_now, totals_base = counted
    n_now, n_base = totals_now.analysed, totals_base.analysed
    keys = [n.id for n in tree]
    return stats.emerging(
        keys,
        [min(now.get(k, q.TopicCounts()).responses, n_now) for k in keys],
        n_now,
        [min(base.get(k, q.TopicCounts()).responses, n_base) for k in keys],
        n_base,
        [now.get(k, q.TopicCounts()).accounts for k in keys],
        paused=frozenset(keys) if paused else frozenset(),
    )


def _fit_drivers(
    period: Period, totals: q.Totals, tree: Sequence[q.TopicNode], survey_id: int | None
) -> Drivers:
    """Two fits: top-level topics (subtopics rolled up), and every topic on its own mentions.

    The answers' groups become one 0/1 matrix (a row per (topics, coded value), a column per active
    topic) and the roots' matrix is its product with the topic → root map: no Python per group."""
    groups = q.nps_topic_groups(period, survey_id)
    ids = sorted(n.id for n in tree)
    position = {t: j for j, t in enumerate(ids)}
    # the period's other NPS answers (no topic of their own) by band, from the totals: (100, 0, −100)
    p, m, d = totals.nps_counts
    rest = {100: p, 0: m, -100: d}
    own = np.zeros((len(groups) + len(rest), len(ids)), dtype=bool)
    y = np.empty(len(own))
    w = np.empty(len(own))
    cells = [(i, position[t]) for i, (topics, _) in enumerate(groups) for t in topics if t in position]
    if cells:
        own[tuple(np.array(cells).T)] = True
    for i, ((_, value), n) in enumerate(groups.items()):
        y[i], w[i] = value, n
        rest[value] -= n
    for i, (value, n) in enumerate(rest.items(), start=len(groups)):
        y[i], w[i] = value, n
    if w.sum() == 0:
        return Drivers(0, None, {}, {})
    to_root = np.zeros((len(ids), len(ids)), dtype=bool)
    for node in tree:
        to_root[position[node.id], position[(node.ancestors or (node.id,))[0]]] = True
    top_fit = _fit(own @ to_root, y, w, ids)
    all_fit = _fit(own, y, w, ids)
    estimates: dict[int, stats.Estimate | None] = {}
    notes: dict[int, str] = {}
    for node in tree:
        fit = top_fit if node.depth == 0 else all_fit
        estimates[node.id] = fit.coefficients.get(node.id)
        if node.id in fit.dropped:
            notes[node.id] = fit.dropped[node.id]
    return Drivers(top_fit.n, top_fit.r_squared if top_fit.coefficients else None, estimates, notes)


def _fit(indicators: np.ndarray, y: np.ndarray, w: np.ndarray, ids: Sequence[int]) -> stats.DriverFit:
    """The least-squares driver fit of −100/0/100 answers ``y`` on topic indicators (a 0/1 row per group
    of ``w`` answers, a column per topic in ``ids``); topics with fewer than ``MIN_DRIVER_RESPONSES``
    answers get no column (their answers join the group of their other topics: rows left identical, with
    the same value, are merged)."""
    answered = w > 0
    indicators, y, w = indicators[answered], y[answered], w[answered]
    kept = np.flatnonzero(w @ indicators >= MIN_DRIVER_RESPONSES)
    rows = np.column_stack([indicators[:, kept], y > 0, y < 0])  # the value as two bits
    if rows.shape[1] <= 62:  # each row's bits as one integer: a 1-D unique, ~40× faster than by rows
        _, first, which = np.unique(rows @ (1 << np.arange(rows.shape[1], dtype=np.int64)), True, True)
    else:
        _, first, which = np.unique(np.packbits(rows, axis=1), True, True, axis=0)
    weights = np.bincount(which.ravel(), weights=w, minlength=len(first))
    columns = [ids[j] for j in kept]
    return stats.driver_fit(indicators[first][:, kept].astype(float), y[first], weights, columns)
