"""The database goes away for a while: messages are kept, answered when it is back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService, Incoming
from bot.spool import Spool
from store.database import make_engine, session_factory
from store.models import Ticket
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture

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
