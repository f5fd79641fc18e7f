"""One writer at a time on a SQLite file, handed over at once instead of polled for.

SQLite lets one connection write at a time. A connection that finds the write lock taken
sleeps in SQLite's busy handler — 1, 2, 5, 10 … up to 100 ms between tries — and is not woken
when the lock is free. With ``linli serve --workers 2`` two processes write all the time, so
the waiting one mostly sleeps past the moment it could have written: measured, two workers
used one core of two, and a turn's p99 went up by the sleeps.

So every write transaction first takes a lock on a file beside the database (``flock``; the
kernel wakes the next waiter the moment it is released, and frees it if its process dies),
and gives it back as soon as the transaction has ended. Threads of one process queue on a
``threading.Lock`` first, with the database's busy timeout, so that a mistake that would
have made SQLite report "database is locked" still does instead of hanging.

Reads never take it: WAL readers do not block, or wait for, the writer.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Statements that never write, and so never open a write transaction.
_READS = ("SELECT", "PRAGMA", "EXPLAIN")


class _ProcessLock:
    """The writer lock of one database file, as one process holds it."""

    def __init__(self, path: Path, timeout: float) -> None:
        self._path = path
        self._timeout = timeout
        self._threads = threading.Lock()
        self._fd: int | None = None

    def acquire(self) -> None:
        if not self._threads.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError("database is locked")
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # blocks without the GIL
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


#: One lock per database file per process: a second engine on the same file (the health
#: probe's) shares it, as it shares SQLite's own lock.
_locks: dict[Path, _ProcessLock] = {}
_locks_guard = threading.Lock()


def _lock_for(database: Path, timeout: float) -> _ProcessLock:
    path = database.resolve().with_name(database.name + ".writer")
    with _locks_guard:
        return _locks.setdefault(path, _ProcessLock(path, timeout))


class _Cursor(sqlite3.Cursor):
    connection: WriterLockedConnection

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        with self.connection.statement(sql):
            super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _Cursor:
        with self.connection.statement(sql):
            super().executemany(sql, seq_of_parameters)
        return self


class WriterLockedConnection(sqlite3.Connection):
    """A sqlite3 connection (``sqlite3.connect(..., factory=WriterLockedConnection)``) whose
    write transactions hold the database's writer lock from their first write to their end."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock = _lock_for(Path(database), float(kwargs.get("timeout", 5.0)))
        self._held = False

    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)

    @contextmanager
    def statement(self, sql: str) -> Iterator[None]:
        """Around one statement: the writer lock taken first if it may write and is not held
        yet, and given back after it if no transaction is open then (a statement that ended
        one, or a write that never opened one, such as DDL outside a transaction)."""
        if not self._held and not sql.lstrip()[:7].upper().startswith(_READS):
            self._lock.acquire()
            self._held = True
        try:
            yield
        finally:
            self._release_if_done()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_if_done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_if_done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release_if_done(self) -> None:
        if self._held and not self.in_transaction:
            self._release()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()
