"""Local calendar periods turned into UTC instants: weeks that start on a local Monday at midnight.

Pure (the standard library only). A week in a zone with daylight saving is 167 or 169 hours long on its
change weeks; counting it from local midnights (not as 7 × 24 h of UTC) is what keeps a Sunday-evening
answer in the right week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Period:
    """Local days ``first``..``last`` (inclusive) in ``zone``, and their UTC bounds [start, end)."""

    first: date
    last: date
    zone: str

    @property
    def days(self) -> int:
        """Number of local days in the period."""
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first local midnight, in UTC."""
        return local_midnight(self.first, ZoneInfo(self.zone))

    @property
    def end(self) -> datetime:
        """The local midnight after the last day, in UTC (exclusive)."""
        return local_midnight(self.last + timedelta(days=1), ZoneInfo(self.zone))

    def previous(self, count: int = 1) -> Period:
        """The ``count`` periods of the same length right before this one, as one period."""
        return Period(
            self.first - timedelta(days=self.days * count), self.first - timedelta(days=1), self.zone
        )

    def shifted(self, periods: int) -> Period:
        """The period of the same length ``periods`` lengths later (earlier when negative)."""
        step = timedelta(days=self.days * periods)
        return Period(self.first + step, self.last + step, self.zone)

    def label(self) -> str:
        """e.g. "3–9 Mar 2026" or "28 Feb – 6 Mar 2026"."""
        if self.first == self.last:
            return f"{self.first.day} {self.first:%b %Y}"
        if self.first.year != self.last.year:
            return f"{self.first.day} {self.first:%b %Y} – {self.last.day} {self.last:%b %Y}"
        if self.first.month != self.last.month:
            return f"{self.first.day} {self.first:%b} – {self.last.day} {self.last:%b %Y}"
        return f"{self.first.day}–{self.last.day} {self.last:%b %Y}"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a local day begins."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """The local date at instant ``now``."""
    return now.astimezone(zone).date()


def week_of(day: date, zone: str) -> Period:
    """The Monday-to-Sunday week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6), zone)


def last_complete_week(now: datetime, zone: str) -> Period:
    """The latest Monday-to-Sunday local week that has fully ended at ``now``."""
    return week_of(local_today(now, ZoneInfo(zone)), zone).shifted(-1)


def days_ending(last: date, days: int, zone: str) -> Period:
    """The ``days`` local days ending with ``last`` (inclusive)."""
    return Period(last - timedelta(days=days - 1), last, zone)


def weekly_buckets(period: Period, weeks: int) -> list[Period]:
    """``weeks`` consecutive 7-day periods ending with the last day of ``period`` (oldest first)."""
    last = days_ending(period.last, 7, period.zone)
    return [last.shifted(-i) for i in range(weeks - 1, -1, -1)]


def due_digest_week(now: datetime, zone: str, weekday: int, hour: int) -> tuple[Period, datetime]:
    """The week whose digest is due most recently at ``now``, and when it fell due (UTC).

    A week's digest falls due on ``weekday`` (0 = Monday) at ``hour`` local time in the week after it.
    """
    tz = ZoneInfo(zone)
    this_week = week_of(local_today(now, tz), zone)
    due_day = this_week.first + timedelta(days=weekday)
    due = datetime.combine(due_day, time(hour), tzinfo=tz).astimezone(UTC)
    if now >= due:
        return this_week.shifted(-1), due
    earlier = datetime.combine(due_day - WEEK, time(hour), tzinfo=tz).astimezone(UTC)
    return this_week.shifted(-2), earlier
