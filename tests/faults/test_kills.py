"""`kill -9` at random points of a burst: every acknowledged message is answered exactly once,
no ticket is made twice, and no request ever gets a 5xx (harness.py says what is checked).

A message in mid-turn at a kill is answered only once its claim's lease lapses (3 s here,
LINLI_CLAIM_LEASE_SECONDS), at the restarted server's next sweep; the SQLite seeds run side by
side, each against its own server, to wait those sweeps together."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.faults.harness import Outcome, Server, kills_during_a_burst

SEEDS = (1, 2, 3)


async def _burst_with_kills(servers: list[Server], seeds: tuple[int, ...]) -> list[Outcome]:
    await asyncio.gather(*(asyncio.to_thread(server.start) for server in servers))
    try:
        return list(await asyncio.gather(*(kills_during_a_burst(server, seed)
                                           for server, seed in zip(servers, seeds,
                                                                   strict=True))))
    finally:
        for server in servers:
            server.stop()


def _assert_survived(servers: list[Server], seeds: tuple[int, ...],
                     outcomes: list[Outcome]) -> None:
    report = [line for server, seed, outcome in zip(servers, seeds, outcomes, strict=True)
              for line in ([f"seed {seed}: {outcome.summary()}", *outcome.problems(),
                            server.log_tail(10)] if outcome.problems() else [])]
    assert all(outcome.kills == 2 for outcome in outcomes)
    assert not report, "\n".join(report)


def test_kills_during_bursts_on_sqlite(fault_home: Path, tmp_path: Path) -> None:
    model = (fault_home / "models" / "nlu").resolve()
    servers = [Server(Server.home_with_model(tmp_path / f"seed{seed}", model))
               for seed in SEEDS]
    _assert_survived(servers, SEEDS, asyncio.run(_burst_with_kills(servers, SEEDS)))


def test_kills_during_a_burst_on_postgresql(fault_home: Path, postgres_url: str) -> None:
    servers = [Server(fault_home, postgres_url)]
    _assert_survived(servers, (4,), asyncio.run(_burst_with_kills(servers, (4,))))
