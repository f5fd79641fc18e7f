"""Shared fixtures: one model trained on the real training data per test session."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from bot.settings import Settings
from nlu.loader import train_and_save
from nlu.pipeline import NluPipeline
from store.database import make_engine, session_factory
from store.migrate import upgrade
from store.models import Base

# CI replays the same examples every run, so a merge is judged on the code, not on the luck of
# the draw; runs on a developer's machine keep exploring (and keep what fails in .hypothesis/).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def linli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LINLI_HOME with a model trained on nlu/data, shared by every test that needs one."""
    return tmp_path_factory.mktemp("linli-home")


@pytest.fixture(scope="session")
def settings(linli_home: Path) -> Settings:
    return Settings(home=linli_home)


@pytest.fixture(scope="session")
def pipeline(settings: Settings) -> NluPipeline:
    return train_and_save(settings.nlu_paths)


@pytest.fixture
def linli_env(linli_home: Path, pipeline: NluPipeline) -> dict[str, str]:
    """Environment for running the ``linli`` command against the session's trained model."""
    return dict(os.environ, LINLI_HOME=str(linli_home))


POSTGRES_URL = os.environ.get("LINLI_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_engine(schema: str) -> Engine:
    """An engine whose connections live in their own schema of the test database."""
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        if os.environ.get("CI"):
            raise  # CI has a PostgreSQL server; not reaching it is a failure, not a skip
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")
    engine.dispose()
    return _made_in_schema(schema)


def _made_in_schema(schema: str) -> Engine:
    """An engine in ``schema`` as ``linli serve`` makes one for PostgreSQL (make_engine)."""
    return make_engine(make_url(POSTGRES_URL).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False))


def _in_schema(schema: str, **options: Any) -> Engine:
    """An engine on the test database whose connections work in ``schema``."""
    return create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"},
                         **options)


def _schema_changed(engine: Engine) -> Callable[[], bool]:
    """Whether a statement that may change the schema (a migration, a test's own DDL) has run
    on ``engine`` since this was called."""
    changed = False

    @event.listens_for(engine, "before_cursor_execute")
    def _watch(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal changed
        changed = changed or statement.lstrip()[:8].upper().startswith(_DDL)

    return lambda: changed


_DDL = ("CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE")
#: Empties a migrated schema as if new: the foreign keys that close a cycle (the only ones
#: made after their tables) are cleared first, then the rows go children first, and every
#: sequence starts again.
_EMPTY = "; ".join(
    [f'UPDATE "{table.name}" SET ' + ", ".join(f'"{column.name}" = NULL'
                                               for column in constraint.columns)
     for table in Base.metadata.sorted_tables
     for constraint in table.foreign_key_constraints if constraint.use_alter]
    + [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
    + ["SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename),"
       " start_value, false) FROM pg_sequences WHERE schemaname = current_schema()"])


class _PostgresSchemas:
    """Migrated schemas of the test database, one test at a time on each. Migrating a schema
    costs half a second of DDL; emptying one costs a few DELETEs. A schema a test changed
    (a downgrade, its own DDL) or that cannot be emptied is dropped, never handed out again."""

    def __init__(self) -> None:
        self.free: list[str] = []
        self.taken: list[str] = []

    def take(self) -> tuple[Engine, Callable[[], bool]]:
        if self.free:
            schema = self.free.pop()
            engine = _made_in_schema(schema)
        else:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            engine = _postgres_engine(schema)
            upgrade(engine)
        self.taken.append(schema)
        return engine, _schema_changed(engine)

    def give_back(self, engine: Engine, changed: bool) -> None:
        schema = self.taken.pop()
        engine.dispose()
        if not changed:
            cleaner = _in_schema(schema, poolclass=NullPool)
            try:
                with cleaner.begin() as connection:
                    connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
                    connection.exec_driver_sql(_EMPTY)
                self.free.append(schema)
                return
            except OperationalError:  # a connection the test left open holds a lock
                pass
            finally:
                cleaner.dispose()
        self.drop(schema)

    @staticmethod
    def drop(schema: str) -> None:
        dropper = make_engine(POSTGRES_URL)
        with dropper.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        dropper.dispose()


@pytest.fixture(scope="session")
def _postgres_schemas() -> Iterator[_PostgresSchemas]:
    schemas = _PostgresSchemas()
    yield schemas
    for schema in schemas.free:
        schemas.drop(schema)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session, copied for each test that needs one."""
    path = tmp_path_factory.mktemp("sqlite-template") / "linli.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:  # everything into the main file, which is copied
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or a schema in PostgreSQL of its own while
    the test runs. Both start from a migration made once per session (a copied file, a
    schema emptied after its last test) and are exactly what a fresh migration makes."""
    if request.param == "sqlite":
        path = tmp_path / "linli.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    schemas: _PostgresSchemas = request.getfixturevalue("_postgres_schemas")
    engine, changed = schemas.take()
    try:
        yield engine
    finally:
        schemas.give_back(engine, changed())


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
