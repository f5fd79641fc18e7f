"""Engines and sessions: SQLite (WAL, the default) or PostgreSQL, from one URL."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached, sessionmaker

from store.sqlite_writer import WriterLockedConnection

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys, a busy timeout and a writer
    lock that is handed over at once (store/sqlite_writer.py). Bound parameters stay out of
    logs and error messages: they hold residents' ids, names, texts."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        connect_args: dict[str, Any] = {"timeout": 30, "check_same_thread": False}
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            if "?" not in url:  # a plain file name, which the connection factory is given
                connect_args["factory"] = WriterLockedConnection
        engine = create_engine(url, connect_args=connect_args, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10, hide_parameters=True)
    _ping_when_idle(engine)
    # A savepoint ends with the transaction it is in anyway, and rolling back to an earlier
    # one undoes it too: released early, each costs a round trip, to the server as much CPU
    # as a small statement. (Turns open one or more for their actions.)
    engine.dialect.do_release_savepoint = _kept  # type: ignore[method-assign,assignment]
    engine.dialect.do_savepoint = _savepoint  # type: ignore[method-assign]
    return engine


def _savepoint(connection: Any, name: str) -> None:
    """A savepoint, sent to the driver as it is: SQLAlchemy's statement path (a clause
    compiled, looked up in the cache, wrapped in a result) nearly doubled its CPU, measured at
    97 µs against 55 µs a savepoint. Turns open one or more."""
    connection.connection.dbapi_connection.execute(f"SAVEPOINT {name}")


def _kept(_connection: Any, _name: str) -> None:
    """A savepoint's release, left to the end of its transaction."""


#: Seconds a pooled connection is taken as alive after its last use, without a ping
#: (HikariCP's "alive bypass window"). Pinging every checkout, as ``pool_pre_ping`` does,
#: costs a round trip twice a turn: measured, 13 % of a turn's CPU on PostgreSQL.
ALIVE_WINDOW = 0.5
#: Key in a pooled connection's ``info`` of when it was last connected or checked in.
_LAST_USED = "linli_last_used"


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection on checkout only if it lay in the pool longer than ALIVE_WINDOW, so a
    server restarted meanwhile costs no request; a dead one is replaced before use. (One
    that died within the window fails its statement, which invalidates the pool.)"""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) <= ALIVE_WINDOW:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError from error  # the pool connects afresh and tries again


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@dataclass(frozen=True, slots=True)
class _Unit:
    sessions: sessionmaker[Session]
    session: Session
    savepoints: bool  # parts are savepoints of the unit's one transaction


#: The unit of work the current task runs in, if any (see :func:`unit_of_work`).
_unit: ContextVar[_Unit | None] = ContextVar("unit_of_work", default=None)


@contextmanager
def transaction(sessions: sessionmaker[Session], savepoint: bool = True) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error. Inside a
    :func:`unit_of_work` on the same ``sessions`` it is a part of that unit: on its session,
    and rolled back alone on an error; ``savepoint=False`` when an error in this part is to
    roll back the whole unit anyway (its last part), which spares a savepoint's round trips."""
    unit = _unit.get()
    if unit is None or unit.sessions is not sessions:
        with sessions() as session, session.begin():
            yield session
    elif unit.savepoints:
        if savepoint:
            with unit.session.begin_nested():
                yield unit.session
        else:
            yield unit.session
    else:
        if unit.session.in_transaction():  # a read outside any part (a lazy load) began one
            unit.session.commit()
        with unit.session.begin():
            yield unit.session


def one_statement_engine(sessions: sessionmaker[Session]) -> Engine | None:
    """PostgreSQL: the engine of ``sessions`` in autocommit, for work that is one statement.
    A transaction costs two round trips more (BEGIN and COMMIT), and a round trip costs the
    server as much CPU as a small statement. None on SQLite, where a statement that writes
    in a CTE is not to be had."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return None
    return bind.execution_options(isolation_level="AUTOCOMMIT")


def _savepoints_hold(sessions: sessionmaker[Session]) -> bool:
    """SQLite's SAVEPOINT, with no transaction open, begins a deferred one whose read snapshot
    cannot become a write once another connection has written (SQLITE_BUSY_SNAPSHOT, no busy
    wait): there a unit's parts commit one by one instead."""
    bind = sessions.kw.get("bind")
    return isinstance(bind, Engine) and bind.dialect.name != "sqlite"


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[None]:
    """One session for a run of work (a conversation turn and its actions), which the
    :func:`transaction` calls within share. Where savepoints hold (PostgreSQL) the whole unit
    is one transaction, committed when it ends and rolled back if it raises, each part a
    savepoint: one commit (one WAL flush) and one connection instead of one per part. On
    SQLite each part still commits on its own, on the unit's session (its identity map spares
    reloading what an earlier part loaded)."""
    savepoints = _savepoints_hold(sessions)
    with sessions() as session:
        held: list[object] = []
        session.info[_HELD] = held
        session.info[_MEMO] = {}
        token = _unit.set(_Unit(sessions, session, savepoints))
        try:
            if savepoints:
                with session.begin():
                    yield
            else:
                yield
        finally:
            _unit.reset(token)
            del session.info[_HELD], session.info[_MEMO]
            held.clear()


def adopt(sessions: sessionmaker[Session], instance: object) -> None:
    """Into the unit of work on ``sessions``, if one is under way: an object whose row was
    read just before it began, outside it, as if loaded there; a part's ``session.get`` finds
    it without a round trip. Outside a unit, nothing."""
    unit = _unit.get()
    if unit is None or unit.sessions is not sessions:
        return
    make_transient_to_detached(instance)
    unit.session.add(instance)


def untouched(session: Session) -> bool:
    """Whether ``session`` has neither begun a transaction in the database nor holds changes
    to write: work done now elsewhere (one statement in autocommit) is all there is to it."""
    return not session.info.get(_BEGUN) and not (session.new or session.dirty or session.deleted)


@event.listens_for(Session, "after_begin")
def _begun(session: Session, _transaction: object, _connection: object) -> None:
    session.info[_BEGUN] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: the next one begins afresh
        session.info.pop(_BEGUN, None)


#: Key in ``Session.info``: the session's transaction has begun in the database.
_BEGUN = "linli_begun"
#: Key in a unit's ``Session.info`` of the objects it keeps while the unit lasts.
_HELD = "linli_unit_held"
#: Key in a unit's ``Session.info`` of what :func:`remembered` looked up.
_MEMO = "linli_unit_memo"


def remembered(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, once per unit of work on ``session`` for each ``key``: what several parts
    of a turn look up the same way and the turn does not change (a building by its number,
    the community's workers' names), read once. Outside a unit, ``load()`` every time."""
    memo = session.info.get(_MEMO)
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return cast(T, memo[key])


@event.listens_for(Session, "loaded_as_persistent")
@event.listens_for(Session, "pending_to_persistent")
@event.listens_for(Session, "detached_to_persistent")
def _hold(session: Session, instance: object) -> None:
    """SQLAlchemy's recipe for a strongly referencing session, for a unit's session only:
    what one part of a turn loaded (the person, their building, a ticket) is there for the
    next, instead of being dropped once no part refers to it and loaded again."""
    held = session.info.get(_HELD)
    if held is not None:
        held.append(instance)
