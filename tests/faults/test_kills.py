"""`kill -9` at random points of a burst: every acknowledged message is answered exactly once,
no ticket is made twice, and no request ever gets a 5xx (harness.py says what is checked)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.faults.harness import Server, kills_during_a_burst


def _survives_kills(server: Server, seed: int) -> None:
    server.start()
    try:
        outcome = asyncio.run(kills_during_a_burst(server, seed))
    finally:
        server.stop()
    assert outcome.kills == 2
    assert not outcome.problems(), "\n".join([outcome.summary(), *outcome.problems(),
                                              server.log_tail()])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kills_during_a_burst_on_sqlite(fault_home: Path, seed: int) -> None:
    _survives_kills(Server(fault_home), seed)


def test_kills_during_a_burst_on_postgresql(fault_home: Path, postgres_url: str) -> None:
    _survives_kills(Server(fault_home, postgres_url), seed=4)
