"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from store.database import make_engine
from store.migrate import alembic_config, for_dialect, upgrade
from store.models import Base


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": for_dialect(engine.dialect.name)})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_urls_with_percent_signs_migrate(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a%20b.db'}")
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": for_dialect(engine.dialect.name)})
        assert compare_metadata(context, Base.metadata) == []
