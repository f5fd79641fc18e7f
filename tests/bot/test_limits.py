"""Rate limits and the newcomer cap, over real HTTP and a real socket.io client, with a clock
the test moves instead of sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.auth import Access
from bot.conversation import ConversationService
from bot.limits import HOUR, Limits, NewcomerCap, TokenBucket, networks
from bot.rest import create_app
from bot.settings import Settings
from nlu.pipeline import NluPipeline
from store.models import ChatIdentity, Direction, Person, TranscriptMessage
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import serving
from tests.bot.test_webchat_socketio import page, png, texts

REST = "/webhooks/rest/webhook"


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def limits(clock: Clock, per_sender: int = 0, per_address: int = 0, newcomers: int = 0,
           trusted: str = "") -> Limits:
    return Limits(TokenBucket(per_sender, clock), TokenBucket(per_address, clock),
                  NewcomerCap(newcomers, clock), networks(trusted))


@contextmanager
def linli(service: ConversationService, pipeline: NluPipeline,  # noqa: F811
          edge: Limits, access: Access | None = None) -> Iterator[str]:
    with serving(create_app(service, pipeline, access=access or Access(),
                            limits=edge)) as url:
        yield url


def say(url: str, sender: str, text: str = "你好", **kwargs: Any) -> httpx.Response:
    return httpx.post(url + REST, json={"sender": sender, "message": text}, **kwargs)


def count(sessions: sessionmaker[Session], what: type[object]) -> int:
    with sessions() as session:
        query = select(func.count()).select_from(what)
        if what is TranscriptMessage:
            query = query.where(TranscriptMessage.direction == Direction.IN)
        return session.scalar(query) or 0


def test_a_sender_too_fast_is_asked_to_wait_then_served(
        service: ConversationService, pipeline: NluPipeline,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    # Loopback stays trusted: the per-sender limit holds for every address.
    with linli(service, pipeline, limits(clock, per_sender=3, trusted="127.0.0.0/8")) as url:
        assert [say(url, "fast").status_code for _ in range(3)] == [200, 200, 200]
        refused = say(url, "fast", "3栋停电了")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "20"
        [polite] = refused.json()
        assert polite["recipient_id"] == "fast"
        assert "稍等" in polite["text"] and "wait a moment" in polite["text"]
        assert count(sessions, TranscriptMessage) == 3  # not stored: the client retries
        assert say(url, "someone-else").status_code == 200
        clock.now += 20
        assert say(url, "fast", "3栋停电了").status_code == 200
        assert "limited_total 1" in httpx.get(f"{url}/metrics").text


def test_an_address_too_fast_is_asked_to_wait(service: ConversationService,  # noqa: F811
                                              pipeline: NluPipeline) -> None:
    clock = Clock()
    with linli(service, pipeline, limits(clock, per_address=3)) as url:
        assert [say(url, f"s{i}").status_code for i in range(3)] == [200, 200, 200]
        assert say(url, "s9").status_code == 429
        parse = httpx.post(f"{url}/model/parse", json={"text": "你好"})
        assert parse.status_code == 429 and "Retry-After" in parse.headers
        # Another client address (through the trusted local proxy) has its own allowance.
        assert say(url, "s9", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
        clock.now += 60
        assert say(url, "s9").status_code == 200


def test_loopback_is_exempt_from_the_per_address_limit_by_default(
        service: ConversationService, pipeline: NluPipeline) -> None:  # noqa: F811
    """What the benchmarks rely on: many senders from 127.0.0.1."""
    clock = Clock()
    edge = limits(clock, per_address=2, newcomers=2, trusted="127.0.0.0/8,::1")
    with linli(service, pipeline, edge) as url:
        assert {say(url, f"bench-{i}").status_code for i in range(6)} == {200}


def test_new_people_per_address_are_capped(service: ConversationService,  # noqa: F811
                                           pipeline: NluPipeline,
                                           sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    people = count(sessions, Person)
    with linli(service, pipeline, limits(clock, newcomers=3)) as url:
        assert [say(url, f"new-{i}").status_code for i in range(3)] == [200, 200, 200]
        refused = say(url, "new-3")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3000
        assert "新来的朋友" in refused.json()[0]["text"]
        assert "new people" in refused.json()[0]["text"]
        assert say(url, "new-0", "3栋停电了").status_code == 200  # known: still served
        assert count(sessions, Person) == people + 3
        with sessions() as session:
            assert session.scalar(select(ChatIdentity).where(
                ChatIdentity.external_id == "new-3")) is None
        clock.now += HOUR
        assert say(url, "new-3").status_code == 200
        assert count(sessions, Person) == people + 4


def test_ten_thousand_made_up_senders_do_not_make_ten_thousand_people() -> None:
    clock = Clock()
    cap = NewcomerCap(30, clock)
    admitted = sum(cap.admit("198.51.100.7", f"made-up-{i}") == 0.0 for i in range(10_000))
    assert admitted == 30
    assert cap.admit("198.51.100.8", "elsewhere") == 0.0  # another address is not punished


def test_a_jwt_vouches_for_a_new_sender(service: ConversationService,  # noqa: F811
                                        pipeline: NluPipeline) -> None:
    key = "a-key-long-enough-for-hs256-signatures!"
    clock = Clock()
    with linli(service, pipeline, limits(clock, newcomers=1),
               Access(jwt_secret=key)) as url:
        for sender in ("a", "b", "c"):
            token = jwt.encode({"sender_id": sender}, key, algorithm="HS256")
            assert say(url, sender, headers={"Authorization": f"Bearer {token}"}
                       ).status_code == 200


def test_limits_forget_what_they_no_longer_need() -> None:
    """Memory stays flat however many senders pass: full buckets and old newcomers go."""
    clock = Clock()
    bucket, cap = TokenBucket(60, clock), NewcomerCap(30, clock)
    for i in range(5_000):
        clock.now += 10.0
        assert bucket.take(f"sender-{i}") == 0.0
        cap.admit(f"10.0.{i // 250}.{i % 250}", f"sender-{i}")
    assert len(bucket) < 1_100
    assert len(cap._admitted) < 1_500  # the last hour's and those since the last sweep


def test_the_web_chat_is_limited_per_session(service: ConversationService,  # noqa: F811
                                             pipeline: NluPipeline) -> None:
    clock = Clock()
    with linli(service, pipeline, limits(clock, per_sender=2, trusted="127.0.0.0/8")) as url:
        async def scenario() -> None:
            async with page(url) as opened:
                session = await opened.session(None)
                await opened.say("你好", session)
                await opened.say("谢谢", session)
                [polite] = await opened.say("你好", session)
                assert "稍等" in polite["text"] and "wait a moment" in polite["text"]
                upload = httpx.post(f"{url}/chat/upload", content=png(),
                                    headers={"X-Linli-Session": session,
                                             "Content-Type": "image/png"})
                assert upload.status_code == 429 and upload.json() == {"error": "rate"}
                assert upload.headers["Retry-After"] == "30"
                clock.now += 30
                [answer] = await opened.say("你好", session)
                assert "稍等" not in answer["text"]

        asyncio.run(scenario())


def test_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_RATE_PER_SENDER", "5")
    monkeypatch.setenv("LINLI_TRUSTED_ADDRESSES", "10.0.0.0/8, ::1")
    edge = Limits.from_settings(Settings())
    assert edge.per_sender.capacity == 5 and edge.newcomers.per_hour == 30
    assert edge.is_trusted("10.2.3.4") and edge.is_trusted("::1")
    assert not edge.is_trusted("127.0.0.1") and not edge.is_trusted("testclient")


def test_new_web_chat_sessions_count_as_newcomers(service: ConversationService,  # noqa: F811
                                                  pipeline: NluPipeline,
                                                  sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    people = count(sessions, Person)
    with linli(service, pipeline, limits(clock, newcomers=1)) as url:
        async def scenario() -> None:
            async with page(url) as first, page(url) as second:
                mine = await first.session(None)
                [greeting] = await first.say("你好", mine)
                assert "新来的朋友" not in greeting["text"]
                other = await second.session(None)
                [refused] = await second.say("你好", other)
                assert "新来的朋友" in refused["text"] and "new people" in refused["text"]
                assert "新来的朋友" not in texts(await first.say("谢谢", mine))

        asyncio.run(scenario())
    assert count(sessions, Person) == people + 1


def test_a_trusted_address_that_is_not_one_is_refused_with_the_setting_named() -> None:
    with pytest.raises(ValueError, match=r"LINLI_TRUSTED_ADDRESSES: 'proxy\.local'"):
        networks("127.0.0.1, proxy.local")
