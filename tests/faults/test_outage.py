"""The database goes away during a burst, and the server dies while catching up: messages
saved for later are answered once it is back, exactly once, and none gets a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from tests.faults.harness import Server, ThrowawayPostgres, crash_during_replay, database_outage

Scenario = Callable[[Server, ThrowawayPostgres], Coroutine[Any, Any, Any]]


def _survives(scenario: Scenario, home: Path, url: str, postgres: ThrowawayPostgres) -> None:
    server = Server(home, url)
    server.start()
    try:
        outcome = asyncio.run(scenario(server, postgres))
    finally:
        server.stop()
    assert not outcome.problems(), "\n".join([outcome.summary(), *outcome.problems(),
                                              *outcome.notes, server.log_tail()])


def test_database_outage_during_a_burst(fault_home: Path, postgres_url: str,
                                        throwaway_postgres: ThrowawayPostgres) -> None:
    _survives(database_outage, fault_home, postgres_url, throwaway_postgres)


def test_crash_during_replay(fault_home: Path, postgres_url: str,
                             throwaway_postgres: ThrowawayPostgres) -> None:
    _survives(crash_during_replay, fault_home, postgres_url, throwaway_postgres)
