"""Community time: working hours with holidays and make-up working days, and quiet hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from store.calendar import QuietHours, WorkCalendar

ZONE = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0, month: int = 2) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=ZONE)


CALENDAR = WorkCalendar(ZONE, holidays=frozenset({dt.date(2027, 2, 8), dt.date(2027, 2, 9)}),
                        workdays=frozenset({dt.date(2027, 2, 6)}))  # a Saturday made a workday


def test_working_time_skips_evenings_weekends_and_holidays() -> None:
    assert CALENDAR.next_working(at(3, 10)) == at(3, 10)  # Wednesday morning: as it is
    assert CALENDAR.next_working(at(3, 7)) == at(3, 8, 30)  # before the office opens
    assert CALENDAR.next_working(at(3, 18)) == at(4, 8, 30)  # after it closes
    assert CALENDAR.next_working(at(5, 18)) == at(6, 8, 30)  # Saturday 6th is worked (调休)
    assert CALENDAR.next_working(at(6, 18)) == at(10, 8, 30)  # Sunday, then two holidays
    assert CALENDAR.next_working(at(6, 18).astimezone(dt.UTC)) == at(10, 8, 30)


def test_quiet_hours_span_midnight_in_the_community_time_zone() -> None:
    quiet = QuietHours(ZONE)
    assert not quiet.is_quiet(at(3, 21, 59)) and quiet.is_quiet(at(3, 22))
    assert quiet.is_quiet(at(4, 6, 59)) and not quiet.is_quiet(at(4, 7))
    assert quiet.ends(at(3, 23)) == at(4, 7) and quiet.ends(at(4, 3)) == at(4, 7)
    assert quiet.ends(at(3, 12)) == at(3, 12)
    assert quiet.is_quiet(dt.datetime(2027, 2, 3, 15, 0, tzinfo=dt.UTC))  # 23:00 in Beijing
    assert not QuietHours(ZONE, dt.time(0), dt.time(0)).is_quiet(at(3, 23))  # switched off
