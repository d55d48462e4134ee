"""Topic analytics from the database: known answers for impact, driver and revenue; shares, subtopics,
previous periods, weekly trends and the emerging test with its re-tag pause."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from app.extensions import db
from app.insights import analytics
from app.insights import queries as q
from app.insights.periods import Period, days_ending
from app.models import Mention, MentionSource, RetagRun, RetagState
from tests.factories import make_account
from tests.insights.conftest import add_response, bulk_nps, topic

PERIOD = days_ending(date(2026, 3, 1), 28, "UTC")
INSIDE = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
BEFORE = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)


def test_impact_known_answer_through_the_database(ctx):
    billing = topic("Billing")
    bulk_nps(INSIDE, (480, 280, 140))
    bulk_nps(INSIDE, (20, 20, 60), topics={billing: "negative"})
    data = analytics.topic_analytics(PERIOD)
    assert data.totals.nps_counts == (500, 300, 200)
    figures = data.by_id(billing)
    assert round(figures.impact.value, 2) == -7.78
    assert figures.impact.high < 0
    assert figures.now.responses == 100 and figures.nps.value == -40


def test_parent_includes_children_and_rejected_tags_do_not_count(ctx):
    parent = topic("Billing")
    child = topic("Invoices", parent=parent)
    add_response(INSIDE, 9, topics={parent: "positive"})
    add_response(INSIDE, 3, topics={child: "negative"})
    both = add_response(INSIDE, 5, topics={parent: "negative", child: "negative"})
    vetoed = add_response(INSIDE, 2, topics={})
    db.session.add(Mention(response_id=vetoed.id, topic_id=child, source=MentionSource.MANUAL, rejected=True))
    add_response(INSIDE, 10, comment="no topic here")
    data = analytics.topic_analytics(PERIOD)
    assert data.by_id(parent).now.responses == 3  # distinct responses, the child's included
    assert data.by_id(child).now.responses == 2
    assert (data.by_id(parent).now.negative, data.by_id(parent).now.positive) == (3, 1)  # mentions
    assert data.by_id(parent).share.value == pytest.approx(60.0)  # 3 of 5 analysed comments
    assert both.id


def test_share_counts_only_analysed_comments_and_previous_period_sits_beside(ctx):
    t = topic("Exports")
    add_response(INSIDE, 9, topics={t: "neutral"})
    add_response(INSIDE, 9, comment=None)  # no comment: not in the denominator
    add_response(INSIDE, 7, comment="fine")
    add_response(BEFORE, 9, topics={t: "neutral"})
    for _ in range(3):
        add_response(BEFORE, 8, comment="meh")
    data = analytics.topic_analytics(PERIOD)
    figures = data.by_id(t)
    assert (figures.now.responses, figures.share.value) == (1, pytest.approx(50.0))
    assert (figures.before.responses, figures.prev_share.value) == (1, pytest.approx(25.0))
    assert figures.share_change == pytest.approx(25.0)
    assert data.previous == Period(date(2026, 1, 5), date(2026, 2, 1), "UTC")


def test_revenue_at_stake_counts_each_negative_account_once(ctx):
    parent = topic("Reliability")
    child = topic("Outages", parent=parent)
    big, mid, calm, small = (make_account(arr=a) for a in (100_000, 50_000, 30_000, 20_000))
    add_response(INSIDE, 2, topics={parent: "negative"}, account_id=big.id)
    add_response(INSIDE + timedelta(days=1), 4, topics={parent: "negative"}, account_id=big.id)
    add_response(INSIDE, 6, topics={parent: "negative"}, account_id=mid.id)
    add_response(INSIDE, 10, topics={parent: "positive"}, account_id=mid.id)
    add_response(INSIDE, 9, topics={parent: "positive"}, account_id=calm.id)
    add_response(INSIDE, 5, topics={child: "negative"}, account_id=small.id)
    add_response(INSIDE, 5, topics={parent: "negative"})  # no account: no revenue
    add_response(BEFORE, 1, topics={parent: "negative"}, account_id=big.id)
    data = analytics.topic_analytics(PERIOD)
    figures = data.by_id(parent)
    assert (figures.revenue, figures.revenue_count) == (170_000, 3)
    listed = q.negative_accounts(PERIOD, None, [parent])[parent]  # the topic page's list
    assert [(a[0], a[2], a[3]) for a in listed] == [
        (big.id, 100_000, 2),
        (mid.id, 50_000, 1),
        (small.id, 20_000, 1),
    ]
    assert figures.prev_revenue == 100_000
    assert data.by_id(child).revenue == 20_000


def test_driver_fit_from_the_database_matches_least_squares(ctx):
    rng = np.random.default_rng(4)
    a, b = topic("A"), topic("B")
    rows = []
    for _ in range(400):
        has_a = rng.random() < 0.3
        has_b = rng.random() < (0.7 if has_a else 0.1)
        score = int(rng.choice([10, 8, 2], p=[0.2, 0.3, 0.5] if has_a else [0.5, 0.3, 0.2]))
        topics = {t: "neutral" for t, on in ((a, has_a), (b, has_b)) if on}
        add_response(INSIDE, score, topics=topics)
        rows.append((has_a, has_b, 100 if score >= 9 else -100 if score <= 6 else 0))
    data = analytics.topic_analytics(PERIOD)
    x = np.column_stack([np.ones(len(rows)), [r[0] for r in rows], [r[1] for r in rows]]).astype(float)
    beta = np.linalg.lstsq(x, np.array([r[2] for r in rows], dtype=float), rcond=None)[0]
    assert data.by_id(a).driver.value == pytest.approx(beta[1])
    assert data.by_id(b).driver.value == pytest.approx(beta[2])
    assert data.by_id(a).driver.excludes_zero
    assert data.driver_n == 400


def test_trend_buckets_are_local_weeks(ctx):
    t = topic("Speed")
    period = days_ending(date(2026, 3, 29), 7, "Europe/Berlin")
    # Sunday 29 March 23:30 in Berlin (after the switch to summer time) is still in the week ending that day.
    add_response(datetime(2026, 3, 29, 21, 30, tzinfo=UTC), 9, topics={t: "neutral"})
    add_response(datetime(2026, 3, 29, 22, 30, tzinfo=UTC), 9, topics={t: "neutral"})  # Monday 00:30 CEST
    data = analytics.topic_analytics(period, trend_weeks=2)
    figures = data.by_id(t)
    assert figures.now.responses == 1
    assert [(w.first, k) for w, k, _ in figures.trend] == [(date(2026, 3, 16), 0), (date(2026, 3, 23), 1)]


def _emerging_history(t: int, other: int) -> list[int]:
    accounts = [make_account().id for _ in range(4)]
    week_end = PERIOD.last
    for weeks_back in range(1, 9):  # the 8 baseline weeks: 2 % of 100
        day = datetime.combine(week_end - timedelta(days=7 * weeks_back + 3), datetime.min.time(), UTC)
        for i in range(100):
            add_response(day, 8, topics={t: "negative"} if i < 2 else {other: "neutral"} if i < 30 else None)
    day = datetime.combine(week_end - timedelta(days=2), datetime.min.time(), UTC)
    for i in range(100):  # this week: 12 %, from 4 accounts
        add_response(
            day, 3, topics={t: "negative"} if i < 12 else None, account_id=accounts[i % 4] if i < 12 else None
        )
    return accounts


@pytest.mark.slow
def test_a_topic_rising_this_week_is_emerging_unless_a_retag_runs(ctx):
    t, other = topic("Exports"), topic("Dashboards")
    _emerging_history(t, other)
    data = analytics.topic_analytics(PERIOD)
    e = data.by_id(t).emerging
    assert e.alarm and e.k_now == 12 and e.accounts == 4 and e.k_base == 16
    assert e.lift == pytest.approx(6.0)
    assert not data.by_id(other).emerging.alarm
    db.session.add(RetagRun(reason="taxonomy changed", state=RetagState.RUNNING))
    db.session.flush()
    paused = analytics.topic_analytics(PERIOD)
    assert not paused.by_id(t).emerging.alarm and paused.by_id(t).emerging.reason == "re-tag running"
    assert paused.retag is not None
