"""The SQLite writer lock: writers take turns, readers never wait, a dead writer frees it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text

from store.database import make_engine
from store.sqlite_writer import WriterLockedConnection


def _connect(database: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(database, timeout=30, factory=WriterLockedConnection,
                                 check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def _table(database: Path) -> None:
    with _connect(database) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS note (writer TEXT, n INTEGER)")


def _write(database: str, writer: str, count: int) -> None:
    connection = _connect(Path(database))
    for n in range(count):
        connection.execute("INSERT INTO note VALUES (?, ?)", (writer, n))
        connection.execute("UPDATE note SET n = n WHERE writer = ? AND n = ?", (writer, n))
        connection.commit()
    connection.close()


def test_writers_in_two_processes_all_commit_with_none_locked_out(tmp_path: Path) -> None:
    database = tmp_path / "linli.db"
    _table(database)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write, args=(str(database), f"w{i}", 300))
               for i in range(2)]
    for worker in workers:
        worker.start()
    _write(str(database), "parent", 300)
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with _connect(database) as connection:
        rows = connection.execute(
            "SELECT writer, count(*) FROM note GROUP BY writer ORDER BY writer").fetchall()
    assert rows == [("parent", 300), ("w0", 300), ("w1", 300)]


def _write_and_hang(database: str, ready: multiprocessing.synchronize.Event) -> None:
    connection = _connect(Path(database))
    connection.execute("INSERT INTO note VALUES ('dead', 1)")  # a write transaction, open
    ready.set()
    time.sleep(600)


def test_a_writer_killed_mid_transaction_frees_the_lock_and_its_write_is_undone(
        tmp_path: Path) -> None:
    database = tmp_path / "linli.db"
    _table(database)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    writer = context.Process(target=_write_and_hang, args=(str(database), ready))
    writer.start()
    assert ready.wait(60)
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGKILL)
    writer.join(10)
    started = time.monotonic()
    _write(str(database), "alive", 1)
    assert time.monotonic() - started < 5
    with _connect(database) as connection:
        assert connection.execute("SELECT writer FROM note").fetchall() == [("alive",)]


def test_a_reader_does_not_wait_for_an_open_write(tmp_path: Path) -> None:
    database = tmp_path / "linli.db"
    _table(database)
    writer, reader = _connect(database), _connect(database)
    writer.execute("INSERT INTO note VALUES ('w', 1)")
    started = time.monotonic()
    assert reader.execute("SELECT count(*) FROM note").fetchone() == (0,)
    assert time.monotonic() - started < 1
    writer.commit()
    assert reader.execute("SELECT count(*) FROM note").fetchone() == (1,)


def test_a_second_writer_waits_for_the_first_to_commit_then_writes(tmp_path: Path) -> None:
    database = tmp_path / "linli.db"
    _table(database)
    first, second = _connect(database), _connect(database)
    first.execute("INSERT INTO note VALUES ('first', 1)")
    order: list[str] = []

    def write_second() -> None:
        second.execute("INSERT INTO note VALUES ('second', 2)")
        order.append("second wrote")
        second.commit()

    thread = threading.Thread(target=write_second)
    thread.start()
    time.sleep(0.3)
    assert order == []  # waiting for the writer lock, not failing
    order.append("first commits")
    first.commit()
    thread.join(10)
    assert order == ["first commits", "second wrote"]


def test_a_writer_that_rolls_back_or_closes_lets_the_next_one_in(tmp_path: Path) -> None:
    database = tmp_path / "linli.db"
    _table(database)
    first = _connect(database)
    first.execute("INSERT INTO note VALUES ('gone', 1)")
    first.rollback()
    first.execute("INSERT INTO note VALUES ('gone', 2)")
    first.close()
    _write(str(database), "next", 1)  # would wait forever if either kept the lock
    with _connect(database) as connection:
        assert connection.execute("SELECT writer FROM note").fetchall() == [("next",)]


def test_engines_on_a_sqlite_file_use_the_writer_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'linli.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (writer TEXT)"))
        assert isinstance(connection.connection.dbapi_connection, WriterLockedConnection)
    engine.dispose()
