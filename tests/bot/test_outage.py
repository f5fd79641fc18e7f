"""The database goes away for a while: messages are kept, answered when it is back."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService, Incoming, _Turn
from bot.spool import Spool
from bot.turns import turns_on_threads
from store.database import make_engine, session_factory, transaction
from store.models import (
    ChatIdentity,
    Community,
    Direction,
    OutboxMessage,
    OutboxStatus,
    Person,
    Ticket,
    TranscriptMessage,
)
from store.outbox import enqueue_chat
from tests.bot.test_dialogues import (
    NOW,
    service,  # noqa: F401 — the wired service fixture
)

# Nothing listens on port 1: connecting fails at once, as with a database that is down.
DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"


def test_messages_during_an_outage_are_answered_afterwards(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        tmp_path: Path) -> None:
    service.spool = Spool(tmp_path / "inbox.jsonl")
    service.sessions = session_factory(make_engine(DOWN))
    replies = asyncio.run(service.handle(Incoming("rest", "u1", "u1", "12号楼电梯坏了",
                                                  message_id="m1")))
    assert "消息已保存" in replies[0]["text"] and "119" in replies[0]["text"]
    assert len(service.spool) == 1

    assert asyncio.run(service.replay_spooled()) == 0  # still down: nothing lost
    assert len(service.spool) == 1

    service.sessions = sessions  # the database is back
    assert asyncio.run(service.replay_spooled()) == 1
    assert len(service.spool) == 0
    with sessions() as session:
        assert session.scalar(select(Ticket.number)) == "BX-20261121-0001"
    later = asyncio.run(service.handle(Incoming("rest", "u1", "u1", "你好", message_id="m2")))
    assert any("BX-20261121-0001" in r["text"] for r in later)


def _spool_during_outage(service: ConversationService, spool: Spool,  # noqa: F811
                         messages: list[Incoming]) -> None:
    up = service.sessions
    service.spool = spool
    service.sessions = session_factory(make_engine(DOWN))
    for message in messages:
        assert "消息已保存" in asyncio.run(service.handle(message))[0]["text"]
    service.sessions = up


def _late_rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like("late:%")).order_by(OutboxMessage.id)))


def _replies(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(TranscriptMessage).where(
            TranscriptMessage.direction == Direction.OUT)) or 0


def test_spooled_messages_without_ids_each_get_their_late_answer_once(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        tmp_path: Path) -> None:
    with transaction(sessions) as session:  # something already waits for one of the chats
        person = Person(community_id=session.scalar(select(Community.id)), name="u0",
                        created_at=NOW)
        session.add(person)
        session.flush()
        session.add(ChatIdentity(person_id=person.id, channel="rest", external_id="u0"))
        enqueue_chat(session, channel="rest", chat_id="u0", person=person, text="停水通知",
                     key="notice:1", now=NOW)
    messages = [Incoming("rest", f"u{i % 5}", f"u{i % 5}", f"{i % 5 + 1}号楼有人吗")
                for i in range(20)]  # Rasa REST clients send no message_id
    _spool_during_outage(service, Spool(tmp_path / "inbox.jsonl"), messages)

    assert asyncio.run(service.replay_spooled()) == 20
    late = _late_rows(sessions)
    assert len(late) == _replies(sessions) >= 20  # the turns' own replies, nothing piled on
    assert len({row.dedupe_key for row in late}) == len(late)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.text == "停水通知")) == 1
    # REST delivers when the sender next writes: each late answer once, then never again
    for sender in (f"u{i}" for i in range(5)):
        waiting = [row.text for row in late if row.chat_id == sender]
        delivered = [r["text"] for r in asyncio.run(service.handle(
            Incoming("rest", sender, sender, "谢谢", message_id="next")))]
        assert all(delivered.count(text) >= waiting.count(text) for text in waiting)
        again = [r["text"] for r in asyncio.run(service.handle(
            Incoming("rest", sender, sender, "谢谢", message_id="after")))]
        assert not set(waiting) & set(again)
    assert all(row.status == OutboxStatus.SENT for row in _late_rows(sessions))


def test_a_replay_killed_midway_answers_each_message_once(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "inbox.jsonl"
    messages = [Incoming("rest", f"r{i}", f"r{i}", f"{i + 1}号楼电梯坏了",
                         message_id=f"m{i}" if i % 2 else None) for i in range(10)]
    _spool_during_outage(service, Spool(path), messages)

    answer_late = service._answer_late
    calls = 0

    async def killed_at_the_sixth(incoming: Incoming, inbound_id: int | None = None) -> bool:
        nonlocal calls
        calls += 1
        if calls == 6:
            raise SystemExit("kill -9")
        return await answer_late(incoming, inbound_id)

    monkeypatch.setattr(service, "_answer_late", killed_at_the_sixth)
    monkeypatch.setattr(Spool, "ack", lambda self, ids: None)  # killed: nothing acknowledged
    with pytest.raises(SystemExit):
        asyncio.run(service.replay_spooled())
    monkeypatch.undo()

    service.spool = Spool(path)  # the restarted process
    assert len(service.spool) == 10  # nothing was lost
    assert asyncio.run(service.replay_spooled()) == 5  # the five not answered before the kill
    assert len(service.spool) == 0
    assert asyncio.run(service.replay_spooled()) == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 10
        answered = session.scalars(select(TranscriptMessage.answered).where(
            TranscriptMessage.direction == Direction.IN)).all()
        assert len(answered) == 10 and all(answered)
    assert len(_late_rows(sessions)) == _replies(sessions)


def _killed_mid_turn(service: ConversationService, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                     message: Incoming) -> None:
    """The process dies while the turn runs: the message is stored, never answered."""
    async def killed(*_args: object) -> None:
        raise SystemExit("kill -9")

    with monkeypatch.context() as patch:
        patch.setattr(service.runner, "handle", killed)
        with pytest.raises(SystemExit):
            asyncio.run(service.handle(message))


def test_a_message_whose_turn_died_is_answered_by_the_sweep_once(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    message = Incoming("rest", "k", "k", "12号楼1单元302卫生间下水道堵了", message_id="7")
    _killed_mid_turn(service, monkeypatch, message)
    assert asyncio.run(service.answer_orphans()) == 0  # maybe still running elsewhere: wait

    service.lease = dt.timedelta(0)  # the claim has lapsed: its process is gone
    assert asyncio.run(service.answer_orphans()) == 1
    assert asyncio.run(service.answer_orphans()) == 0
    late = _late_rows(sessions)
    assert late and "BX-20261121-0001" in late[0].text and len(late) == _replies(sessions)
    assert all(row.urgent and row.chat_id == "k" for row in late)

    retry = [r["text"] for r in asyncio.run(service.handle(message))]
    assert retry == [row.text for row in late]  # the real answer, never []
    assert all(row.status == OutboxStatus.SENT for row in _late_rows(sessions))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_a_retry_of_a_message_whose_turn_died_gets_the_real_answer(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    message = Incoming("rest", "k", "k", "12号楼1单元302卫生间下水道堵了", message_id="7")
    _killed_mid_turn(service, monkeypatch, message)
    service.lease = dt.timedelta(0)
    retry = [r["text"] for r in asyncio.run(service.handle(message))]
    assert retry and "BX-20261121-0001" in retry[0]
    assert asyncio.run(service.answer_orphans()) == 0  # answered: nothing left to sweep
    assert _late_rows(sessions) == []
    assert [r["text"] for r in asyncio.run(service.handle(message))] == retry


def test_a_retry_during_the_turn_waits_for_its_answer(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    message = Incoming("rest", "w", "w", "12号楼1单元302卫生间下水道堵了", message_id="1")
    handle = service.runner.handle
    started, go_on = asyncio.Event(), asyncio.Event()

    async def slow(*args: Any) -> Any:
        started.set()
        await go_on.wait()
        return await handle(*args)

    monkeypatch.setattr(service.runner, "handle", slow)

    async def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        first = asyncio.create_task(service.handle(message))
        await started.wait()
        retry = asyncio.create_task(service.handle(message))  # the client gave up and resent
        await asyncio.sleep(0.3)
        assert not retry.done()
        go_on.set()
        return await first, await retry

    first, retry = asyncio.run(both())
    assert retry == first and "BX-20261121-0001" in first[0]["text"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_a_database_lost_mid_turn_is_answered_later_not_refused(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service.spool = Spool(tmp_path / "inbox.jsonl")
    handle = service.runner.handle

    async def then_down(*args: Any) -> Any:
        replies = await handle(*args)
        service.sessions = session_factory(make_engine(DOWN))  # before the turn is saved
        return replies

    monkeypatch.setattr(service.runner, "handle", then_down)
    message = Incoming("rest", "d", "d", "12号楼1单元302卫生间下水道堵了", message_id="1")
    replies = asyncio.run(service.handle(message))
    assert "消息已保存" in replies[0]["text"]
    assert len(service.spool) == 0  # stored already: the database, not the spool, keeps it
    monkeypatch.undo()

    service.sessions = sessions  # back; the turn's claim lapses
    service.lease = dt.timedelta(0)
    assert asyncio.run(service.answer_orphans()) == 1
    late = _late_rows(sessions)
    assert len(late) == _replies(sessions) and "BX-20261121-0001" in late[0].text
    assert [r["text"] for r in asyncio.run(service.handle(message))] == [r.text for r in late]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_a_spooled_message_that_fails_stays_and_blocks_no_other(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messages = [Incoming("rest", sender, sender, "3栋停电了") for sender in ("a", "bad", "c")]
    _spool_during_outage(service, Spool(tmp_path / "inbox.jsonl"), messages)
    answer_late = service._answer_late

    async def failing_for_bad(incoming: Incoming, inbound_id: int | None = None) -> bool:
        if incoming.sender == "bad":
            raise RuntimeError("a bug")
        return await answer_late(incoming, inbound_id)

    monkeypatch.setattr(service, "_answer_late", failing_for_bad)
    assert asyncio.run(service.replay_spooled()) == 2
    assert [entry.incoming.sender for entry in Spool(tmp_path / "inbox.jsonl").take()] == ["bad"]
    monkeypatch.undo()
    assert asyncio.run(service.replay_spooled()) == 1  # fixed: answered on the next replay
    assert len(Spool(tmp_path / "inbox.jsonl")) == 0


def test_a_retry_waiting_for_another_worker_holds_no_turn_thread(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:  # noqa: F811
    message = Incoming("rest", "w", "w", "12号楼1单元302卫生间下水道堵了", message_id="1")
    elsewhere = service._begin(message, message.text, NOW)  # another worker's turn, running
    assert isinstance(elsewhere, _Turn)

    async def meanwhile() -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
        retry = asyncio.create_task(service.handle(message))  # the client resent it
        other = await asyncio.wait_for(service.handle(
            Incoming("rest", "x", "x", "你好", message_id="1")), timeout=20)
        waiting = not retry.done()
        # the other worker finishes its turn
        first = await asyncio.to_thread(asyncio.run, service._run(
            message, message.text, elsewhere, NOW, late=False))
        return first, await asyncio.wait_for(retry, timeout=20), waiting and bool(other)

    with turns_on_threads(service, threads=1):
        first, retry, waited = asyncio.run(meanwhile())
    assert waited and retry == first and "BX-20261121-0001" in first[0]["text"]


def test_a_turn_killed_after_its_ticket_was_saved_answers_as_if_opened_now(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The ticket's transaction committed, the answer's did not: run again, the turn finds
    the ticket this message opened and says it was opened — not "you already reported it".
    (On PostgreSQL a turn's actions commit with its answer, so the killed turn left nothing
    and the retry opens the ticket; on SQLite each action commits on its own.)"""
    message = Incoming("rest", "d", "d", "12号楼1单元302卫生间下水道堵了", message_id="1")
    with monkeypatch.context() as patch:
        def killed(*_args: object) -> None:
            raise SystemExit("kill -9")

        patch.setattr(service, "_finish", killed)
        with pytest.raises(SystemExit):
            asyncio.run(service.handle(message))
    left = 0 if sessions.kw["bind"].dialect.name == "postgresql" else 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == left

    service.lease = dt.timedelta(0)
    retry = [r["text"] for r in asyncio.run(service.handle(message))]
    assert "BX-20261121-0001" in retry[0] and "为您登记" in retry[0], retry
    assert not any("报过了" in text for text in retry)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
    # Another message about the same flat is the duplicate it always was.
    again = asyncio.run(service.handle(Incoming("rest", "d", "d", "12号楼1单元302下水道还是堵",
                                                message_id="2")))
    assert any("报过了" in r["text"] for r in again), again
