"""The delivery worker with a fake channel: sends, retries with backoff, gives up on blocked
users, honours retry_after, and never sends a message twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import DeliveryError, DeliveryWorker
from store.calendar import QuietHours
from store.community import import_community, parse_community
from store.database import transaction
from store.models import ChatIdentity, OutboxMessage, OutboxStatus, Person
from store.outbox import enqueue

DEMO = Path(__file__).resolve().parents[2] / "config" / "community.demo.yml"
START = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)


class FakeChannel:
    """Records what it sends; fails as told, per chat."""

    name = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures: dict[str, list[DeliveryError]] = {}

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]],
                   photo: str | None = None) -> None:
        queued = self.failures.get(chat_id)
        if queued:
            raise queued.pop(0)
        self.sent.append((chat_id, text))


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def setup(sessions: sessionmaker[Session]) -> tuple[DeliveryWorker, FakeChannel, Clock]:
    with transaction(sessions) as session:
        import_community(session, parse_community(yaml.safe_load(DEMO.read_text())))
        for person in session.scalars(select(Person)):
            session.add(ChatIdentity(person_id=person.id, channel="telegram",
                                     external_id=f"tg-{person.id}"))
    channel, clock = FakeChannel(), Clock()
    return DeliveryWorker(sessions, {"telegram": channel}, clock), channel, clock


def queue(sessions: sessionmaker[Session], name: str, text: str) -> str:
    with transaction(sessions) as session:
        person = session.scalar(select(Person).where(Person.name == name))
        assert person is not None
        enqueue(session, person=person, text=text, key=f"{name}:{text}", now=START)
        return f"tg-{person.id}"


def test_sends_each_message_once(setup: tuple[DeliveryWorker, FakeChannel, Clock],
                                 sessions: sessionmaker[Session]) -> None:
    worker, channel, _ = setup
    chat = queue(sessions, "张伟", "新工单 1")
    queue(sessions, "张伟", "新工单 1")  # same key: not queued twice
    report = asyncio.run(worker.run_once())
    assert report.sent == 1 and channel.sent == [(chat, "新工单 1")]
    assert asyncio.run(worker.run_once()).sent == 0


def test_retries_with_backoff_then_delivers(setup: tuple[DeliveryWorker, FakeChannel, Clock],
                                            sessions: sessionmaker[Session]) -> None:
    worker, channel, clock = setup
    chat = queue(sessions, "张伟", "hello")
    channel.failures[chat] = [DeliveryError("timeout"), DeliveryError("502")]
    assert asyncio.run(worker.run_once()).retrying == 1
    assert asyncio.run(worker.run_once()).retrying == 0  # not due yet: backing off
    clock.now += dt.timedelta(seconds=2)
    assert asyncio.run(worker.run_once()).retrying == 1
    clock.now += dt.timedelta(seconds=3)
    assert asyncio.run(worker.run_once()).retrying == 0  # second backoff is 4 s
    clock.now += dt.timedelta(seconds=2)
    assert asyncio.run(worker.run_once()).sent == 1
    assert channel.sent == [(chat, "hello")]


def test_retry_after_is_honoured_for_that_chat_only(
        setup: tuple[DeliveryWorker, FakeChannel, Clock], sessions: sessionmaker[Session]
) -> None:
    worker, channel, clock = setup
    busy = queue(sessions, "张伟", "one")
    other = queue(sessions, "王芳", "two")
    channel.failures[busy] = [DeliveryError("429", retry_after=dt.timedelta(seconds=30))]
    asyncio.run(worker.run_once())
    assert channel.sent == [(other, "two")]
    clock.now += dt.timedelta(seconds=29)
    asyncio.run(worker.run_once())
    assert len(channel.sent) == 1
    clock.now += dt.timedelta(seconds=1)
    asyncio.run(worker.run_once())
    assert channel.sent[-1] == (busy, "one")


def test_blocked_user_is_marked_unreachable_and_not_retried(
        setup: tuple[DeliveryWorker, FakeChannel, Clock], sessions: sessionmaker[Session]
) -> None:
    worker, channel, clock = setup
    chat = queue(sessions, "王阿姨", "rate us")
    channel.failures[chat] = [DeliveryError("403 blocked", permanent=True)]
    assert asyncio.run(worker.run_once()).failed == 1
    clock.now += dt.timedelta(hours=1)
    assert asyncio.run(worker.run_once()).sent == 0
    with sessions() as session:
        message = session.scalar(select(OutboxMessage))
        assert message is not None and message.status == OutboxStatus.FAILED
        person = session.scalar(select(Person).where(Person.name == "王阿姨"))
        assert person is not None and person.unreachable


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_quiet_hours_hold_all_but_urgent_messages_until_morning(
        setup: tuple[DeliveryWorker, FakeChannel, Clock], sessions: sessionmaker[Session]
) -> None:
    _, channel, clock = setup
    clock.now = dt.datetime(2026, 11, 21, 23, 0, tzinfo=SHANGHAI)
    worker = DeliveryWorker(sessions, {"telegram": channel}, clock,
                            quiet=QuietHours(SHANGHAI))
    with transaction(sessions) as session:
        zhang = session.scalar(select(Person).where(Person.name == "张伟"))
        assert zhang is not None
        chat = f"tg-{zhang.id}"
        # queued at 17:00, before the quiet hours; the ordinary one first
        enqueue(session, person=zhang, text="周报已生成", key="weekly", now=START)
        enqueue(session, person=zhang, text="3号楼燃气泄漏", key="gas", now=START, urgent=True)
    assert asyncio.run(worker.run_once()).sent == 1
    assert channel.sent == [(chat, "3号楼燃气泄漏")]
    clock.now = dt.datetime(2026, 11, 22, 6, 59, tzinfo=SHANGHAI)
    assert asyncio.run(worker.run_once()).sent == 0
    clock.now = dt.datetime(2026, 11, 22, 7, 0, tzinfo=SHANGHAI)
    assert asyncio.run(worker.run_once()).sent == 1
    assert channel.sent == [(chat, "3号楼燃气泄漏"), (chat, "周报已生成")]
