"""A worker over its share of the connections closes one now and then, after answering."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from bot.workers import FairShare


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def _answer(share: FairShare, kind: str = "http") -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": kind}
    asyncio.run(share(scope, receive, send))
    return sent


def _closes(sent: list[Message]) -> bool:
    return (b"connection", b"close") in sent[0]["headers"]


def _worker(held: int, others: int, interval: float = 0.0) -> FairShare:
    share = FairShare(_hello, 0, [0, others], interval=interval)
    share.held = lambda: held
    return share


def test_a_worker_over_its_share_answers_in_full_and_closes_the_connection() -> None:
    sent = _answer(_worker(held=12, others=8))
    assert _closes(sent) and (b"content-type", b"text/plain") in sent[0]["headers"]
    assert sent[1]["body"] == b"hello"


def test_a_worker_at_its_share_keeps_its_connections() -> None:
    assert not _closes(_answer(_worker(held=10, others=10)))
    assert not _closes(_answer(_worker(held=11, others=10)))  # 21 cannot split evenly
    assert not _closes(_answer(_worker(held=3, others=9)))


def test_a_worker_closes_at_most_one_connection_per_interval() -> None:
    share = _worker(held=30, others=2, interval=60)
    assert [_closes(_answer(share)) for _ in range(3)] == [True, False, False]


def test_the_worker_tells_the_others_how_many_connections_it_holds() -> None:
    share = _worker(held=7, others=7)
    _answer(share)
    assert list(share.shares) == [7, 7]


def test_a_websocket_is_never_touched() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    share = FairShare(app, 0, [0, 0], interval=0)
    share.held = lambda: 50
    _answer(share, kind="websocket")
    assert seen == ["websocket"]
