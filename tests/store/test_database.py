"""Units of work: what the parts of one turn share; pooled PostgreSQL connections."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from store import database
from store.database import make_engine, remembered, transaction, unit_of_work
from store.models import Community
from tests.conftest import POSTGRES_URL


def _count_statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_rest: seen.append(statement))
    return seen


def _community(sessions: sessionmaker[Session], code: str) -> int:
    with transaction(sessions) as session:
        community = Community(code=code, name=code, timezone="Asia/Shanghai",
                              default_language="zh")
        session.add(community)
        session.flush()
        return community.id


def _lookup(session: Session, code: str) -> Community | None:
    return remembered(session, ("community", code), lambda: session.scalar(
        select(Community).where(Community.code == code)))


def test_parts_of_a_unit_read_a_remembered_lookup_once(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    _community(sessions, "east")
    seen = _count_statements(engine)
    with unit_of_work(sessions):
        with transaction(sessions) as session:
            first = _lookup(session, "east")
        with transaction(sessions) as session:
            again = _lookup(session, "east")
            missing, missing_again = _lookup(session, "west"), _lookup(session, "west")
    assert first is not None and again is first
    assert missing is None and missing_again is None
    assert sum("FROM community" in statement for statement in seen) == 2  # east, west


def test_each_unit_and_work_outside_any_unit_reads_afresh(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    """A new building or community is seen by the next turn, never hidden by the last one's
    memory."""
    with unit_of_work(sessions), transaction(sessions) as session:
        assert _lookup(session, "north") is None
    _community(sessions, "north")
    seen = _count_statements(engine)
    with unit_of_work(sessions), transaction(sessions) as session:
        found = _lookup(session, "north")
    with transaction(sessions) as session:
        _lookup(session, "north"), _lookup(session, "north")
    assert found is not None and found.code == "north"
    assert sum("FROM community" in statement for statement in seen) == 3


def _codes(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Community.code)))


def test_a_part_that_fails_is_undone_alone_and_the_unit_keeps_the_rest(
        sessions: sessionmaker[Session]) -> None:
    """A turn whose second action fails keeps what its first did and what it does after."""
    with unit_of_work(sessions):
        _community(sessions, "kept-before")
        with pytest.raises(RuntimeError), transaction(sessions) as session:
            session.add(Community(code="undone", name="undone", timezone="Asia/Shanghai",
                                  default_language="zh"))
            session.flush()  # written, then the part fails
            raise RuntimeError("the action failed")
        _community(sessions, "kept-after")
    assert _codes(sessions) == {"kept-before", "kept-after"}


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # SQLite's do not nest
def test_a_part_that_fails_undoes_the_parts_it_holds_that_succeeded(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    """A part's inner parts go with it when it fails, even those that had finished: their
    savepoints end with the transaction, not before. (On SQLite a unit's parts commit one
    by one, and do not nest.)"""
    with unit_of_work(sessions):
        with pytest.raises(RuntimeError), transaction(sessions):
            _community(sessions, "inner")
            raise RuntimeError("the outer part failed")
        _community(sessions, "after")
    assert _codes(sessions) == {"after"}


def test_a_part_whose_statement_the_database_refuses_is_undone_alone(
        sessions: sessionmaker[Session]) -> None:
    """On PostgreSQL a refused statement aborts the transaction: only the part is undone."""
    with unit_of_work(sessions):
        _community(sessions, "first")
        with pytest.raises(IntegrityError):
            _community(sessions, "first")  # the code is taken
        _community(sessions, "second")
    assert _codes(sessions) == {"first", "second"}


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A plain engine on the test server, as ``make_engine`` builds it for PostgreSQL."""
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_pooled_connection_the_server_dropped_is_replaced_unnoticed(
        postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    dropped = _backend(postgres_engine)
    with make_engine(POSTGRES_URL).connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    monkeypatch.setattr(database, "ALIVE_WINDOW", 0.0)  # it lay idle "long enough"
    assert _backend(postgres_engine) != dropped  # no error: pinged, found dead, replaced


def test_a_connection_used_a_moment_ago_is_not_pinged_again(
        postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    pings: list[object] = []
    ping = postgres_engine.dialect.do_ping

    def counted(connection: Any) -> bool:
        pings.append(connection)
        return ping(connection)

    monkeypatch.setattr(postgres_engine.dialect, "do_ping", counted)
    first = _backend(postgres_engine)
    assert _backend(postgres_engine) == first and pings == []
    monkeypatch.setattr(database, "ALIVE_WINDOW", 0.0)
    assert _backend(postgres_engine) == first and len(pings) == 1
