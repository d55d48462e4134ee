"""Every team's digest of a run shares one computation of the week's workspace-wide figures: each team's
content is exactly what it is when built alone, and the topic figures are computed once for all teams."""

from __future__ import annotations

import pytest

from app.insights import analytics, stats
from app.insights.digest import build_content
from app.insights.periods import last_complete_week
from app.insights.sharing import shared, sharing
from app.insights.teams import followed_topic_ids
from tests.insights.test_digest import DUE, ZONE, _build_week, _old_team


@pytest.fixture
def teams(ctx):
    """The Billing squad of test_digest's week, a team following everything and one following Invoices."""
    week = _build_week()
    everything = _old_team(name="Everyone")
    invoices = _old_team(name="Invoices crew", topics=[week["invoices"]])
    from app.extensions import db
    from app.models import Team

    return [db.session.get(Team, week["team"]), everything, invoices]


def test_shared_figures_give_each_team_the_digest_it_gets_alone(teams, monkeypatch):
    period = last_complete_week(DUE, ZONE)
    alone = [build_content(t.name, period, followed_topic_ids(t), period.start) for t in teams]
    computed = []
    real = analytics._topic_analytics
    monkeypatch.setattr(analytics, "_topic_analytics", lambda *a, **k: computed.append(a) or real(*a, **k))
    with sharing():
        together = [build_content(t.name, period, followed_topic_ids(t), period.start) for t in teams]
    assert together == alone
    assert len(computed) == 1 and computed[0][2] is None  # once, for every topic
    assert [r["id"] for r in together[2]["topics"]] == [followed_topic_ids(teams[2])[0]]  # its subtree only
    assert not together[0]["empty"] and together[1]["scope"] == "every topic"


def test_nothing_is_shared_outside_a_block_or_after_it():
    calls = []
    assert shared("k", lambda: calls.append(1) or 1) == shared("k", lambda: calls.append(1) or 1)
    assert len(calls) == 2
    with sharing():
        shared("k", lambda: calls.append(1) or 1)
        with sharing():  # nested: the outer block's memo
            shared("k", lambda: calls.append(1) or 1)
    assert len(calls) == 3
    with sharing():
        shared("k", lambda: calls.append(1) or 1)
    assert len(calls) == 4


@pytest.mark.parametrize(
    "k1,n1,k2,n2",
    [(0, 10, 0, 10), (3, 10, 0, 12), (10, 10, 0, 10), (7, 500, 30, 480), (40, 500, 20, 480),
     (1, 1, 0, 1), (250, 2000, 180, 2100), (0, 3000, 5, 2900), (12, 13, 1, 15)],
)  # fmt: skip
def test_fisher_two_sided_matches_scipy(k1, n1, k2, n2):
    from scipy.stats import fisher_exact

    expected = fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue
    assert stats.fisher_two_sided(k1, n1, k2, n2) == pytest.approx(expected, rel=1e-9, abs=1e-300)
