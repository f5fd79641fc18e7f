"""A channel's message ids are its senders' own: unique per (channel, sender, chat), never
across senders (DESIGN.md, HTTP). Clients that number their messages 1, 2, 3 all send "1"."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService, Incoming
from store.models import Direction, Ticket, TranscriptMessage
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture


def _say(service: ConversationService, sender: str, text: str, message_id: str,  # noqa: F811
         channel: str = "rest", chat: str | None = None) -> list[str]:
    replies = asyncio.run(service.handle(Incoming(channel, chat or sender, sender, text,
                                                  message_id=message_id)))
    return [reply["text"] for reply in replies]


def test_two_senders_reusing_an_id_each_get_their_own_answer(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:  # noqa: F811
    first = _say(service, "alice", "12号楼1单元302卫生间下水道堵了", "1")
    second = _say(service, "bob", "3栋2单元电梯坏了", "1")
    assert "BX-20261121-0001" in first[0]
    assert "BX-20261121-0002" in second[0] and "BX-20261121-0001" not in " ".join(second)
    with sessions() as session:
        stored = session.scalars(select(TranscriptMessage.text).where(
            TranscriptMessage.direction == Direction.IN,
            TranscriptMessage.external_id == "1").order_by(TranscriptMessage.id)).all()
        assert stored == ["12号楼1单元302卫生间下水道堵了", "3栋2单元电梯坏了"]
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2
    # a retry is still that sender's own message, answered the same again
    assert _say(service, "bob", "3栋2单元电梯坏了", "1") == second
    assert _say(service, "alice", "12号楼1单元302卫生间下水道堵了", "1") == first


def test_telegram_ids_are_per_chat(service: ConversationService,  # noqa: F811
                                   sessions: sessionmaker[Session]) -> None:
    """The same person, the same message number, two chats (private and a group): two
    messages, both answered."""
    private = _say(service, "7001", "你好", "5", channel="telegram")
    group = _say(service, "7001", "/queue", "5", channel="telegram", chat="-100200")
    assert private and group and private != group
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(TranscriptMessage).where(
            TranscriptMessage.direction == Direction.IN,
            TranscriptMessage.external_id == "5")) == 2


def test_a_retry_gets_every_reply_again_in_order_with_its_buttons(
        service: ConversationService) -> None:  # noqa: F811
    """Stored as given: a client that lost the answer to a list of events gets that list."""
    message = Incoming("rest", "carol", "carol", "最近有什么活动", message_id="7")
    first = asyncio.run(service.handle(message))
    assert len(first) >= 2 and sum("buttons" in reply for reply in first) >= 2
    assert asyncio.run(service.handle(message)) == first
