"""The community's service rules in time (config/schedule.yml): deadlines, working hours and
holidays, quiet hours, satisfaction polls, handoffs, event reminders, the digest and notices."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from store.calendar import QuietHours, WorkCalendar
from store.tickets import DeadlineRule, Deadlines, Hours

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _duration(value: Any) -> Any:
    """"1h30m" → timedelta; numbers are seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.timedelta(seconds=value)
    if not isinstance(value, str):
        return value
    text = value.strip().lower().replace(" ", "")
    parts = _DURATION.findall(text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text:
        raise ValueError(f"not a duration: {value!r} (write 30s, 15m, 2h, 7d or 1h30m)")
    return sum((dt.timedelta(**{_UNITS[u]: float(n)}) for n, u in parts), dt.timedelta())


Duration = Annotated[dt.timedelta, BeforeValidator(_duration)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSpec(_Spec):
    respond: Duration
    resolve: Duration
    escalate_after: Duration
    hours: Hours = "any"

    @classmethod
    def of(cls, rule: DeadlineRule) -> RuleSpec:
        return cls(respond=rule.respond, resolve=rule.resolve,
                   escalate_after=rule.escalate_after, hours=rule.hours)

    def rule(self) -> DeadlineRule:
        return DeadlineRule(self.respond, self.resolve, self.escalate_after, self.hours)


# The defaults live in one place each: the rules and calendars themselves.
_DEADLINES = Deadlines()
_CALENDAR = WorkCalendar(dt.UTC)
_QUIET = QuietHours(dt.UTC)


class DeadlinesSpec(_Spec):
    emergency: RuleSpec = RuleSpec.of(_DEADLINES.emergency)
    utility: RuleSpec = RuleSpec.of(_DEADLINES.utility)
    default: RuleSpec = RuleSpec.of(_DEADLINES.default)
    categories: dict[str, RuleSpec] = Field(default_factory=dict)


class CalendarSpec(_Spec):
    working_hours: tuple[dt.time, dt.time] = (_CALENDAR.start, _CALENDAR.end)
    working_days: list[str] = Field(
        default_factory=lambda: [WEEKDAYS[day] for day in sorted(_CALENDAR.weekdays)])
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)


class PollSpec(_Spec):
    delay: Duration = dt.timedelta(minutes=10)
    remind_after: Duration = dt.timedelta(hours=24)
    close_after: Duration = dt.timedelta(hours=72)


class HandoffSpec(_Spec):
    timeout: Duration = dt.timedelta(minutes=30)


class DigestSpec(_Spec):
    at: dt.time = dt.time(8)
    misfire_grace: Duration = dt.timedelta(hours=4)


class NoticeSpec(_Spec):
    confirm_above: int = Field(default=50, ge=0)
    misfire_grace: Duration = dt.timedelta(hours=1)
    report_after: Duration = dt.timedelta(hours=1)


class EngineSpec(_Spec):
    interval: Duration = dt.timedelta(seconds=1)
    lease: Duration = dt.timedelta(seconds=30)


class SchedulePolicy(_Spec):
    """config/schedule.yml, validated; every field has the default DESIGN.md gives."""

    deadlines: DeadlinesSpec = DeadlinesSpec()
    calendar: CalendarSpec = CalendarSpec()
    quiet_hours: tuple[dt.time, dt.time] = (_QUIET.start, _QUIET.end)
    polls: PollSpec = PollSpec()
    event_reminders: list[Duration] = Field(
        default_factory=lambda: [dt.timedelta(hours=24), dt.timedelta(hours=1)])
    handoff: HandoffSpec = HandoffSpec()
    digest: DigestSpec = DigestSpec()
    notices: NoticeSpec = NoticeSpec()
    engine: EngineSpec = EngineSpec()

    @classmethod
    def load(cls, path: Path) -> SchedulePolicy:
        """The policy in ``path``; the defaults if there is no such file."""
        if not path.exists():
            return cls()
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def work_calendar(self, zone: dt.tzinfo) -> WorkCalendar:
        unknown = set(self.calendar.working_days) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown working days {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        start, end = self.calendar.working_hours
        return WorkCalendar(zone, start, end,
                            frozenset(WEEKDAYS.index(d) for d in self.calendar.working_days),
                            frozenset(self.calendar.holidays), frozenset(self.calendar.workdays))

    def quiet(self, zone: dt.tzinfo) -> QuietHours:
        return QuietHours(zone, *self.quiet_hours)

    def deadline_rules(self, zone: dt.tzinfo) -> Deadlines:
        spec = self.deadlines
        return Deadlines(spec.emergency.rule(), spec.utility.rule(), spec.default.rule(),
                         {name: rule.rule() for name, rule in spec.categories.items()},
                         self.work_calendar(zone))
