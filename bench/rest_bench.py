"""REST channel benchmark: concurrent simulated residents running mixed scripted conversations
against a real `linli serve`, over real HTTP, on SQLite and on PostgreSQL, while a separate
process probes /healthz.

    python bench/rest_bench.py [--senders 20 50 100] [--workers 1 2] [--database sqlite postgres]
    python bench/rest_bench.py --quick      # SQLite and PostgreSQL, 20 senders, 1 worker
    python bench/rest_bench.py --per-turn   # statements, commits, CPU per turn, in process

Prints one row per database × workers × senders: messages/s, turn latency p50/p99, errors
(failed requests and non-200 answers), the /healthz p99 measured during that load, and the
CPU the server processes used per message (steadier than messages/s on a shared machine) and
the CPU the load generator itself used per message (it shares the machine's cores with the
server); nothing is asserted. Issue 10's targets on a 2-core machine: SQLite at 20 senders
≥ 400 messages/s with p99 < 100 ms; SQLite at 100 senders no errors and p99 < 1 s; PostgreSQL
at 20 senders as SQLite; /healthz p99 < 50 ms throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import http.client
import json
import multiprocessing
import multiprocessing.connection
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from bench.common import (  # noqa: E402
    answers,
    free_port,
    percentile,
    postgres_schema,
    start_server,
)

#: How often the probe process asks /healthz during a load run.
PROBE_INTERVAL = 0.02

SCRIPTS = [
    ["你好", "12号楼电梯又坏了", "我的工单怎么样了", "谢谢", "拜拜"],
    ["hi", "no water in block 9 since this morning", "any update on my ticket?", "thanks"],
    ["楼上天天半夜蹦迪 5号楼", "居委会几点上班", "好的", "再见"],
    ["3栋停电了", "算了", "最近有什么活动", "谢谢啦"],
    ["how do I get a parking permit", "what can you do", "bye"],
    ["下水道堵了", "7", "我的工单到哪一步了", "辛苦了"],
]


@dataclass(slots=True)
class Load:
    """What one load run measured."""

    seconds: float = 0.0
    timings: list[float] = field(default_factory=list)  # ms, answered turns only
    errors: Counter[str] = field(default_factory=Counter)  # kind → count
    health: list[float] = field(default_factory=list)  # ms
    health_failures: int = 0
    server_cpu: float | None = None  # seconds of CPU the server used meanwhile
    client_cpu: float = 0.0  # seconds of CPU the load generator itself used


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user and system) used so far by process ``pid`` and its descendants alive
    now (the workers of ``--workers N``); None without Linux's /proc. On a machine others
    share, CPU per message moves far less than messages/s."""
    proc = Path("/proc")
    if not (proc / str(pid)).exists():
        return None
    stats: dict[int, list[str]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:  # after the command name in parentheses: state, ppid, …, utime, stime
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
    family, grew = {pid}, True
    while grew:
        grown = family | {child for child, fields in stats.items() if int(fields[1]) in family}
        grew, family = grown != family, grown
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(stats[p][11]) + int(stats[p][12]) for p in family if p in stats) / ticks


class _Connection:
    """One kept-alive HTTP/1.1 connection speaking just enough of the protocol for a JSON POST.

    The load generator shares the machine's two cores with the server it measures: httpx cost
    about 4.5 ms of CPU per request here, as much as the server's whole turn, so with it the
    bench measured mostly itself. This costs a few hundredths of that."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, payload: dict[str, str]) -> tuple[int, bytes]:
        """Status and body of one POST; opens the connection again when the server closed it."""
        body = json.dumps(payload).encode()
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                   ).encode() + body
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {name.strip().lower(): value.strip() for name, _, value in
                   (line.partition(":") for line in lines[1:] if line)}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = b""
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                content += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
        else:
            content = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def resident(base: str, index: int, turns: int, load: Load) -> None:
    """One sender with a connection of its own, as a resident's app has: one client shared by
    100 senders made the client's connection pool the bottleneck (p99 several times p50 while
    the server sat idle)."""
    script = SCRIPTS[index % len(SCRIPTS)]
    sender = f"bench-{index}-{uuid.uuid4().hex[:6]}"
    host, port = base.removeprefix("http://").split(":")
    connection = _Connection(host, int(port))
    try:
        for turn in range(turns):
            text = script[turn % len(script)]
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(connection.post(
                    "/webhooks/rest/webhook", {"sender": sender, "message": text,
                                               "message_id": f"{sender}-{turn}"}), 60)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    TimeoutError, ValueError) as error:
                load.errors[type(error).__name__] += 1
                await connection.close()
                continue
            if status != 200:
                load.errors[f"HTTP {status}"] += 1
                continue
            load.timings.append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()


def probe(base: str, stop: multiprocessing.connection.Connection) -> None:
    """In its own process (so the load generator's event loop does not delay it): GET
    /healthz every PROBE_INTERVAL on one kept-alive connection until told to stop; sends back
    the latencies in ms and the number of failures."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    latencies: list[float] = []
    failures = 0
    while not stop.poll():
        started = time.perf_counter()
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1
        except (OSError, http.client.HTTPException):
            failures += 1
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
        time.sleep(PROBE_INTERVAL)
    stop.send((latencies, failures))


async def _drive(base: str, residents: int, turns: int, load: Load) -> None:
    started = time.perf_counter()
    await asyncio.gather(*(resident(base, i, turns, load)
                           for i in range(residents)))
    load.seconds = time.perf_counter() - started


def measure(base: str, residents: int, turns: int, server: int | None = None) -> Load:
    """``residents`` senders of ``turns`` messages each, with /healthz probed meanwhile (and
    the CPU that process ``server`` used, when given)."""
    load = Load()
    cpu_before = cpu_seconds(server) if server is not None else None
    ours, theirs = multiprocessing.Pipe()
    prober = multiprocessing.Process(target=probe, args=(base, theirs), daemon=True)
    prober.start()
    client_before = time.process_time()
    try:
        asyncio.run(_drive(base, residents, turns, load))
    finally:
        load.client_cpu = time.process_time() - client_before
        ours.send("stop")
        load.health, load.health_failures = ours.recv()
        prober.join(timeout=10)
    cpu_after = cpu_seconds(server) if server is not None else None
    if cpu_before is not None and cpu_after is not None:
        load.server_cpu = cpu_after - cpu_before
    return load


@contextmanager
def serving(home: Path, database_url: str | None, workers: int,
            threads: int | None) -> Iterator[tuple[str, int]]:
    # Each simulated sender writes as fast as it is answered: no per-sender rate limit.
    env = dict(os.environ, LINLI_HOME=str(home), LINLI_RATE_PER_SENDER="0")
    if database_url:
        env["LINLI_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "bot", "serve", "--port", "{port}", "--workers",
               str(workers), *(["--threads", str(threads)] if threads is not None else [])]
    server, base = start_server(command, REPO, env, lambda url: answers(f"{url}/healthz"))
    try:
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def row(label: str, workers: int, residents: int, load: Load) -> str:
    messages = len(load.timings)
    rate = messages / load.seconds if load.seconds else 0.0
    latency = (f"{percentile(load.timings, 50):.1f} | {percentile(load.timings, 99):.1f}"
               if load.timings else "– | –")
    errors = str(sum(load.errors.values()))
    if load.errors:
        errors += " (" + ", ".join(f"{kind} {n}" for kind, n in load.errors.most_common()) + ")"
    health = f"{percentile(load.health, 99):.1f}" if load.health else "–"
    if load.health_failures:
        health += f" ({load.health_failures} failed)"
    cpu = f"{load.server_cpu / messages * 1000:.1f}" \
        if load.server_cpu is not None and messages else "–"
    client = f"{load.client_cpu / messages * 1000:.1f}" if messages else "–"
    return (f"| {label} | {workers} | {residents} | {messages} | {rate:.0f} | {latency} | "
            f"{errors} | {health} | {cpu} | {client} |")


def run(label: str, database_url: str | None, senders: list[int], turns: int,
        workers: int, threads: int | None) -> list[str]:
    """One fresh server (and SQLite file) per database and worker count, every sender count
    measured against it."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp, serving(Path(tmp), database_url, workers,
                                                              threads) as (base, pid):
        measure(base, 2, 3)  # warm up: the first turns load what is loaded lazily
        for residents in senders:
            load = measure(base, residents, turns, pid)
            rows.append(row(label, workers, residents, load))
            print(rows[-1], flush=True)
    return rows


def per_turn(label: str, database_url: str | None, residents: int, turns: int) -> str:
    """The same conversations in process, through the conversation service alone (no HTTP,
    no turn threads): SQL statements, commits and connection checkouts per turn, counted by
    SQLAlchemy event listeners, and CPU per turn (``time.process_time``: less disturbed by a
    busy machine than messages/s, though still by a crowded CPU)."""
    from sqlalchemy import Engine, event

    from bot.conversation import Incoming
    from bot.settings import Settings
    from bot.wiring import prepare, settle_heap

    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(LINLI_HOME=tmp, **({"LINLI_DATABASE_URL": database_url}
                                             if database_url else {}))
        parser, service = prepare(Settings(), lambda _message: None)
        engine = service.sessions.kw["bind"]
        assert isinstance(engine, Engine)
        counts: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute",
                     lambda *_args: counts.update(["statements"]))
        event.listen(engine, "commit", lambda *_args: counts.update(["commits"]))
        event.listen(engine, "checkout", lambda *_args: counts.update(["checkouts"]))

        async def converse(prefix: str, rounds: int) -> None:
            for turn in range(rounds):
                for index in range(residents):
                    sender = f"{prefix}-{index}"
                    script = SCRIPTS[index % len(SCRIPTS)]
                    await service.handle(Incoming("rest", sender, sender,
                                                  script[turn % len(script)],
                                                  message_id=f"{sender}-{turn}"))

        asyncio.run(converse("warm", 2))  # what is loaded lazily, loaded
        settle_heap()  # as `linli serve` does once it is loaded
        counts.clear()
        pauses: list[float] = []  # full collections of the garbage collector, seconds
        gc.callbacks.append(functools.partial(_full_collections, pauses))
        started = time.process_time()
        asyncio.run(converse(uuid.uuid4().hex[:6], turns))
        cpu = time.process_time() - started
        gc.callbacks.pop()
        gc.unfreeze()
        if parser.watcher is not None:  # before the schema it reads goes
            parser.watcher.stop()
        engine.dispose()
        os.environ.clear()
        os.environ.update(saved)
    n = residents * turns
    return (f"| {label} | {n} | {counts['statements'] / n:.2f} | {counts['commits'] / n:.2f} | "
            f"{counts['checkouts'] / n:.2f} | {cpu / n * 1000:.2f} | {len(pauses)} | "
            f"{max(pauses, default=0) * 1000:.0f} |")


def _full_collections(pauses: list[float], phase: str, info: dict[str, int]) -> None:
    """gc callback: the length of each full (generation 2) collection, into ``pauses``."""
    if info["generation"] != 2:
        return
    if phase == "start":
        pauses.append(-time.perf_counter())
    elif pauses:
        pauses[-1] += time.perf_counter()


def rasa_run(project: Path, rasa_env: Path, residents: int, turns: int) -> str:
    """The same conversations against Rasa 3.6's REST channel, with Linli's actions on a
    rasa_sdk action server (``bench/rasa_project.py`` builds the project; train it first)."""
    from bench.rasa_project import write
    from bot.settings import Settings
    from bot.wiring import build_runtime, load_community_file

    home = project / "linli-home"
    settings = Settings(home=home)
    load_community_file(build_runtime(settings), settings.config_dir / "community.demo.yml")
    action_port = free_port()
    write(project, f"http://127.0.0.1:{action_port}/webhook")
    actions = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(action_port)],
        cwd=REPO, env=dict(os.environ, LINLI_HOME=str(home)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ,
               LD_LIBRARY_PATH=f"{rasa_env}/root/usr/lib/x86_64-linux-gnu:"
                               f"{rasa_env}/root/lib/x86_64-linux-gnu",
               PYTHONHOME=f"{rasa_env}/root/usr", SQLALCHEMY_SILENCE_UBER_WARNING="1",
               TF_CPP_MIN_LOG_LEVEL="3")
    try:
        rasa, base = start_server(
            [str(rasa_env / "venv" / "bin" / "rasa"), "run", "-m", str(project / "models"),
             "--credentials", str(project / "credentials.yml"), "--endpoints",
             str(project / "endpoints.yml"), "--port", "{port}", "-i", "127.0.0.1"],
            project, env, lambda url: answers(f"{url}/"), timeout=600)
    except RuntimeError:
        actions.terminate()
        raise
    try:
        measure(base, 2, 3)
        load = measure(base, residents, turns)
    finally:
        rasa.terminate()
        actions.terminate()
        rasa.wait(timeout=60)
        actions.wait(timeout=30)
    return row("Rasa 3.6 REST + Linli actions", 1, residents, load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, nargs="+", default=[20, 50, 100],
                        help="concurrent senders per load run")
    parser.add_argument("--turns", type=int, default=40, help="messages per sender")
    parser.add_argument("--database", nargs="+", choices=["sqlite", "postgres"],
                        default=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="worker process counts to measure")
    parser.add_argument("--threads", type=int,
                        help="turn threads per worker (`linli serve --threads`; 0: turns on "
                             "the event loop, as before issue 10)")
    parser.add_argument("--quick", action="store_true",
                        help="20 senders, 1 worker, 20 messages each")
    parser.add_argument("--per-turn", action="store_true",
                        help="instead of the load runs: statements, commits, checkouts and CPU "
                             "per turn of the same conversations in process")
    parser.add_argument("--rasa-project", type=Path,
                        help="a folder made by bench/rasa_project.py with a trained model in "
                             "models/: also run the conversations against Rasa")
    parser.add_argument("--rasa", type=Path, default=Path("/tmp/rasa39env"))
    args = parser.parse_args()
    if args.quick:
        args.senders, args.workers, args.turns = [20], [1], 20
    if args.per_turn:
        print(f"Per turn, in process, {time.strftime('%Y-%m-%d %H:%M')}, load average "
              f"{os.getloadavg()[0]:.1f}: {args.senders[0]} senders × {args.turns} messages\n")
        print("| database | turns | statements | commits | checkouts | CPU ms | full GCs | "
              "longest GC pause ms |")
        print("|---|---|---|---|---|---|---|---|", flush=True)
        for database in args.database:
            if database == "sqlite":
                print(per_turn("SQLite", None, args.senders[0], args.turns), flush=True)
            else:
                with postgres_schema() as url:
                    print(per_turn("PostgreSQL", url, args.senders[0], args.turns),
                          flush=True)
        return
    print(f"REST benchmark {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, `linli serve --workers N`, {args.turns} "
          f"messages per sender, /healthz probed every {PROBE_INTERVAL * 1000:.0f} ms\n")
    print("| database | workers | senders | messages | messages/s | p50 ms | p99 ms | errors "
          "| /healthz p99 ms | server CPU ms/message | client CPU ms/message |")
    print("|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    rows = []
    for database in args.database:
        for workers in args.workers:
            if database == "sqlite":
                rows += run("SQLite", None, args.senders, args.turns, workers, args.threads)
            else:
                with postgres_schema() as url:
                    rows += run("PostgreSQL", url, args.senders, args.turns, workers,
                                args.threads)
    if args.rasa_project:
        print(rasa_run(args.rasa_project, args.rasa, args.senders[0], args.turns))


if __name__ == "__main__":
    main()
