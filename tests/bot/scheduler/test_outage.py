"""The scheduler through a database outage: a line in the log per tick, then back to work."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from bot.scheduler.engine import Scheduler
from store.database import make_engine, session_factory
from tests.bot.scheduler.conftest import World

# Nothing listens on port 1: connecting fails at once, as with a database that is down.
DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"


def test_a_tick_while_the_database_is_down_logs_one_line_then_the_next_sweeps(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    """An outage is not a bug: operators read "database unavailable", not a stack trace per
    tick; when the database is back the scheduler leads and sweeps again."""
    scheduler = Scheduler(world.jobs, session_factory(make_engine(DOWN)), world.clock,
                          interval=dt.timedelta(seconds=60), lease=dt.timedelta(seconds=30),
                          holder="test")
    with caplog.at_level(logging.WARNING, logger="bot.scheduler.engine"):
        asyncio.run(scheduler.tick())
    assert [(r.levelno, r.exc_info) for r in caplog.records] == [(logging.WARNING, None)]
    assert "database unavailable" in caplog.records[0].getMessage()
    assert not scheduler.leader and scheduler.sweeps == 0

    scheduler.sessions = world.sessions  # the database is back
    asyncio.run(scheduler.tick())
    assert scheduler.leader and scheduler.sweeps == 1
