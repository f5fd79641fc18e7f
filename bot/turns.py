"""Where turns run: a few worker threads, each with a long-lived event loop of its own.

A turn is mostly synchronous work — SQLAlchemy sessions in the conversation service and in the
in-process actions, the NLU parse — written inside ``async def``s. Run on the event loop that
serves HTTP, the web chat and Telegram, one slow turn (a busy database, a lock wait, a network
round trip to PostgreSQL) stalls every other request, /healthz included. So the channels hand
each whole turn to a :class:`TurnPool`:

- a turn runs on one worker thread's loop from start to end, so the turn's code stays as it
  is (async actions, sync sessions) and blocks only its own thread;
- turns of one chat run one at a time, in the order they arrived, so a chat's state is never
  read by one turn while another writes it;
- a bounded number of turns wait; past that the pool says :class:`BusyError` and the channel
  answers 503 with Retry-After, instead of queueing without end.

On PostgreSQL the database work of different chats overlaps (round trips, commits). SQLite
takes one writer at a time, so it gets one turn thread: the loop stays free, turns go one by
one as before. Python code holds the GIL, so more threads than a few buy nothing; a second
core needs ``linli serve --workers 2``.

:class:`HealthProbe` answers /healthz from a recent probe made on a thread and a connection
of its own, which no number of turns can use up.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from store.database import make_engine

if TYPE_CHECKING:
    from bot.conversation import ConversationService

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Environment variable for the number of turn threads per process (``linli serve --threads``
#: sets it, so that every worker process reads the same).
THREADS_VARIABLE = "LINLI_TURN_THREADS"
#: PostgreSQL: two overlap one turn's round trips with another's Python work; Python code
#: holds the GIL, so more only fight over it (measured with two workers: 2 threads 217–227
#: messages/s at 100 senders and 0.5–1.5 ms less CPU a message than 4, which gave 169; 1
#: thread 187). With several workers ``linli serve`` gives each one: the other workers
#: overlap its round trips.
DEFAULT_THREADS = 2
#: SQLite takes one writer at a time, and a waiting writer sleeps in steps of up to 100 ms:
#: with more threads turns mostly wait on each other (measured: 4 threads 60–73 messages/s
#: against 83 with one, at 20 and 100 senders).
SQLITE_THREADS = 1
#: Turns accepted but not finished, all chats together, before new ones are refused: about
#: a second of work at full speed.
DEFAULT_MAX_PENDING = 512


class BusyError(Exception):
    """Too many turns wait already: try again shortly."""


@dataclass(slots=True)
class _Job(Generic[T]):
    turn: Callable[[], Awaitable[T]]
    chat: Hashable
    future: concurrent.futures.Future[T] = field(default_factory=concurrent.futures.Future)


class TurnPool:
    """Worker threads running turns; one turn of a chat at a time, in arrival order.

    Callable from any event loop (and from several: the caller only awaits a
    ``concurrent.futures.Future``). From inside a turn, :meth:`run` runs the work in place, so
    a turn that hands more work to the pool cannot wait on itself."""

    def __init__(self, threads: int = DEFAULT_THREADS,
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        if threads < 1:
            raise ValueError("a turn pool needs at least one thread")
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._chats: dict[Hashable, deque[_Job[Any]]] = {}  # head: running or ready to run
        self._ready: deque[_Job[Any]] = deque()
        self._wake = threading.Condition(self._lock)
        self._pending = 0
        self._closed = False
        self._local = threading.local()
        self._threads = [threading.Thread(target=self._work, name=f"turn-{i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

    @property
    def pending(self) -> int:
        """Turns accepted and not yet finished."""
        return self._pending

    def inside(self) -> bool:
        """Whether the caller is one of this pool's turns."""
        return getattr(self._local, "pool", None) is self

    async def run(self, chat: Hashable, turn: Callable[[], Awaitable[T]]) -> T:
        """Run ``turn()`` on a worker after the earlier turns of ``chat``; raises BusyError
        when too many turns wait. Cancelling the caller before the turn starts withdraws it; once
        started, a turn runs to its end (its message is stored and answered)."""
        if self.inside():
            return await turn()
        job = self.submit(chat, turn)
        try:
            return await asyncio.wrap_future(job)
        except asyncio.CancelledError:
            # Withdrawn at once: through wrap_future's own callback the cancel would reach the
            # job a loop iteration later, time enough for a worker to start it.
            job.cancel()
            raise

    def submit(self, chat: Hashable, turn: Callable[[], Awaitable[T]]
               ) -> concurrent.futures.Future[T]:
        job: _Job[T] = _Job(turn, chat)
        with self._lock:
            if self._closed:
                raise RuntimeError("the turn pool is closed")
            if self._pending >= self.max_pending:
                raise BusyError
            self._pending += 1
            line = self._chats.get(chat)
            if line is None:
                self._chats[chat] = deque([job])
                self._ready.append(job)
                self._wake.notify()
            else:
                line.append(job)
        return job.future

    def close(self, timeout: float = 30.0) -> None:
        """Finish the turns accepted so far, then stop the threads."""
        with self._lock:
            self._closed = True
            self._wake.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _work(self) -> None:
        self._local.pool = self
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            while (job := self._next()) is not None:
                tell: Callable[[], None] | None = None  # a withdrawn job: nobody to tell
                if job.future.set_running_or_notify_cancel():
                    try:
                        tell = functools.partial(job.future.set_result,
                                                 loop.run_until_complete(job.turn()))
                    except BaseException as error:  # the caller decides what it means
                        tell = functools.partial(job.future.set_exception, error)
                # Done before the caller hears: by then its turn no longer counts as pending.
                self._done(job)
                if tell is not None:
                    tell()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _next(self) -> _Job[Any] | None:
        with self._lock:
            while not self._ready:
                if self._closed and not self._pending:
                    return None
                self._wake.wait()
            return self._ready.popleft()

    def _done(self, job: _Job[Any]) -> None:
        with self._lock:
            self._pending -= 1
            line = self._chats[job.chat]
            line.popleft()
            if line:
                self._ready.append(line[0])
                self._wake.notify()
            else:
                del self._chats[job.chat]
            if self._closed and not self._pending:
                self._wake.notify_all()


def threads_for(sessions: sessionmaker[Session]) -> int:
    """``LINLI_TURN_THREADS`` if set (0: turns on the serving loop), else the default for the
    database ``sessions`` use."""
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if value:
        return int(value)
    bind = sessions.kw.get("bind")
    return SQLITE_THREADS if isinstance(bind, Engine) and bind.dialect.name == "sqlite" \
        else DEFAULT_THREADS


@contextlib.contextmanager
def turns_on_threads(service: ConversationService,
                     threads: int | None = None) -> Iterator[TurnPool | None]:
    """While serving: the service's turns run on a pool of ``threads`` (from the environment
    when None; 0 keeps them on the caller's loop, as a shell does). A service that already has
    a pool keeps it."""
    count = threads_for(service.sessions) if threads is None else threads
    if service.turns is not None or count == 0:
        yield service.turns
        return
    pool = TurnPool(count)
    service.turns = pool
    try:
        yield pool
    finally:
        service.turns = None
        pool.close()


class HealthProbe:
    """The database as /healthz sees it: ``SELECT 1`` on an engine and a thread of its own,
    so that however many turns hold the turn threads and the pool's connections, health is
    answered at once.

    An answer is the last probe's when that is under ``fresh`` seconds old; an older one (up
    to ``stale`` seconds) is still given at once while a new probe runs; beyond that, or
    before the first probe, the answer waits for a probe (at most ``timeout`` seconds)."""

    def __init__(self, engine: Engine, fresh: float = 1.0, stale: float = 5.0,
                 timeout: float = 5.0) -> None:
        self.fresh, self.stale, self.timeout = fresh, stale, timeout
        self._engine = engine
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="healthz")
        self._probing: concurrent.futures.Future[bool] | None = None
        self._ok = False
        self._at = float("-inf")

    @classmethod
    def beside(cls, sessions: sessionmaker[Session]) -> HealthProbe:
        """A probe on its own engine for the database ``sessions`` use."""
        bind = sessions.kw["bind"]
        assert isinstance(bind, Engine)
        return cls(make_engine(bind.url.render_as_string(hide_password=False)))

    async def ok(self) -> bool:
        age = time.monotonic() - self._at
        if age < self.fresh:
            return self._ok
        probing = self._probing
        if probing is None:
            probing = self._probing = self._executor.submit(self._probe)
        if age < self.stale:
            return self._ok
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(probing)),
                                          self.timeout)
        except TimeoutError:
            return False

    def _probe(self) -> bool:
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            ok = True
        except Exception:  # any failure means "not healthy"; the reason is in the log
            log.warning("health probe failed", exc_info=True)
            ok = False
        self._ok, self._at, self._probing = ok, time.monotonic(), None
        return ok

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._engine.dispose()
