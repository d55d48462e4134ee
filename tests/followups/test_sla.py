"""Business-day SLAs, known answers: weekends, public holidays of the workspace's country, DST weeks."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.followups.sla import Calendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _due(cal: Calendar, start: datetime, days: int = 2) -> datetime:
    return cal.add_business_days(start, days).astimezone(cal.zone)


def test_friday_afternoon_plus_two_business_days_is_tuesday_same_time():
    cal = Calendar(BERLIN)
    assert _due(cal, datetime(2026, 12, 4, 16, 0, tzinfo=BERLIN)) == datetime(
        2026, 12, 8, 16, 0, tzinfo=BERLIN
    )


def test_saturday_starts_the_clock_at_the_start_of_the_business_day():
    cal = Calendar(BERLIN)
    assert _due(cal, datetime(2026, 12, 5, 10, 0, tzinfo=BERLIN)) == datetime(
        2026, 12, 8, 9, 0, tzinfo=BERLIN
    )
    assert _due(cal, datetime(2026, 12, 6, 23, 30, tzinfo=BERLIN)) == datetime(
        2026, 12, 8, 9, 0, tzinfo=BERLIN
    )
    assert _due(Calendar(BERLIN, day_start=8), datetime(2026, 12, 5, 10, tzinfo=BERLIN)).hour == 8


def test_the_local_day_counts_not_the_utc_day():
    # 23:30 UTC on Friday is already Saturday 00:30 in Berlin: a weekend start.
    start = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert _due(Calendar(BERLIN), start) == datetime(2026, 12, 8, 9, 0, tzinfo=BERLIN)
    assert _due(Calendar(ZoneInfo("UTC")), start) == datetime(2026, 12, 8, 23, 30, tzinfo=UTC)


def test_public_holidays_of_the_country_are_skipped():
    # Thursday 24 Dec 2026, Germany: Fri 25 and Sat 26 are holidays/weekend → Mon 28, Tue 29.
    start = datetime(2026, 12, 24, 11, 0, tzinfo=BERLIN)
    assert _due(Calendar(BERLIN, "DE"), start) == datetime(2026, 12, 29, 11, 0, tzinfo=BERLIN)
    assert _due(Calendar(BERLIN), start) == datetime(2026, 12, 28, 11, 0, tzinfo=BERLIN)  # weekends only
    # A start on a holiday (US Independence Day observed, Fri 3 Jul 2026): 09:00, two business days on.
    july = datetime(2026, 7, 3, 14, 0, tzinfo=NEW_YORK)
    assert _due(Calendar(NEW_YORK, "US"), july) == datetime(2026, 7, 7, 9, 0, tzinfo=NEW_YORK)


def test_a_dst_week_keeps_the_wall_clock_time():
    # New York springs forward on Sun 8 Mar 2026: Fri 16:00 EST + 2 business days = Tue 16:00 EDT,
    # which is 20:00 UTC (not 21:00): 95 hours of elapsed time, not 96.
    start = datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK)
    due = Calendar(NEW_YORK, "US").add_business_days(start, 2)
    assert due == datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    assert (due - start).total_seconds() / 3600 == 95
    # Berlin falls back on Sun 25 Oct 2026: Fri 16:00 CEST → Tue 16:00 CET = 15:00 UTC (97 hours).
    autumn = datetime(2026, 10, 23, 16, 0, tzinfo=BERLIN)
    assert Calendar(BERLIN, "DE").add_business_days(autumn, 2) == datetime(2026, 10, 27, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (datetime(2026, 12, 7, 10, tzinfo=BERLIN), 0, datetime(2026, 12, 7, 10, tzinfo=BERLIN)),
        (datetime(2026, 12, 5, 10, tzinfo=BERLIN), 0, datetime(2026, 12, 7, 9, tzinfo=BERLIN)),
        (datetime(2026, 12, 7, 10, tzinfo=BERLIN), 5, datetime(2026, 12, 14, 10, tzinfo=BERLIN)),
        (datetime(2026, 12, 7, 10, tzinfo=BERLIN), 1, datetime(2026, 12, 8, 10, tzinfo=BERLIN)),
    ],
)
def test_zero_one_and_a_whole_week(start, days, expected):
    assert _due(Calendar(BERLIN), start, days) == expected


def test_business_days_between():
    cal = Calendar(BERLIN, "DE")
    fri = datetime(2026, 12, 4, 16, tzinfo=BERLIN)
    assert cal.business_days_between(fri, datetime(2026, 12, 7, 8, tzinfo=BERLIN)) == 1
    assert cal.business_days_between(fri, datetime(2026, 12, 6, 8, tzinfo=BERLIN)) == 0
    assert cal.business_days_between(fri, fri) == 0
