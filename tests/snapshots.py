"""The demo community loaded once per run and day on each database, then copied into each
test's empty database: importing it costs a tenth of a second of ORM work, copying its rows a
few milliseconds. A database is copied into only while nothing is in it yet (a test that wrote
first gets a real import), and the copy is what an import would make: the same rows and ids,
sequences where an import leaves them, people created just now."""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, bindparam, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from store.database import make_engine, session_factory
from store.migrate import upgrade
from store.models import Base, Person

Load = Callable[[sessionmaker[Session]], None]
_TABLES = [table.name for table in Base.metadata.sorted_tables]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    made_at: dt.datetime
    created: list[tuple[int, dt.datetime]]  # each person's id and created_at
    sqlite_file: Path | None = None
    postgres_sql: str = ""


_snapshots: dict[tuple[str, object], _Snapshot] = {}
_workdir: list[Path] = []


def _is_empty(connection: Connection) -> bool:
    """Nothing written since the migration: no row in any table, no sequence moved."""
    tables = list(_TABLES)
    if connection.dialect.name == "sqlite":
        tables += [name for name in connection.scalars(text(
            "SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'"))]
    found = connection.scalar(text("SELECT " + " OR ".join(
        f'EXISTS (SELECT 1 FROM "{name}")' for name in tables)))
    if found:
        return False
    if connection.dialect.name == "postgresql":
        return not connection.scalar(text(
            "SELECT EXISTS (SELECT 1 FROM pg_sequences WHERE schemaname = current_schema()"
            " AND last_value IS NOT NULL)"))
    return True


def _people(engine: Engine) -> list[tuple[int, dt.datetime]]:
    with engine.connect() as connection:
        return [(id_, at) for id_, at in connection.execute(
            select(Person.id, Person.created_at).order_by(Person.id))]


def _make(engine: Engine, load: Load) -> _Snapshot:
    """Load into a database of its own, next to ``engine``'s (empty, migrated) one."""
    if engine.dialect.name == "sqlite":
        if not _workdir:
            _workdir.append(Path(tempfile.mkdtemp(prefix="linli-snapshots-")))
            atexit.register(shutil.rmtree, _workdir[0], True)
        path = _workdir[0] / f"{uuid.uuid4().hex}.db"
        with engine.connect() as connection:
            source = connection.connection.driver_connection
            assert isinstance(source, sqlite3.Connection)
            target = sqlite3.connect(path)
            source.backup(target)
            target.close()
        copy = make_engine(f"sqlite:///{path}")
        made_at = dt.datetime.now(dt.UTC)
        load(session_factory(copy))
        created = _people(copy)
        with copy.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        copy.dispose()
        return _Snapshot(made_at, created, sqlite_file=path)
    from tests.conftest import POSTGRES_URL, _postgres_engine
    schema = f"c_{uuid.uuid4().hex[:12]}"
    copy = _postgres_engine(schema)
    atexit.register(_drop_schema, POSTGRES_URL, schema)
    upgrade(copy)
    made_at = dt.datetime.now(dt.UTC)
    load(session_factory(copy))
    created = _people(copy)
    with copy.connect() as connection:
        counts = {name: connection.scalar(text(f'SELECT count(*) FROM "{name}"'))
                  for name in _TABLES}
        sequences = connection.execute(text(
            "SELECT sequencename, last_value FROM pg_sequences"
            " WHERE schemaname = current_schema() AND last_value IS NOT NULL")).all()
    copy.dispose()
    # Parents first; the foreign keys that close a cycle (made after their tables) are filled
    # in once the rows they point to are there.
    statements, later = [], []
    for table in Base.metadata.sorted_tables:
        if not counts[table.name]:
            continue
        cycle = {column.name for constraint in table.foreign_key_constraints
                 if constraint.use_alter for column in constraint.columns}
        names = [column.name for column in table.columns]
        columns = ", ".join(f'"{name}"' for name in names)
        values = ", ".join("NULL" if name in cycle else f'"{name}"' for name in names)
        statements.append(f'INSERT INTO "{table.name}" ({columns}) SELECT {values}'
                          f' FROM "{schema}"."{table.name}"')
        if cycle:
            keys = " AND ".join(f'"{table.name}"."{column.name}" = old."{column.name}"'
                                for column in table.primary_key.columns)
            later.append(f'UPDATE "{table.name}" SET '
                         + ", ".join(f'"{name}" = old."{name}"' for name in sorted(cycle))
                         + f' FROM "{schema}"."{table.name}" old WHERE {keys}')
    statements += later
    statements += [f"SELECT setval('\"{name}\"', {last})" for name, last in sequences]
    return _Snapshot(made_at, created, postgres_sql="; ".join(statements))


def _drop_schema(url: str, schema: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def load(sessions: sessionmaker[Session], key: object, loader: Load) -> None:
    """``loader(sessions)``, or the copy of what it made before with the same ``key``."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, Engine) or engine.dialect.name not in ("sqlite", "postgresql"):
        loader(sessions)
        return
    with engine.connect() as connection:
        empty = _is_empty(connection)
    if not empty:
        loader(sessions)
        return
    name = (engine.dialect.name, key)
    if name not in _snapshots:
        _snapshots[name] = _make(engine, loader)
    snapshot = _snapshots[name]
    shift = dt.datetime.now(dt.UTC) - snapshot.made_at
    with engine.connect() as connection:
        if snapshot.sqlite_file is not None:
            target = connection.connection.driver_connection
            assert isinstance(target, sqlite3.Connection)
            source = sqlite3.connect(snapshot.sqlite_file)
            source.backup(target)
            source.close()
        else:
            connection.exec_driver_sql(snapshot.postgres_sql)
        if snapshot.created:  # as if created now, as the import would have
            people = Base.metadata.tables["person"]
            connection.execute(update(people).where(people.c.id == bindparam("pid")).values(
                created_at=bindparam("at")),
                [{"pid": id_, "at": at + shift} for id_, at in snapshot.created])
            connection.commit()
