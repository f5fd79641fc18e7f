"""Turns off the event loop (bot/turns.py): a chat's turns in order, other chats alongside,
/healthz answered while turns wait on the database, and many senders at once all answered,
on SQLite and PostgreSQL over real HTTP."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService, Incoming
from bot.rest import create_app
from bot.turns import BusyError, TurnPool, turns_on_threads
from nlu.pipeline import NluPipeline
from store.models import Direction, TranscriptMessage
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import serving

#: Generous: only reached when something is broken, never on a slow machine.
PATIENCE = 60.0


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.01)


# The pool itself


def test_a_chats_turns_run_one_at_a_time_in_order_while_other_chats_run_alongside() -> None:
    pool = TurnPool(threads=3)
    log: list[tuple[str, int, str]] = []
    together = threading.Barrier(2, timeout=PATIENCE)  # passes only if two chats overlap

    def turn(chat: str, n: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            log.append((chat, n, "start"))
            if n == 0:  # the first turns of both chats meet here, at the same time
                together.wait()
            await asyncio.sleep(0.01)  # a real await: the worker loop could interleave here
            log.append((chat, n, "end"))
        return run

    async def main() -> None:
        await asyncio.gather(*(pool.run(chat, turn(chat, n))
                               for n in range(5) for chat in ("a", "b")))

    try:
        asyncio.run(main())
    finally:
        pool.close()
    for chat in ("a", "b"):
        mine = [(n, edge) for c, n, edge in log if c == chat]
        assert mine == [(n, edge) for n in range(5) for edge in ("start", "end")]


def test_too_many_waiting_turns_are_refused_and_a_withdrawn_one_never_runs() -> None:
    pool = TurnPool(threads=1, max_pending=2)
    release = threading.Event()
    ran: list[str] = []

    async def blocked() -> None:
        release.wait(PATIENCE)
        ran.append("blocked")

    async def later() -> None:
        ran.append("later")

    async def main() -> None:
        first = asyncio.ensure_future(pool.run("a", blocked))
        withdrawn = asyncio.ensure_future(pool.run("b", later))
        await asyncio.sleep(0)  # both submitted
        with pytest.raises(BusyError):
            await pool.run("c", later)
        withdrawn.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await withdrawn  # the caller has gone before the worker is free
        release.set()
        await first
        deadline = time.monotonic() + PATIENCE  # a worker drops the withdrawn turn
        while pool.pending and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert pool.pending == 0

    try:
        asyncio.run(main())
    finally:
        pool.close()
    assert ran == ["blocked"]


def test_a_turn_that_hands_work_to_its_own_pool_runs_it_in_place() -> None:
    pool = TurnPool(threads=1)

    async def inner() -> str:
        return threading.current_thread().name

    async def outer() -> str:
        return await pool.run("same chat", inner)  # would wait on itself if queued

    try:
        name = asyncio.run(asyncio.wait_for(pool.run("same chat", outer), PATIENCE))
    finally:
        pool.close()
    assert name.startswith("turn-")


# The conversation service on the pool


def test_two_messages_from_one_chat_are_answered_in_the_order_sent(
        service: ConversationService) -> None:  # noqa: F811
    async def both() -> list[list[dict[str, object]]]:
        report = service.handle(Incoming("rest", "li", "li", "下水道堵了", message_id="li-1"))
        where = service.handle(Incoming("rest", "li", "li", "7号楼", message_id="li-2"))
        return list(await asyncio.gather(report, where))

    with turns_on_threads(service, threads=4):
        asked, filed = asyncio.run(both())
    # The second message answers the question the first one raised: it was handled after it.
    assert any("楼" in str(reply["text"]) for reply in asked)
    assert any(re.search(r"[A-Z]{2}-\d{8}-\d{4}", str(reply["text"])) for reply in filed)
    with service.sessions() as session:
        inbound = session.scalars(select(TranscriptMessage.external_id).where(
            TranscriptMessage.chat_id == "li", TranscriptMessage.direction == Direction.IN)
            .order_by(TranscriptMessage.id)).all()
    assert inbound == ["li-1", "li-2"]


# Over real HTTP


@contextmanager
def database_held(engine: Engine) -> Iterator[None]:
    """Every write waits while this runs: SQLite's write lock or PostgreSQL's table lock."""
    if engine.dialect.name == "sqlite":
        assert engine.url.database is not None
        holder = sqlite3.connect(engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(text("LOCK TABLE transcript IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            transaction.rollback()


def inbound_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(TranscriptMessage).where(
            TranscriptMessage.direction == Direction.IN)) or 0


def test_health_is_answered_while_turns_wait_on_the_database(
        service: ConversationService, pipeline: NluPipeline,  # noqa: F811
        engine: Engine) -> None:
    senders = 20
    with serving(create_app(service, pipeline)) as base, \
            concurrent.futures.ThreadPoolExecutor(senders) as clients:
        assert httpx.get(f"{base}/healthz", timeout=PATIENCE).status_code == 200
        with database_held(engine):
            replies = [clients.submit(httpx.post, f"{base}/webhooks/rest/webhook",
                                      json={"sender": f"r{i}", "message": "你好"},
                                      timeout=PATIENCE) for i in range(senders)]
            pool = service.turns
            assert pool is not None
            wait_until(lambda: pool.pending == senders, "every message reached the pool")
            health = httpx.get(f"{base}/healthz", timeout=PATIENCE)
            assert health.status_code == 200
            assert health.json() == {"status": "ok", "database": "ok"}
            # answered while all 20 turns were still waiting: none was stored yet
            assert pool.pending == senders
            assert inbound_count(service.sessions) == 0
        answers = [reply.result(PATIENCE) for reply in replies]
    assert [answer.status_code for answer in answers] == [200] * senders
    assert all(answer.json() for answer in answers)


def test_many_senders_at_once_are_all_answered_once(
        service: ConversationService, pipeline: NluPipeline) -> None:  # noqa: F811
    senders, turns = 30, 4
    script = ["你好", "12号楼电梯坏了", "我的工单怎么样了", "谢谢"]

    async def sender(client: httpx.AsyncClient, base: str, i: int) -> list[int]:
        statuses = []
        for turn in range(turns):
            reply = await client.post(f"{base}/webhooks/rest/webhook", json={
                "sender": f"s{i}", "message": script[turn], "message_id": f"s{i}-{turn}"})
            statuses.append(reply.status_code if reply.json() else -1)
        return statuses

    async def everyone(base: str) -> list[list[int]]:
        limits = httpx.Limits(max_connections=senders)
        async with httpx.AsyncClient(timeout=PATIENCE, limits=limits) as client:
            return list(await asyncio.gather(*(sender(client, base, i)
                                               for i in range(senders))))

    with serving(create_app(service, pipeline)) as base:
        statuses = asyncio.run(everyone(base))
    assert statuses == [[200] * turns] * senders
    with service.sessions() as session:
        rows = session.execute(select(TranscriptMessage.external_id, TranscriptMessage.answered)
                               .where(TranscriptMessage.direction == Direction.IN)).all()
        answered_by = session.execute(
            select(TranscriptMessage.reply_to_id, func.count()).where(
                TranscriptMessage.direction == Direction.OUT,
                TranscriptMessage.reply_to_id.is_not(None))
            .group_by(TranscriptMessage.reply_to_id)).all()
    assert sorted(str(external) for external, _ in rows) == sorted(
        f"s{i}-{turn}" for i in range(senders) for turn in range(turns))
    assert all(answered for _, answered in rows)
    assert len(answered_by) == senders * turns  # every message has its replies, once
