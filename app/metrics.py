"""Standard survey metrics with 95% intervals that stay honest on small and lopsided samples.

NPS = %promoters (9–10) − %detractors (0–6), −100..100. CSAT = share of 4 and 5 (1–5 scale). CES = mean of
1–7 answers, plus the share of 5–7. Everything is computed from counts, so rollups can feed it.

Intervals: NPS by the adjusted Wald method (¾ of a promoter and ¾ of a detractor added, n′ = n + 3), which
never collapses to ±0 when every answer is a promoter; shares by Wilson's score interval; means by Student's
t below 30 answers. A change between two periods is "beyond noise" when |z| > 1.96 on the adjusted figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from scipy.stats import t as student_t

Z95 = 1.959964
SMALL_SAMPLE = 30  # below this many answers a figure is flagged as unreliable
WIDE_MARGIN = 20.0  # points (or percentage points); a wider half-interval is flagged too
ADJUST = 0.75  # pseudo-answers added to each of promoters and detractors (adjusted Wald)
SHRINK_PSEUDO_ANSWERS = 10  # Dirichlet prior strength when shrinking a small account toward its tier


@dataclass(frozen=True)
class Score:
    """A metric value with its sample size and 95% interval (bounds None when undefined)."""

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None

    @property
    def moe(self) -> float | None:
        """Half the width of the interval (what "± x" shows)."""
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2

    @property
    def small_sample(self) -> bool:
        """True when too few answers back the figure to trust it."""
        return self.n < SMALL_SAMPLE

    @property
    def flagged(self) -> bool:
        """True when the figure should carry a caution: few answers or a wide interval."""
        return self.small_sample or (self.moe is not None and self.moe > WIDE_MARGIN)


@dataclass(frozen=True)
class NpsCounts:
    """Promoters, passives and detractors of one bucket."""

    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        """All answers."""
        return self.promoters + self.passives + self.detractors


def _adjusted(c: NpsCounts) -> tuple[float, float, float]:
    """Adjusted-Wald NPS (as a difference of proportions), its variance term v, and n′."""
    n_adj = c.n + 4 * ADJUST
    p = (c.promoters + ADJUST) / n_adj
    d = (c.detractors + ADJUST) / n_adj
    return p - d, p + d - (p - d) ** 2, n_adj


def nps(promoters: int, passives: int, detractors: int) -> Score:
    """Net Promoter Score (the plain figure) with its adjusted-Wald 95% interval, in points."""
    counts = NpsCounts(promoters, passives, detractors)
    if counts.n == 0:
        return Score(None, 0)
    centre, v, n_adj = _adjusted(counts)
    half = 100 * Z95 * math.sqrt(v / n_adj)
    value = 100 * (promoters - detractors) / counts.n
    return Score(value, counts.n, max(-100.0, 100 * centre - half), min(100.0, 100 * centre + half))


def nps_interval(promoters: int, passives: int, detractors: int) -> tuple[float, float] | None:
    """The adjusted-Wald centre and half-width (points) exactly as the method defines them."""
    counts = NpsCounts(promoters, passives, detractors)
    if counts.n == 0:
        return None
    centre, v, n_adj = _adjusted(counts)
    return 100 * centre, 100 * Z95 * math.sqrt(v / n_adj)


def share(hits: int, n: int) -> Score:
    """A proportion in percent (CSAT, CES 'easy' share) with its Wilson 95% interval."""
    if n == 0:
        return Score(None, 0)
    p = hits / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Score(100 * p, n, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def mean(total: float, total_sq: float, n: int) -> Score:
    """A mean (CES) with its 95% interval: Student's t below 30 answers, the normal quantile above."""
    if n == 0:
        return Score(None, 0)
    m = total / n
    if n < 2:
        return Score(m, n)
    var = max(0.0, (total_sq - n * m * m) / (n - 1))
    q = float(student_t.ppf(0.975, n - 1)) if n < SMALL_SAMPLE else Z95
    half = q * math.sqrt(var / n)
    return Score(m, n, m - half, m + half)


@dataclass(frozen=True)
class Change:
    """The change of NPS between two periods on the adjusted figures, and whether it is beyond noise."""

    delta: float
    se: float
    z: float

    @property
    def beyond_noise(self) -> bool:
        """True when |z| > 1.96: unlikely to be sampling noise alone."""
        return abs(self.z) > Z95

    def words(self) -> str:
        """The change in words, e.g. "up 8, within noise" or "down 12, beyond noise"."""
        size = round(abs(self.delta))
        direction = "no change" if size == 0 else ("up" if self.delta > 0 else "down")
        verdict = "beyond noise" if self.beyond_noise else "within noise"
        return f"{direction}, {verdict}" if size == 0 else f"{direction} {size}, {verdict}"


def nps_change(before: NpsCounts, after: NpsCounts) -> Change | None:
    """The NPS change from ``before`` to ``after`` (None when either period has no answers)."""
    if before.n == 0 or after.n == 0:
        return None
    c1, v1, n1 = _adjusted(before)
    c2, v2, n2 = _adjusted(after)
    se = 100 * math.sqrt(v1 / n1 + v2 / n2)
    delta = 100 * (c2 - c1)
    return Change(delta, se, delta / se if se else 0.0)


def shrunk_nps(counts: NpsCounts, prior: NpsCounts, strength: int = SHRINK_PSEUDO_ANSWERS) -> float | None:
    """NPS shrunk toward a prior (e.g. the account's tier) with ``strength`` pseudo-answers.

    shrunk = (P + αp₀ − D − αd₀) / (n + α): one detractor at a small account does not make it −100.
    """
    if prior.n == 0:
        return None if counts.n == 0 else 100 * (counts.promoters - counts.detractors) / counts.n
    p0, d0 = prior.promoters / prior.n, prior.detractors / prior.n
    alpha = strength
    return 100 * (counts.promoters + alpha * p0 - counts.detractors - alpha * d0) / (counts.n + alpha)


def score_aggregates(score: sa.ColumnElement[int]) -> list[sa.ColumnElement]:
    """SQL aggregates for one query over responses of one kind: n, nps bands, top-2 shares, sums."""
    return [
        sa.func.count(score).label("n"),
        sa.func.sum(sa.case((score >= 9, 1), else_=0)).label("promoters"),
        sa.func.sum(sa.case((score.between(7, 8), 1), else_=0)).label("passives"),
        sa.func.sum(sa.case((score <= 6, 1), else_=0)).label("detractors"),
        sa.func.sum(sa.case((score >= 4, 1), else_=0)).label("csat_hits"),
        sa.func.sum(sa.case((score >= 5, 1), else_=0)).label("ces_hits"),
        sa.func.sum(score).label("total"),
        sa.func.sum(score * score).label("total_sq"),
    ]
