"""Service levels in business days, counted in the workspace time zone, skipping weekends and the public
holidays of the workspace's country (the ``holidays`` package).

The due time is the same local wall-clock time on the n-th business day after the answer's local day, so
Fri 16:00 + 2 business days is Tue 16:00 (and stays 16:00 across a DST change). An answer given on a
weekend or holiday starts its clock at the start of the business day (09:00 by default): Sat 10:00 + 2 is
Tue 09:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MAX_DAYS = 60  # an SLA longer than this many business days is refused by the settings form


@lru_cache(maxsize=16)
def _holidays(country: str, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year))


def supported_countries() -> list[str]:
    """ISO codes of the countries the holidays package knows, sorted."""
    return sorted(holidays.list_supported_countries())


@dataclass(frozen=True)
class Calendar:
    """A business calendar: a time zone, a holiday country ("" = none) and the local start of day."""

    zone: ZoneInfo
    country: str = ""
    day_start: int = 9

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a public holiday."""
        return day.weekday() < 5 and day not in _holidays(self.country, day.year)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` business days after ``start`` (aware), as an aware UTC datetime."""
        local = start.astimezone(self.zone)
        day = local.date()
        at = local.time().replace(tzinfo=None)
        if not self.is_business_day(day):
            at = time(self.day_start)
            if days == 0:  # due "today" on a day off: the start of the next business day
                days = 1
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_business_day(day)
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def business_days_between(self, start: datetime, end: datetime) -> int:
        """Whole business days after ``start``'s local day up to and including ``end``'s (0 if before)."""
        first = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count
