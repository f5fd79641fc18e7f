"""Schema migrations (Alembic) run from code: ``linli db upgrade`` and at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is a ConfigParser: a literal % (URL-encoded passwords, options) is %%
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def for_dialect(dialect: str) -> Callable[..., bool]:
    """Autogenerate's ``include_object`` filter: leaves out indexes the models mark as another
    dialect's (``info={"dialects": ("postgresql",)}``), which migrations make only there."""
    def include(item: Any, _name: str | None, type_: str, _reflected: bool,
                compare_to: Any) -> bool:
        if type_ != "index":
            return True
        model = compare_to if compare_to is not None else item
        dialects = model.info.get("dialects")
        return dialects is None or dialect in dialects

    return include


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision``."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
