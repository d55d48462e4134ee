"""Local weeks in a time zone: Monday midnights, daylight-saving weeks, and when a digest falls due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.insights import periods


def test_a_spring_forward_week_is_167_hours_and_starts_at_local_midnight():
    # Europe/Berlin moved to summer time on Sunday 29 March 2026.
    week = periods.week_of(date(2026, 3, 25), "Europe/Berlin")
    assert (week.first, week.last) == (date(2026, 3, 23), date(2026, 3, 29))
    assert week.start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)  # Monday 00:00 CET
    assert week.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # next Monday 00:00 CEST
    assert week.end - week.start == timedelta(hours=167)


def test_a_fall_back_week_is_169_hours():
    week = periods.week_of(date(2026, 10, 25), "Europe/Berlin")
    assert week.end - week.start == timedelta(hours=169)
    assert periods.week_of(date(2026, 10, 25), "UTC").end - periods.week_of(
        date(2026, 10, 25), "UTC"
    ).start == timedelta(hours=168)


def test_last_complete_week_depends_on_the_local_day():
    # Sunday 23:30 in New York is already Monday in UTC: the week has not ended there yet.
    now = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)
    ny = periods.last_complete_week(now, "America/New_York")
    utc = periods.last_complete_week(now, "UTC")
    assert (ny.first, ny.last) == (date(2026, 2, 23), date(2026, 3, 1))
    assert (utc.first, utc.last) == (date(2026, 3, 2), date(2026, 3, 8))


def test_digest_falls_due_at_the_local_hour_of_the_weekday():
    zone = "Europe/Berlin"
    before = datetime(2026, 3, 30, 5, 59, tzinfo=UTC)  # Monday 07:59 CEST
    after = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # Monday 08:00 CEST
    week, due = periods.due_digest_week(after, zone, weekday=0, hour=8)
    assert (week.first, due) == (date(2026, 3, 23), after)
    earlier_week, earlier_due = periods.due_digest_week(before, zone, weekday=0, hour=8)
    assert earlier_week.first == date(2026, 3, 16)
    assert earlier_due == datetime(2026, 3, 23, 7, 0, tzinfo=UTC)  # a week before, still winter time


def test_previous_and_buckets_and_labels():
    p = periods.days_ending(date(2026, 3, 31), 28, "UTC")
    assert p.first == date(2026, 3, 4) and p.days == 28
    assert p.previous().last == date(2026, 3, 3) and p.previous().days == 28
    assert p.previous(2).days == 56
    buckets = periods.weekly_buckets(p, 4)
    assert [b.days for b in buckets] == [7] * 4 and buckets[-1].last == p.last and buckets[0].first == p.first
    assert periods.week_of(date(2026, 3, 4), "UTC").label() == "2–8 Mar 2026"
    assert periods.Period(date(2026, 2, 23), date(2026, 3, 1), "UTC").label() == "23 Feb – 1 Mar 2026"
    assert periods.Period(date(2025, 12, 29), date(2026, 1, 4), "UTC").label() == "29 Dec 2025 – 4 Jan 2026"
