"""Fixtures for the fault tests: a LINLI_HOME using the session's trained model, and a
throwaway PostgreSQL instance that these tests may stop and start."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlu.pipeline import NluPipeline
from tests.faults.harness import Server, ThrowawayPostgres, postgres_binaries


@pytest.fixture
def fault_home(linli_home: Path, pipeline: NluPipeline, tmp_path: Path) -> Path:
    """A fresh LINLI_HOME (database, spool) over the session's model: no retraining."""
    return Server.home_with_model(tmp_path / "home", linli_home / "models" / "nlu")


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """Our own PostgreSQL (Debian's binaries, its own port and directory), never the shared
    server on 5432, which other tests use and these tests stop."""
    binaries = postgres_binaries()
    if binaries is None:
        message = "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI has them: missing there is a failure, not a skip
        pytest.skip(message)
    postgres = ThrowawayPostgres(binaries)
    try:
        postgres.start()
        yield postgres
    finally:
        postgres.destroy()


@pytest.fixture
def postgres_url(throwaway_postgres: ThrowawayPostgres) -> str:
    """A database of its own on the throwaway server (created empty; `linli serve` migrates)."""
    return throwaway_postgres.create_database(f"faults_{uuid.uuid4().hex[:10]}")
