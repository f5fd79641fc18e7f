"""Fault benchmark: a real `linli serve` killed with SIGKILL during bursts (SQLite, and a
throwaway PostgreSQL), its PostgreSQL stopped and started during a burst, and the server
killed while it replays what it saved during an outage. The scenarios and the audit are the
fault tests' (tests/faults/harness.py); here they run with more seeds and print the counts.

    python bench/fault_bench.py [--seeds 3] [--kills 2] [--senders 30] [--per-sender 5]
                                [--skip-postgres]

Prints, per run: kills, messages sent / acknowledged / saved for later, and how many were lost,
duplicated (answer delivered twice), given a wrong number of tickets, or answered with a 5xx.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from bot.settings import Settings  # noqa: E402
from nlu.loader import train_and_save  # noqa: E402
from tests.faults.harness import (  # noqa: E402
    Outcome,
    Server,
    ThrowawayPostgres,
    crash_during_replay,
    database_outage,
    kills_during_a_burst,
    postgres_binaries,
)


def scenario(home: Path, database_url: str | None,
             play: Callable[[Server], Coroutine[Any, Any, Outcome]]) -> tuple[Outcome, float]:
    """A server over ``home`` (and ``database_url``), one scenario played on it, stopped."""
    server = Server(home, database_url)
    started = time.perf_counter()
    server.start()
    try:
        outcome = asyncio.run(play(server))
    finally:
        server.stop()
    outcome.notes.append(f"{server.tracebacks()} tracebacks in the server's log")
    return outcome, time.perf_counter() - started


def row(label: str, database: str, outcome: Outcome, seconds: float) -> str:
    return (f"| {label} | {database} | {outcome.kills} | {outcome.sent} | "
            f"{outcome.acknowledged} | {outcome.saved_for_later} | "
            f"{outcome.saved_then_answered} | {len(outcome.lost)} | {len(outcome.duplicated)} | "
            f"{len(outcome.misdelivered)} | {len(outcome.ticket_problems)} | "
            f"{sum(outcome.server_errors.values())} | {seconds:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="kill runs on SQLite")
    parser.add_argument("--kills", type=int, default=2, help="kills per run")
    parser.add_argument("--senders", type=int, default=30)
    parser.add_argument("--per-sender", type=int, default=5)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rows: list[str] = []
    notes: list[str] = []
    kills = survived = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = Settings(home=root / "model").nlu_paths.model
        train_and_save(Settings(home=root / "model").nlu_paths)
        runs = 0
        burst = {"kills": args.kills, "senders": args.senders, "per_sender": args.per_sender}

        def home() -> Path:
            nonlocal runs
            runs += 1
            return Server.home_with_model(root / f"run{runs}", model)

        def record(label: str, database: str, result: tuple[Outcome, float]) -> None:
            nonlocal kills, survived
            outcome, seconds = result
            rows.append(row(label, database, outcome, seconds))
            notes.extend(f"{label} ({database}): {note}"
                         for note in [*outcome.notes, *outcome.problems()])
            kills += outcome.kills
            # a kill is survived when the server came back and nothing was lost or doubled
            survived += outcome.kills if not (outcome.lost or outcome.duplicated
                                              or outcome.ticket_problems) else 0

        for seed in range(1, args.seeds + 1):
            record(f"kill -9 ×{args.kills}, seed {seed}", "SQLite", scenario(
                home(), None, functools.partial(kills_during_a_burst, seed=seed, **burst)))
        binaries = None if args.skip_postgres else postgres_binaries()
        if binaries is not None:
            postgres = ThrowawayPostgres(binaries)
            try:
                postgres.start()
                record(f"kill -9 ×{args.kills}, seed {args.seeds + 1}", "PostgreSQL",
                       scenario(home(), postgres.create_database("kills"),
                                functools.partial(kills_during_a_burst,
                                                  seed=args.seeds + 1, **burst)))
                record("database outage", "PostgreSQL", scenario(
                    home(), postgres.create_database("outage"),
                    lambda server: database_outage(server, postgres)))
                record("kill -9 during replay", "PostgreSQL", scenario(
                    home(), postgres.create_database("replay"),
                    lambda server: crash_during_replay(server, postgres, args.senders,
                                                       args.per_sender)))
            finally:
                postgres.destroy()
        elif not args.skip_postgres:
            notes.append("PostgreSQL runs skipped: no server binaries in /usr/lib/postgresql")
    print(f"Fault benchmark {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, "
          f"`linli serve` on a fresh LINLI_HOME per run\n")
    print(f"kills survived: {survived} of {kills}\n")
    print("| run | database | kills | sent | acknowledged | saved for later | answered later "
          "| lost | duplicated | misdelivered | ticket problems | 5xx | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if notes:
        print()
        print("\n".join(f"- {note}" for note in notes))


if __name__ == "__main__":
    main()
