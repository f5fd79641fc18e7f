"""The database goes away during a burst, and the server dies while catching up: messages
saved for later are answered once it is back, exactly once, and none gets a 5xx."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.faults.harness import Server, ThrowawayPostgres, crash_during_replay, database_outage


def test_database_outage_during_a_burst(fault_home: Path, postgres_url: str,
                                        throwaway_postgres: ThrowawayPostgres) -> None:
    server = Server(fault_home, postgres_url)
    server.start()
    try:
        outcome = asyncio.run(database_outage(server, throwaway_postgres))
    finally:
        server.stop()
    assert not outcome.problems(), "\n".join([outcome.summary(), *outcome.problems(),
                                              *outcome.notes, server.log_tail()])


def test_crash_during_replay(fault_home: Path, postgres_url: str,
                             throwaway_postgres: ThrowawayPostgres) -> None:
    server = Server(fault_home, postgres_url)
    server.start()
    try:
        outcome = asyncio.run(crash_during_replay(server, throwaway_postgres))
    finally:
        server.stop()
    assert not outcome.problems(), "\n".join([outcome.summary(), *outcome.problems(),
                                              *outcome.notes, server.log_tail()])
