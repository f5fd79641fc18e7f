"""APScheduler running the sweep, on one process only: a lease in the database elects the
leader, so several ``linli serve`` processes sharing PostgreSQL send everything once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.scheduler.jobs import Jobs
from store.database import transaction
from store.steps import hold_lease, release_lease

log = logging.getLogger(__name__)
LEASE = "scheduler"


class _SkippedTicks(logging.Filter):
    """A tick that comes while a long sweep still runs is skipped by design (the next sweep
    does its work); APScheduler would log each one as a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


_QUIET_SKIPS = _SkippedTicks()


class Scheduler:
    """Every ``interval`` the leader sweeps for due work; the others only try for the lease.

    The sweep is one APScheduler job with coalescing (missed ticks while busy or suspended run
    once) and at most one instance; what is due is decided on ``clock`` (which tests control),
    from the rows, so nothing needs rescheduling after a restart.
    """

    def __init__(self, jobs: Jobs, sessions: sessionmaker[Session],
                 clock: Callable[[], dt.datetime], *, interval: dt.timedelta,
                 lease: dt.timedelta, holder: str | None = None) -> None:
        self.jobs = jobs
        self.sessions = sessions
        self.clock = clock
        self.interval = interval
        self.lease = lease
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.leader = False
        self.sweeps = 0
        self.done: Counter[str] = Counter()
        self._ticked = asyncio.Condition()
        self._busy = asyncio.Lock()  # held by a sweep, so that stopping waits for it
        self._scheduler: AsyncIOScheduler | None = None

    async def start(self) -> None:
        """Start ticking in the running event loop; the first tick is immediate."""
        logging.getLogger("apscheduler.scheduler").addFilter(_QUIET_SKIPS)
        scheduler = AsyncIOScheduler(timezone=dt.UTC)
        scheduler.add_job(self.tick, IntervalTrigger(seconds=self.interval.total_seconds()),
                          id="sweep", coalesce=True, max_instances=1,
                          misfire_grace_time=max(1, int(self.interval.total_seconds() * 10)),
                          next_run_time=dt.datetime.now(dt.UTC))
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """Stop ticking and hand the lease over at once."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        async with self._busy:  # a sweep under way finishes its transactions first
            pass
        if self.leader:
            await asyncio.to_thread(self._release)
            self.leader = False

    async def run(self) -> None:
        """Run until cancelled (a background task of ``linli serve``)."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def tick(self) -> None:
        """Renew or take the lease; if leading, do everything due now."""
        async with self._busy:
            try:
                now = self.clock()
                self.leader = await asyncio.to_thread(self._hold, now)
                if self.leader:
                    self.done.update(await asyncio.to_thread(self.jobs.sweep, now))
                    self.sweeps += 1
            except OperationalError as error:  # an outage, not a bug: one line, no trace
                log.warning("scheduler tick: database unavailable (%s); trying again next tick",
                            type(error.orig).__name__)
            except Exception:
                log.exception("scheduler tick failed; trying again next tick")
        async with self._ticked:
            self._ticked.notify_all()

    async def wait_sweeps(self, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` more sweeps have run (tests and benchmarks)."""
        target = self.sweeps + count
        async with self._ticked:
            await asyncio.wait_for(self._ticked.wait_for(lambda: self.sweeps >= target),
                                   timeout)

    def _hold(self, now: dt.datetime) -> bool:
        with transaction(self.sessions) as session:
            return hold_lease(session, LEASE, self.holder, now, self.lease)

    def _release(self) -> None:
        with transaction(self.sessions) as session:
            release_lease(session, LEASE, self.holder, self.clock())
