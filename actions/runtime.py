"""What actions need from the outside world, set once by the composition root.

rasa_sdk constructs actions without arguments, so they reach the database, clock and texts
through this runtime. ``linli serve`` and the tests call ``configure``; the stand-alone action
server (``python -m rasa_sdk --actions actions``) builds one from the settings on first use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from actions.faq_index import FaqIndex
from actions.faq_live import LiveFaq
from actions.responses import Responses
from store.parts import Parts
from store.policy import SchedulePolicy
from store.tickets import Deadlines


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class Runtime:
    sessions: sessionmaker[Session]
    responses: Responses
    timezone: dt.tzinfo
    clock: Callable[[], dt.datetime] = _utcnow
    deadlines: Deadlines = field(default_factory=Deadlines)
    duplicate_window: dt.timedelta = dt.timedelta(hours=24)
    faq: FaqIndex | None = None
    #: ``faq`` with the entries written in the console, kept current (actions/faq_live.py)
    live_faq: LiveFaq = field(default_factory=LiveFaq)
    policy: SchedulePolicy = field(default_factory=SchedulePolicy)
    #: Which parts are shared and which are inside a flat (config/parts.yml).
    parts: Parts = field(default_factory=Parts.default)
    #: How long transcript texts are kept (LINLI_RETENTION_DAYS); then the scheduler erases them.
    retention: dt.timedelta = dt.timedelta(days=180)

    def now(self) -> dt.datetime:
        return self.clock()

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.timezone)


_current: Runtime | None = None


def configure(runtime: Runtime) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    """The configured runtime, built from the settings if nobody configured one."""
    global _current
    if _current is None:
        from bot.wiring import build_runtime  # only the stand-alone action server gets here

        _current = build_runtime()
    return _current
