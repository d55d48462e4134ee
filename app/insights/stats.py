"""The statistics behind topic analytics, digests and alerts: pure functions of counts and arrays.

No Flask, no SQLAlchemy: everything here takes numbers and returns numbers, so each method is tested
against known answers and simulations (tests/insights/test_stats.py). The methods, as stated on the pages:

- Impact on NPS (Thematic's definition): NPS(all) − NPS(all without the responses mentioning the topic),
  in points, with a 95 % interval by the delta method on the six-cell multinomial (topic × band).
- Driver: least squares of each NPS answer coded −100/0/100 on 0/1 topic indicators plus an intercept;
  a coefficient is the NPS points a mention moves an answer with the other topics held constant, with
  HC3 heteroskedasticity-robust standard errors (MacKinnon & White 1985) and a t interval.
- Emerging: a one-sided Fisher exact test of the topic's share this week against its share in the
  previous 8 weeks (the hypergeometric upper tail), Benjamini–Hochberg across topics at q = 0.05; an
  alarm also needs ≥ 5 responses from ≥ 3 accounts and a lift of at least 1.5×.
- Movers: a two-sided Fisher exact test of the share this period against the previous one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln
from scipy.stats import false_discovery_control, hypergeom
from scipy.stats import t as student_t

Z95 = 1.959964
FDR_Q = 0.05
MIN_ALARM_RESPONSES = 5
MIN_ALARM_ACCOUNTS = 3
MIN_ALARM_LIFT = 1.5
BASELINE_WEEKS = 8
MAX_LEVERAGE = 1 - 1e-9  # HC3 divides by (1 − h); a lone response defining a column has h = 1


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error and 95 % interval (None when undefined)."""

    value: float | None
    se: float | None = None
    low: float | None = None
    high: float | None = None
    n: int = 0

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of zero."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def nps_value(promoters: int, passives: int, detractors: int) -> float | None:
    """Plain NPS in points (None for no answers)."""
    n = promoters + passives + detractors
    return None if n == 0 else 100.0 * (promoters - detractors) / n


def nps_impact(everyone: Sequence[int], topic: Sequence[int]) -> Estimate:
    """Impact of a topic on NPS: NPS(all) − NPS(all but the topic's responses), with a 95 % interval.

    ``everyone`` and ``topic`` are (promoters, passives, detractors); ``topic`` is a subset of
    ``everyone``. The interval is the delta method on the multinomial of the six cells topic/rest ×
    promoter/passive/detractor (the topic's share of answers is random too, not fixed).
    """
    tp, tn, td = (int(x) for x in topic)
    rp, rn, rd = (int(a) - int(b) for a, b in zip(everyone, topic, strict=True))
    n = tp + tn + td + rp + rn + rd
    if min(tp, tn, td, rp, rn, rd) < 0:
        raise ValueError("the topic's counts cannot exceed everyone's")
    rest = rp + rn + rd
    if n == 0 or rest == 0:
        return Estimate(None, n=tp + tn + td)
    cells = np.array([tp, tn, td, rp, rn, rd], dtype=float) / n
    r_share = rest / n
    nps_rest = (cells[3] - cells[5]) / r_share
    value = (cells[0] + cells[3] - cells[2] - cells[5]) - nps_rest
    grad = np.array(
        [1.0, 0.0, -1.0, 1 - (1 - nps_rest) / r_share, nps_rest / r_share, -1 + (1 + nps_rest) / r_share]
    )
    var = (float(grad**2 @ cells) - float(grad @ cells) ** 2) / n
    se = 100 * math.sqrt(max(var, 0.0))
    value *= 100
    return Estimate(value, se, value - Z95 * se, value + Z95 * se, tp + tn + td)


@dataclass(frozen=True)
class DriverFit:
    """A least-squares driver fit: one Estimate per kept column, and why the others were left out."""

    coefficients: dict[int, Estimate]
    dropped: dict[int, str]
    intercept: float | None
    n: int
    r_squared: float | None


def driver_fit(patterns: np.ndarray, y: np.ndarray, weights: np.ndarray, columns: Sequence[int]) -> DriverFit:
    """OLS of y on 0/1 indicators with HC3 robust standard errors, from grouped rows.

    ``patterns`` is an (m, k) 0/1 matrix of distinct rows, ``y`` their outcome and ``weights`` how many
    responses share that row and outcome (identical rows have identical residuals and leverages, so
    grouping gives exactly the per-response fit). ``columns`` names the k columns (topic ids). Columns that
    are constant or a linear combination of earlier ones are dropped, with the reason.
    """
    x = np.asarray(patterns, dtype=float).reshape(len(y), len(columns))
    y = np.asarray(y, dtype=float)
    w = np.asarray(weights, dtype=float)
    n = int(w.sum())
    keep, dropped = _independent_columns(x, w, columns)
    design = np.column_stack([np.ones(len(y)), x[:, keep]])
    if n <= design.shape[1]:
        return DriverFit({}, {**dropped, **{columns[j]: "too few answers" for j in keep}}, None, n, None)
    gram = design.T @ (design * w[:, None])
    inv = np.linalg.inv(gram)
    beta = inv @ (design.T @ (w * y))
    resid = y - design @ beta
    cov = _hc3(design, inv, resid, w)
    quantile = float(student_t.ppf(0.975, n - design.shape[1]))
    coefficients = {}
    for pos, j in enumerate(keep, start=1):
        se = math.sqrt(max(cov[pos, pos], 0.0))
        b = float(beta[pos])
        count = int(w[x[:, j] > 0].sum())
        coefficients[columns[j]] = Estimate(b, se, b - quantile * se, b + quantile * se, count)
    mean_y = float(w @ y) / n
    total = float(w @ (y - mean_y) ** 2)
    r2 = 1 - float(w @ resid**2) / total if total > 0 else None
    return DriverFit(coefficients, dropped, float(beta[0]), n, r2)


def _hc3(design: np.ndarray, inv: np.ndarray, resid: np.ndarray, w: np.ndarray) -> np.ndarray:
    """HC3 sandwich covariance (X'WX)⁻¹ X' diag(w e² / (1 − h)²) X (X'WX)⁻¹, h the leverages."""
    leverage = np.minimum(((design @ inv) * design).sum(axis=1), MAX_LEVERAGE)  # diag(X (X'WX)⁻¹ X')
    meat = design.T @ (design * (w * (resid / (1 - leverage)) ** 2)[:, None])
    return inv @ meat @ inv


def _independent_columns(x: np.ndarray, w: np.ndarray, columns: Sequence[int]) -> tuple[list[int], dict]:
    """Columns kept greedily while each adds rank to [1, kept columns]; the rest with a reason.

    Works on the small weighted Gram matrix: column j is dependent on the kept set S when its residual
    variance G[j,j] − G[j,S] G[S,S]⁻¹ G[S,j] is (relatively) zero.
    """
    design = np.column_stack([np.ones(len(w)), x])
    gram = design.T @ (design * w[:, None])
    keep: list[int] = []
    dropped: dict[int, str] = {}
    kept = [0]
    answered = x[w > 0]
    for j in range(x.shape[1]):
        col = j + 1
        if not answered[:, j].any() or np.ptp(answered[:, j]) == 0:
            dropped[columns[j]] = "on every answer or none"
            continue
        block = gram[np.ix_(kept, kept)]
        cross = gram[kept, col]
        residual = gram[col, col] - cross @ np.linalg.solve(block, cross)
        if residual <= 1e-9 * gram[col, col]:
            dropped[columns[j]] = "always mentioned together with other topics"
            continue
        kept.append(col)
        keep.append(j)
    return keep, dropped


def fisher_greater(k_now: np.ndarray, n_now: int, k_base: np.ndarray, n_base: int) -> np.ndarray:
    """One-sided Fisher exact p-values that the share k_now/n_now exceeds k_base/n_base (vectorised).

    The 2×2 table [[k_now, n_now − k_now], [k_base, n_base − k_base]] with its margins fixed: P(X ≥ k_now)
    for X hypergeometric with population n_now + n_base, k_now + k_base successes and n_now draws.
    """
    k_now = np.asarray(k_now, dtype=np.int64)
    k_base = np.asarray(k_base, dtype=np.int64)
    p = hypergeom.sf(k_now - 1, n_now + n_base, k_now + k_base, n_now)
    return np.clip(np.where(k_now > 0, p, 1.0), 0.0, 1.0)


def bh_qvalues(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); reject where q ≤ the FDR level."""
    p = np.asarray(pvalues, dtype=float)
    if p.size == 0:
        return p
    return false_discovery_control(p, method="bh")


def lift(k_now: int, n_now: int, k_base: int, n_base: int) -> float | None:
    """Share this week over share in the baseline (inf when the baseline never mentioned it)."""
    if n_now == 0 or n_base == 0:
        return None
    if k_base == 0:
        return math.inf if k_now else None
    return (k_now / n_now) / (k_base / n_base)


@dataclass(frozen=True)
class EmergingResult:
    """One topic's emerging test: counts, shares, lift, p and q, and whether it raises an alarm."""

    key: int
    k_now: int
    n_now: int
    k_base: int
    n_base: int
    accounts: int
    p: float
    q: float
    lift: float | None
    alarm: bool
    reason: str  # why there is no alarm ("" when there is one)

    @property
    def share_now(self) -> float:
        """Percent of this week's responses mentioning the topic."""
        return 100.0 * self.k_now / self.n_now if self.n_now else 0.0

    @property
    def share_base(self) -> float:
        """Percent of the baseline's responses mentioning the topic."""
        return 100.0 * self.k_base / self.n_base if self.n_base else 0.0


def emerging(
    keys: Sequence[int],
    k_now: Sequence[int],
    n_now: int,
    k_base: Sequence[int],
    n_base: int,
    accounts: Sequence[int],
    paused: frozenset[int] = frozenset(),
) -> list[EmergingResult]:
    """Test every topic's share this week against its baseline; alarms pass BH and all three gates.

    ``paused`` topics (their re-tag is running) are tested but never raise an alarm.
    """
    if n_now == 0 or n_base == 0:
        return []
    p = fisher_greater(np.asarray(k_now), n_now, np.asarray(k_base), n_base)
    q = bh_qvalues(p)
    out = []
    for i, key in enumerate(keys):
        k, base, acc = int(k_now[i]), int(k_base[i]), int(accounts[i])
        up = lift(k, n_now, base, n_base)
        reason = _no_alarm_reason(k, acc, up, float(q[i]), key in paused)
        out.append(
            EmergingResult(key, k, n_now, base, n_base, acc, float(p[i]), float(q[i]), up, not reason, reason)
        )
    return out


def _no_alarm_reason(k: int, accounts: int, up: float | None, q: float, paused: bool) -> str:
    """The first gate a topic fails, in words; empty when it raises an alarm."""
    if q > FDR_Q:
        return "not significant after Benjamini–Hochberg"
    if k < MIN_ALARM_RESPONSES:
        return f"fewer than {MIN_ALARM_RESPONSES} responses"
    if accounts < MIN_ALARM_ACCOUNTS:
        return f"fewer than {MIN_ALARM_ACCOUNTS} accounts"
    if up is None or up < MIN_ALARM_LIFT:
        return f"lift under {MIN_ALARM_LIFT}×"
    if paused:
        return "re-tag running"
    return ""


def fisher_two_sided(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact p-value that two shares differ (1.0 when either period is empty).

    The table [[k1, n1 − k1], [k2, n2 − k2]] with its margins fixed: the sum of the hypergeometric
    probabilities of every table no more likely than the observed one (scipy's ``fisher_exact`` rule,
    relative tolerance 1e-7), from log-gamma over the whole support at once — scipy's own call costs
    milliseconds per table, and a digest asks for a few hundred.
    """
    if n1 == 0 or n2 == 0:
        return 1.0
    successes, total = k1 + k2, n1 + n2
    x = np.arange(max(0, successes - n2), min(n1, successes) + 1)
    log_pmf = _log_choose(n1, x) + _log_choose(n2, successes - x) - _log_choose(total, np.asarray(successes))
    observed = log_pmf[k1 - x[0]]
    p = float(np.exp(log_pmf[log_pmf <= observed + math.log1p(1e-7)]).sum())
    return min(1.0, max(0.0, p))


def _log_choose(n: int, k: np.ndarray) -> np.ndarray:
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
