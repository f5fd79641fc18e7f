"""A demo community, a runtime on a clock the test moves, and the real APScheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import Runtime
from bot.scheduler.engine import Scheduler
from bot.scheduler.jobs import Jobs
from store.models import OutboxMessage, Person
from store.policy import SchedulePolicy
from tests import demo

CONFIG = Path(__file__).resolve().parents[3] / "config"
ZONE = ZoneInfo("Asia/Shanghai")
#: Monday 7 December 2026, 10:00 in the community: a working day, outside quiet hours.
MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=ZONE)


@dataclass
class World:
    sessions: sessionmaker[Session]
    clock: demo.Clock
    runtime: Runtime
    jobs: Jobs

    def scheduler(self, holder: str = "test") -> Scheduler:
        return Scheduler(self.jobs, self.sessions, self.clock,
                         interval=dt.timedelta(milliseconds=50),
                         lease=dt.timedelta(seconds=30), holder=holder)

    def sweep(self, moment: dt.datetime, about: str = "") -> Sequence[tuple[str, str]]:
        """Move the clock to ``moment`` and sweep; the notifications (keys starting with
        ``about``) it queued."""
        before = len(self.outbox(about))
        self.clock.now = moment
        self.jobs.sweep(moment)
        return list(self.outbox(about))[before:]

    def person(self, session: Session, key_name: str) -> Person:
        found = session.scalar(select(Person).where(Person.name == key_name))
        assert found is not None, key_name
        return found

    def outbox(self, about: str = "") -> Sequence[tuple[str, str]]:
        """(recipient's name, text) of every notification so far whose key starts with
        ``about`` (``ticket:``, ``notice:``, ``digest:``...), in order."""
        with self.sessions() as session:
            rows = session.execute(select(Person.name, OutboxMessage.text).join(
                Person, OutboxMessage.person_id == Person.id).where(
                OutboxMessage.dedupe_key.startswith(about)).order_by(OutboxMessage.id)).all()
            return [(name, text) for name, text in rows]


def make_world(sessions: sessionmaker[Session], policy: SchedulePolicy | None = None,
               start: dt.datetime = MONDAY) -> World:
    clock = demo.Clock(start)
    policy = policy or SchedulePolicy.load(CONFIG / "schedule.yml")
    runtime = Runtime(sessions=sessions, responses=demo.responses(), timezone=ZONE,
                      clock=clock, policy=policy, deadlines=policy.deadline_rules(ZONE),
                      faq=demo.faq())
    return World(sessions, clock, runtime, Jobs(runtime))


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    demo.load_community(sessions)
    return make_world(sessions)
