"""REST channel benchmark: 20 concurrent simulated residents running mixed scripted
conversations against a real `linli serve`, over real HTTP, on SQLite and on PostgreSQL.

    python bench/rest_bench.py [--residents 20] [--turns 40] [--skip-postgres]

Prints messages/s and turn latency p50/p99 per database; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from bench.common import answers, free_port, percentile, start_server  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

SCRIPTS = [
    ["你好", "12号楼电梯又坏了", "我的工单怎么样了", "谢谢", "拜拜"],
    ["hi", "no water in block 9 since this morning", "any update on my ticket?", "thanks"],
    ["楼上天天半夜蹦迪 5号楼", "居委会几点上班", "好的", "再见"],
    ["3栋停电了", "算了", "最近有什么活动", "谢谢啦"],
    ["how do I get a parking permit", "what can you do", "bye"],
    ["下水道堵了", "7", "我的工单到哪一步了", "辛苦了"],
]


async def resident(client: httpx.AsyncClient, url: str, index: int, turns: int,
                   timings: list[float]) -> None:
    script = SCRIPTS[index % len(SCRIPTS)]
    sender = f"bench-{index}-{uuid.uuid4().hex[:6]}"
    for turn in range(turns):
        text = script[turn % len(script)]
        started = time.perf_counter()
        reply = await client.post(url, json={"sender": sender, "message": text,
                                             "message_id": f"{sender}-{turn}"})
        reply.raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)


async def load(base: str, residents: int, turns: int) -> tuple[float, list[float]]:
    timings: list[float] = []
    limits = httpx.Limits(max_connections=residents)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(resident(client, f"{base}/webhooks/rest/webhook", i, turns,
                                        timings) for i in range(residents)))
        elapsed = time.perf_counter() - started
    return len(timings) / elapsed, timings


def serve(home: Path, database_url: str | None,
          workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    env = dict(os.environ, LINLI_HOME=str(home))
    if database_url:
        env["LINLI_DATABASE_URL"] = database_url
    return start_server([sys.executable, "-m", "bot", "serve", "--port", "{port}",
                         "--workers", str(workers)], REPO, env,
                        lambda base: answers(f"{base}/healthz"))


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
        asyncio.run(load(base, 2, 3))
        rate, timings = asyncio.run(load(base, residents, turns))
    finally:
        rasa.terminate()
        actions.terminate()
        rasa.wait(timeout=60)
        actions.wait(timeout=30)
    return (f"| Rasa 3.6 REST + Linli actions | 1 | {residents} | {len(timings)} | {rate:.0f} | "
            f"{percentile(timings, 50):.1f} | {percentile(timings, 99):.1f} |")


def run(label: str, home: Path, database_url: str | None, residents: int,
        turns: int, workers: int) -> str:
    server, base = serve(home, database_url, workers)
    try:
        asyncio.run(load(base, 2, 3))  # warm up
        rate, timings = asyncio.run(load(base, residents, turns))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return (f"| {label} | {workers} | {residents} | {len(timings)} | {rate:.0f} | "
            f"{percentile(timings, 50):.1f} | {percentile(timings, 99):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="worker process counts to measure")
    parser.add_argument("--rasa-project", type=Path,
                        help="a folder made by bench/rasa_project.py with a trained model in "
                             "models/: also run the conversations against Rasa")
    parser.add_argument("--rasa", type=Path, default=Path("/tmp/rasa39env"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for workers in args.workers:
            rows.append(run("SQLite", home, None, args.residents, args.turns, workers))
        if not args.skip_postgres:
            from sqlalchemy import create_engine, text

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(POSTGRES)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
                for workers in args.workers:
                    rows.append(run("PostgreSQL", home, url, args.residents, args.turns,
                                    workers))
            finally:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    if args.rasa_project:
        rows.append(rasa_run(args.rasa_project, args.rasa, args.residents, args.turns))
    print(f"REST benchmark {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, "
          f"`linli serve --workers N`\n")
    print("| system / database | workers | residents | messages | messages/s | p50 ms "
          "| p99 ms |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
