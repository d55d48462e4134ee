"""A follow-up is overdue from the first moment past its SLA due time, not at it and not before."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.followups.queries import is_overdue
from app.models import FollowUpState

DUE = datetime(2026, 3, 10, 17, 0)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "state", "expected"),
    [
        (DUE - TICK, FollowUpState.OPEN, False),
        (DUE, FollowUpState.OPEN, False),  # at the due time it is still on time
        (DUE + TICK, FollowUpState.OPEN, True),
        (DUE + TICK, FollowUpState.CONTACTED, True),
        (DUE + TICK, FollowUpState.REOPENED, True),
        (DUE + timedelta(days=30), FollowUpState.RESOLVED, False),  # resolved is never overdue
    ],
)
def test_overdue_starts_just_after_the_due_time(now, state, expected):
    assert is_overdue(state, DUE, now) is expected


def test_without_a_due_time_nothing_is_overdue():
    assert is_overdue(FollowUpState.OPEN, None, DUE + timedelta(days=365)) is False
