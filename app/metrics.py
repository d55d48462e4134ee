"""Standard survey metrics and their 95% margins of error, from counts (so rollups can feed them).

NPS = %promoters (9–10) − %detractors (0–6), −100..100; its variance comes from the two proportions.
CSAT = share of 4 and 5 answers (1–5 scale). CES = mean of 1–7 answers, plus the share of 5–7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa

Z95 = 1.959964
SMALL_SAMPLE = 30  # below this many answers a figure is flagged as unreliable


@dataclass(frozen=True)
class Score:
    """A metric value with its sample size and 95% margin of error (None when undefined)."""

    value: float | None
    n: int
    moe: float | None

    @property
    def small_sample(self) -> bool:
        """True when too few answers back the figure to trust it."""
        return self.n < SMALL_SAMPLE


def nps(promoters: int, passives: int, detractors: int) -> Score:
    """Net Promoter Score with its margin of error, in points."""
    n = promoters + passives + detractors
    if n == 0:
        return Score(None, 0, None)
    p, d = promoters / n, detractors / n
    value = 100 * (p - d)
    variance = p + d - (p - d) ** 2
    moe = 100 * Z95 * math.sqrt(variance / n) if n > 1 else None
    return Score(value, n, moe)


def share(hits: int, n: int) -> Score:
    """A proportion in percent (CSAT, CES 'easy' share) with its Wald margin of error."""
    if n == 0:
        return Score(None, 0, None)
    p = hits / n
    moe = 100 * Z95 * math.sqrt(p * (1 - p) / n) if n > 1 else None
    return Score(100 * p, n, moe)


def mean(total: float, total_sq: float, n: int) -> Score:
    """A mean (CES) with the margin of error from the sample standard deviation."""
    if n == 0:
        return Score(None, 0, None)
    m = total / n
    if n < 2:
        return Score(m, n, None)
    var = max(0.0, (total_sq - n * m * m) / (n - 1))
    return Score(m, n, Z95 * math.sqrt(var / n))


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
