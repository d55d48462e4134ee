"""The driver fit from its grouped answers (matrices, the roots by a product with the topic → root map)
gives the estimates the per-group Python of before gave, on random groups: many topics, subtopics, topics
under the column threshold, topics always together, inactive topics' ids, and bands of the rest."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from app.insights import analytics, stats
from app.insights import queries as q

MIN = analytics.MIN_DRIVER_RESPONSES


def _old_fit(answers: Counter) -> stats.DriverFit:
    """``analytics._fit`` as it was (a Counter of (topics, coded value) → answers)."""
    counts: Counter[int] = Counter()
    for (topics, _), n in answers.items():
        for t in topics:
            counts[t] += n
    columns = sorted(t for t, n in counts.items() if n >= MIN)
    index = {t: j for j, t in enumerate(columns)}
    groups: Counter = Counter()
    for (topics, value), n in answers.items():
        if n:
            groups[(tuple(sorted(index[t] for t in topics if t in index)), value)] += n
    x, y, w = np.zeros((len(groups), len(columns))), np.zeros(len(groups)), np.zeros(len(groups))
    for i, ((cols, value), n) in enumerate(groups.items()):
        x[i, list(cols)] = 1
        y[i], w[i] = value, n
    return stats.driver_fit(x, y, w, columns)


def _old_drivers(groups: dict, totals: q.Totals, tree) -> analytics.Drivers:
    """``analytics._fit_drivers`` as it was, from the same groups."""
    nodes = {n.id: n for n in tree}
    p, m, d = totals.nps_counts
    rest = {100: p, 0: m, -100: d}
    own: Counter = Counter()
    roots: Counter = Counter()
    for (topics, y), n in groups.items():
        rest[y] -= n
        mine = [t for t in topics if t in nodes]
        own[(tuple(mine), y)] += n
        roots[(tuple(sorted({(nodes[t].ancestors or (t,))[0] for t in mine})), y)] += n
    for y, n in rest.items():
        own[((), y)] += n
        roots[((), y)] += n
    if sum(own.values()) == 0:
        return analytics.Drivers(0, None, {}, {})
    top_fit, all_fit = _old_fit(roots), _old_fit(own)
    estimates, notes = {}, {}
    for node in tree:
        fit = top_fit if node.depth == 0 else all_fit
        estimates[node.id] = fit.coefficients.get(node.id)
        if node.id in fit.dropped:
            notes[node.id] = fit.dropped[node.id]
    return analytics.Drivers(top_fit.n, top_fit.r_squared if top_fit.coefficients else None, estimates, notes)


def _tree(rng: random.Random, n: int) -> list[q.TopicNode]:
    """Topics 10..10+n: the first few roots, the rest under a random earlier topic."""
    out: list[q.TopicNode] = []
    for i in range(n):
        tid = 10 + 3 * i  # ids not dense
        parent = rng.choice(out) if i >= 4 and rng.random() < 0.7 else None
        ancestors = (*parent.ancestors, parent.id) if parent else ()
        out.append(q.TopicNode(tid, f"t{tid}", parent.id if parent else None, len(ancestors), ancestors))
    return out


def _random_groups(rng: random.Random, tree, answers: int, common: bool = False) -> tuple[dict, q.Totals]:
    ids = [n.id for n in tree]
    # some topics under the column threshold (``common``: none)
    weights = [40 if common else rng.choice([1, 1, 5, 40]) for _ in ids]
    twin = ids[-1]  # always mentioned with ids[-2]
    groups: Counter = Counter()
    bands = Counter()
    for _ in range(answers):
        y = rng.choice([100, 100, 0, -100])
        bands[y] += 1
        if rng.random() < 0.3:
            continue  # no topic of its own: counted from the totals
        chosen = set(rng.choices(ids, weights, k=rng.randint(1, 3)))
        chosen.discard(twin)
        if ids[-2] in chosen:
            chosen.add(twin)
        if rng.random() < 0.05:
            chosen.add(999)  # an inactive topic's id
        groups[(tuple(sorted(chosen)), y)] += 1
    return dict(groups), q.Totals(answers, answers, bands[100], bands[0], bands[-100])


def _same(got: stats.Estimate | None, want: stats.Estimate | None) -> None:
    if want is None:
        assert got is None
        return
    assert got.n == want.n
    assert got.value == pytest.approx(want.value, rel=1e-9, abs=1e-9)
    assert got.se == pytest.approx(want.se, rel=1e-9, abs=1e-9)
    assert got.low == pytest.approx(want.low, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(9))
def test_matrix_fit_equals_the_per_group_fit(monkeypatch, seed):
    rng = random.Random(seed)
    wide = seed == 8  # more than 60 columns: rows compared bytewise, not as one integer
    tree = _tree(rng, 70 if wide else rng.randint(3, 25))
    groups, totals = _random_groups(rng, tree, 8_000 if wide else rng.choice([30, 400, 3000]), wide)
    monkeypatch.setattr(q, "nps_topic_groups", lambda period, survey_id: groups)
    got = analytics._fit_drivers(None, totals, tree, None)
    want = _old_drivers(groups, totals, tree)
    assert got.n == want.n
    assert (got.r_squared is None) == (want.r_squared is None)
    if want.r_squared is not None:
        assert got.r_squared == pytest.approx(want.r_squared, rel=1e-9)
    assert got.notes == want.notes
    assert got.estimates.keys() == want.estimates.keys()
    for key, estimate in want.estimates.items():
        _same(got.estimates[key], estimate)
    assert any(v is not None for v in want.estimates.values()) or totals.responses < 100
    if wide:
        assert sum(v is not None for v in got.estimates.values()) > 62


def test_no_answers_give_no_fit(monkeypatch):
    tree = _tree(random.Random(1), 4)
    monkeypatch.setattr(q, "nps_topic_groups", lambda period, survey_id: {})
    assert analytics._fit_drivers(None, q.Totals(0, 0, 0, 0, 0), tree, None) == analytics.Drivers(
        0, None, {}, {}
    )
