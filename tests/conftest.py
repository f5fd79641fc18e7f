"""Shared fixtures: one model trained on the real training data per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from nlu.loader import train_and_save
from nlu.pipeline import NluPipeline
from store.database import make_engine, session_factory
from store.migrate import upgrade

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
    return create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or a fresh schema in PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'linli.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = _postgres_engine(schema)
    upgrade(engine)
    yield engine
    engine.dispose()
    with make_engine(POSTGRES_URL).begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
