"""Loop metrics, known answers: median and p90 of time to first contact and to resolution, share within the
SLA with its Wilson interval, reopen rate, by owner and by team, inner vs outer loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.followups import stats
from app.models import FollowUp, FollowUpState, Role, Team
from tests.factories import make_response, make_topic, make_user

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_percentile_known_answers():
    assert stats.percentile([], 0.5) is None
    assert stats.percentile([7.0], 0.9) == 7.0
    assert stats.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert stats.percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)


def _row(owner, opened_h_ago, contact_h=None, resolve_h=None, due_h=48, reopened=0, loop=None, topic=None):
    created = NOW - timedelta(hours=opened_h_ago)
    row = FollowUp(
        response_id=make_response(score=2).id,
        assignee_id=owner.id if owner else None,
        reason="Detractors",
        created_at=created,
        due_at=created + timedelta(hours=due_h),
        contacted_at=created + timedelta(hours=contact_h) if contact_h is not None else None,
        resolved_at=created + timedelta(hours=resolve_h) if resolve_h is not None else None,
        state=FollowUpState.RESOLVED if resolve_h is not None else FollowUpState.OPEN,
        reopen_count=reopened,
        loop=loop,
        root_topic_id=topic.id if topic else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_report_by_owner_and_team(ctx):
    ann, bob = make_user(Role.CS, name="Ann"), make_user(Role.CS, name="Bob")
    billing = make_topic("Billing")
    db.session.add(Team(name="Payments", members=[ann]))
    _row(ann, 100, contact_h=2, resolve_h=10, loop="inner")
    _row(ann, 100, contact_h=4, resolve_h=60, loop="outer", topic=billing)  # resolved after its 48 h due time
    _row(ann, 90, contact_h=6, resolve_h=20, reopened=1, loop="outer", topic=billing)
    _row(bob, 72)  # open and overdue (due 24 hours ago)
    _row(bob, 10)  # open, not yet due
    _row(None, 24 * 200)  # outside the 90-day window
    report = stats.report(90, now=NOW)
    everyone = report.overall
    assert (everyone.opened, everyone.open_now, everyone.overdue) == (5, 2, 1)
    assert everyone.contact_median == 4 and everyone.resolve_median == 20
    assert everyone.resolve_p90 == pytest.approx(52.0)  # 20 + 0.8 × (60 − 20)
    assert everyone.within_sla.value == pytest.approx(200 / 3) and everyone.within_sla.n == 3
    assert everyone.within_sla.low == pytest.approx(20.77, abs=0.05)  # Wilson, 2 of 3
    assert everyone.reopen_rate.value == pytest.approx(100 / 3)
    by_owner = {g.label: g for g in report.by_owner}
    assert (
        by_owner["Ann"].opened == 3
        and by_owner["Bob"].overdue == 1
        and by_owner["Bob"].resolve_median is None
    )
    assert [g.label for g in report.by_team] == ["Payments"] and report.by_team[0].opened == 3
    assert report.loops == {"inner": 1, "outer": 2}
    assert report.root_topics == [("Billing", 2)]


def test_empty_report(ctx):
    report = stats.report(30, now=NOW)
    assert report.overall.opened == 0 and report.overall.within_sla.value is None and report.by_owner == []
