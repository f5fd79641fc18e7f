"""Two `linli serve` processes on one PostgreSQL database: one runs the scheduler and sends;
when it dies without a word, the other takes over within the lease, and still sends once."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from nlu.pipeline import NluPipeline
from store.community import import_community, parse_community
from store.database import make_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import Community, NoticeRun, OutboxMessage
from store.notices import Audience, create
from tests.bot.test_rest import free_port
from tests.conftest import POSTGRES_URL, _postgres_engine

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def shared_database() -> Iterator[tuple[str, Engine]]:
    """A fresh PostgreSQL schema with the demo community, and its URL for other processes."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = _postgres_engine(schema)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        import_community(session, parse_community(yaml.safe_load(
            (REPO / "config" / "community.demo.yml").read_text(encoding="utf-8"))))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", engine
    engine.dispose()
    with make_engine(POSTGRES_URL).begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def metric(base: str, name: str) -> int:
    found = re.search(rf"^{name} (\d+)", httpx.get(f"{base}/metrics").text, re.MULTILINE)
    assert found is not None
    return int(found.group(1))


def notice_now(sessions: sessionmaker[Session], words: str) -> None:
    with transaction(sessions) as session:
        community = session.scalar(select(Community))
        assert community is not None
        create(session, community=community, author=None, texts={"zh": words},
               audience=Audience("all"), at=None, cron=None, now=dt.datetime.now(dt.UTC),
               zone=dt.UTC, confirm_above=1000)


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


def test_one_of_two_processes_sends_and_the_other_takes_over(
        shared_database: tuple[str, Engine], linli_home: Path, pipeline: NluPipeline,
        tmp_path: Path) -> None:
    url, engine = shared_database
    sessions = session_factory(engine)
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "nlu").symlink_to(linli_home / "models" / "nlu")
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    policy = (config / "schedule.yml").read_text(encoding="utf-8")
    (config / "schedule.yml").write_text(policy.replace("interval: 1s", "interval: 0.2s")
                                         .replace("lease: 30s", "lease: 2s"), encoding="utf-8")
    env = dict(os.environ, LINLI_HOME=str(home), LINLI_DATABASE_URL=url,
               LINLI_CONFIG_DIR=str(config))
    servers, bases = [], []
    for _ in range(2):
        port = free_port()
        servers.append(subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port",
                                         str(port)], cwd=REPO, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        def both_up() -> bool:
            try:
                return all(httpx.get(f"{b}/healthz").status_code == 200 for b in bases)
            except httpx.TransportError:
                return False

        wait_until(both_up, timeout=120)
        wait_until(lambda: sum(metric(b, "linli_scheduler_leader") for b in bases) == 1)
        leader = next(i for i, b in enumerate(bases) if metric(b, "linli_scheduler_leader"))
        other = 1 - leader

        notice_now(sessions, "明天上午停水")
        with sessions() as session:
            wait_until(lambda: session.scalar(select(func.count()).select_from(NoticeRun)) == 1)
        time.sleep(1)  # several more sweeps of the leader, and tries of the other
        assert metric(bases[other], "linli_scheduler_sweeps_total") == 0
        assert metric(bases[leader], "linli_scheduler_sweeps_total") > 3
        with sessions() as session:
            sent = session.scalars(select(OutboxMessage.person_id).where(
                OutboxMessage.batch.like("notice:%"))).all()
            assert len(sent) == len(set(sent)) == 14  # everyone, once

        servers[leader].send_signal(signal.SIGKILL)  # no goodbye: the lease has to lapse
        servers[leader].wait(timeout=10)
        wait_until(lambda: metric(bases[other], "linli_scheduler_leader") == 1, timeout=15)
        notice_now(sessions, "下午社区大扫除")
        with sessions() as session:
            wait_until(lambda: session.scalar(select(func.count()).select_from(NoticeRun)) == 2)
            sent = session.scalars(select(OutboxMessage.person_id).where(
                OutboxMessage.batch.like("notice:%"))).all()
            assert len(sent) == 28 and set(Counter(sent).values()) == {2}  # each once more
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=20)
