"""The statistics of topic analytics against known answers, textbook formulas and simulations."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import fisher_exact

from app.insights import stats


def test_impact_known_answer_from_the_issue():
    # 1,000 responses 500/300/200 (NPS 30); the topic on 100 of them, 20/20/60.
    impact = stats.nps_impact((500, 300, 200), (20, 20, 60))
    assert round(impact.value, 2) == -7.78
    assert impact.n == 100
    assert impact.low < impact.value < impact.high
    assert impact.high < 0, "a topic this negative on a tenth of answers is beyond noise"


def test_impact_of_a_topic_on_nobody_or_everybody():
    assert stats.nps_impact((5, 3, 2), (0, 0, 0)).value == 0
    assert stats.nps_impact((5, 3, 2), (5, 3, 2)).value is None  # nothing left to compare with
    with pytest.raises(ValueError):
        stats.nps_impact((5, 3, 2), (6, 0, 0))


def test_impact_interval_covers_the_truth_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    n, runs = 1000, 1500
    # True cells: topic (promoter, passive, detractor), rest (promoter, passive, detractor).
    cells = np.array([0.02, 0.02, 0.06, 0.48, 0.28, 0.14])
    truth = 100 * ((cells[0] + cells[3] - cells[2] - cells[5]) - (cells[3] - cells[5]) / cells[3:].sum())
    covered = 0
    for draw in rng.multinomial(n, cells, size=runs):
        everyone = (draw[0] + draw[3], draw[1] + draw[4], draw[2] + draw[5])
        est = stats.nps_impact(everyone, draw[:3])
        covered += est.low <= truth <= est.high
    assert 0.93 <= covered / runs <= 0.97


def _driver_sample(n: int, seed: int):
    """Topic A (true effect −40) and topic B (no effect) that co-occurs with A 80 % of the time."""
    rng = np.random.default_rng(seed)
    a = rng.random(n) < 0.25
    b = np.where(a, rng.random(n) < 0.6, rng.random(n) < 0.05)
    u = rng.random(n)
    # Without A: 45 % promoters, 25 % detractors (mean +20); with A: 30 % / 50 % (mean −20).
    prom, det = np.where(a, 0.30, 0.45), np.where(a, 0.50, 0.25)
    y = np.where(u < prom, 100, np.where(u < prom + det, -100, 0))
    return a, b, y


def _grouped(columns: list[np.ndarray], y: np.ndarray):
    rows = np.column_stack([*columns, y]).astype(int)
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    return unique[:, :-1], unique[:, -1], counts


def test_driver_does_not_blame_a_topic_that_merely_co_occurs_with_a_bad_one():
    a, b, y = _driver_sample(50_000, seed=3)
    assert b.sum() and (a & b).sum() / b.sum() == pytest.approx(0.8, abs=0.02)
    x, yy, w = _grouped([a, b], y)
    fit = stats.driver_fit(x, yy, w, columns=[1, 2])
    assert fit.coefficients[1].value == pytest.approx(-40, abs=3)
    assert fit.coefficients[1].excludes_zero
    assert abs(fit.coefficients[2].value) < 5
    # The share-based impact blames B all the same: its answers are mostly A's.
    counts = lambda mask: ((y[mask] == 100).sum(), (y[mask] == 0).sum(), (y[mask] == -100).sum())  # noqa: E731
    impact_b = stats.nps_impact(counts(np.ones_like(b)), counts(b))
    assert impact_b.value < -3 and impact_b.excludes_zero


def test_driver_hc3_matches_the_textbook_formula_on_ungrouped_rows():
    rng = np.random.default_rng(5)
    n = 60
    x = (rng.random((n, 2)) < 0.4).astype(float)
    y = rng.choice([-100, 0, 100], size=n).astype(float)
    fit = stats.driver_fit(x, y, np.ones(n), columns=[10, 20])
    design = np.column_stack([np.ones(n), x])
    inv = np.linalg.inv(design.T @ design)
    beta = inv @ design.T @ y
    e = y - design @ beta
    h = np.diag(design @ inv @ design.T)
    cov = inv @ (design.T * (e / (1 - h)) ** 2) @ design @ inv
    assert fit.coefficients[10].value == pytest.approx(beta[1])
    assert fit.coefficients[20].se == pytest.approx(math.sqrt(cov[2, 2]))
    assert fit.n == n


def test_grouping_rows_gives_the_same_fit_as_one_row_per_response():
    a, b, y = _driver_sample(3000, seed=9)
    x, yy, w = _grouped([a, b], y)
    grouped = stats.driver_fit(x, yy, w, columns=[1, 2])
    single = stats.driver_fit(np.column_stack([a, b]), y, np.ones(len(y)), columns=[1, 2])
    for key in (1, 2):
        assert grouped.coefficients[key].value == pytest.approx(single.coefficients[key].value)
        assert grouped.coefficients[key].se == pytest.approx(single.coefficients[key].se)


def test_driver_drops_columns_it_cannot_separate():
    x = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]])
    y = np.array([-100, 0, 100, 100, -100, 0])
    fit = stats.driver_fit(x, y, np.full(6, 5), columns=[1, 2, 3])
    assert 1 in fit.coefficients and 2 not in fit.coefficients
    assert "together" in fit.dropped[2]
    constant = stats.driver_fit(np.ones((3, 1)), np.array([1, 2, 3]), np.ones(3), columns=[7])
    assert constant.coefficients == {} and 7 in constant.dropped


def test_fisher_greater_is_the_one_sided_fisher_exact_test():
    k_now, k_base = np.array([50, 3, 0, 20]), np.array([160, 40, 5, 160])
    p = stats.fisher_greater(k_now, 1000, k_base, 8000)
    for i in range(4):
        table = [[k_now[i], 1000 - k_now[i]], [k_base[i], 8000 - k_base[i]]]
        assert p[i] == pytest.approx(fisher_exact(table, alternative="greater").pvalue)


def test_benjamini_hochberg_by_hand():
    q = stats.bh_qvalues([0.01, 0.04, 0.03, 0.20])
    # sorted 0.01, 0.03, 0.04, 0.20 → ×4/rank: 0.04, 0.06, 0.0533, 0.20 → running min from the top.
    assert q == pytest.approx([0.04, 0.0533333, 0.0533333, 0.20], rel=1e-5)


def test_alarm_gates_each_hold_an_alarm_back():
    keys = [1, 2, 3, 4, 5]
    k_now = [60, 4, 60, 130, 60]
    accounts = [10, 4, 2, 10, 10]
    k_base = [160, 0, 160, 720, 160]
    out = stats.emerging(keys, k_now, 1000, k_base, 8000, accounts, paused=frozenset({5}))
    by = {r.key: r for r in out}
    assert by[1].alarm and by[1].lift == pytest.approx(3.0)
    assert "responses" in by[2].reason  # significant (new topic) but only 4 responses
    assert "accounts" in by[3].reason
    assert "lift" in by[4].reason and by[4].q < 0.05  # 13 % vs 9 %: significant, lift 1.44
    assert by[5].reason == "re-tag running" and not by[5].alarm
    assert stats.emerging(keys, k_now, 0, k_base, 8000, accounts) == []


# --- Acceptance on simulated series: 1,000 responses a week, 100 topics ---------------------------------

TOPICS, ACCOUNTS, WEEKS = 100, 250, 400


def _simulate(rng, shares: np.ndarray, n_now: int, weeks: int) -> tuple[float, float]:
    """(share of weeks with any alarm, share of weeks where topic 0 alarms)."""
    base_shares = _base_shares()
    any_alarm = topic0 = 0
    for _ in range(weeks):
        k_base = rng.binomial(8 * 1000, base_shares)
        k_now = rng.binomial(n_now, shares)
        accounts = np.array([np.unique(rng.integers(0, ACCOUNTS, k)).size for k in k_now])
        alarms = {
            r.key for r in stats.emerging(range(TOPICS), k_now, n_now, k_base, 8000, accounts) if r.alarm
        }
        any_alarm += bool(alarms)
        topic0 += 0 in alarms
    return any_alarm / weeks, topic0 / weeks


def _base_shares() -> np.ndarray:
    """100 topic shares, spread like a real taxonomy (0.3 %–12 %), topic 0 at 2 %."""
    shares = np.clip(np.random.default_rng(1).lognormal(np.log(0.02), 0.7, TOPICS), 0.003, 0.12)
    shares[0] = 0.02
    return shares


@pytest.mark.slow
def test_a_rise_from_2_to_5_percent_is_detected_with_power_above_0_9():
    shares = _base_shares()
    shares[0] = 0.05
    _, power = _simulate(np.random.default_rng(2026), shares, 1000, WEEKS)
    assert power >= 0.9


@pytest.mark.slow
def test_weeks_without_change_rarely_raise_any_alarm():
    any_alarm, _ = _simulate(np.random.default_rng(2027), _base_shares(), 1000, WEEKS)
    assert any_alarm <= 0.10


@pytest.mark.slow
def test_a_send_that_doubles_volume_at_the_same_share_raises_few_alarms():
    any_alarm, _ = _simulate(np.random.default_rng(2028), _base_shares(), 2000, WEEKS)
    assert any_alarm <= 0.05


def test_the_statistics_modules_are_pure():
    root = Path(stats.__file__).parent
    for name in ("stats.py", "periods.py"):
        tree = ast.parse((root / name).read_text())
        imported = {
            (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert not {m for m in imported if m.split(".")[0] in {"flask", "sqlalchemy", "app"}}, name
