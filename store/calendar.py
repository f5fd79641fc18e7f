"""Community time: working hours and public holidays (for deadlines), and quiet hours (for
pushes). Pure functions of a moment; moments go in and come out timezone-aware."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


def _at(day: dt.date, time: dt.time, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=zone)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working hours on working days; public holidays off, make-up working days (调休) on."""

    timezone: dt.tzinfo
    start: dt.time = dt.time(8, 30)
    end: dt.time = dt.time(17, 30)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def next_working(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` if it is in working time, else when working time next begins."""
        local = moment.astimezone(self.timezone)
        day = local.date()
        if self.is_working_day(day) and self.start <= local.time() < self.end:
            return moment
        if self.is_working_day(day) and local.time() < self.start:
            return _at(day, self.start, self.timezone)
        for _ in range(366):  # a year without a working day is a configuration error
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                return _at(day, self.start, self.timezone)
        raise ValueError("the work calendar has no working day within a year")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Hours when nothing but emergencies and direct answers is pushed (default 22:00–07:00)."""

    timezone: dt.tzinfo
    start: dt.time = dt.time(22)
    end: dt.time = dt.time(7)

    def is_quiet(self, moment: dt.datetime) -> bool:
        now = moment.astimezone(self.timezone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end  # spans midnight

    def ends(self, moment: dt.datetime) -> dt.datetime:
        """When the quiet period around ``moment`` is over (``moment`` if it is not quiet)."""
        if not self.is_quiet(moment):
            return moment
        local = moment.astimezone(self.timezone)
        end = _at(local.date(), self.end, self.timezone)
        return end if end > local else end + dt.timedelta(days=1)
