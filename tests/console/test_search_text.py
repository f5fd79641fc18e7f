"""The console's text search finds the same messages whatever index serves it (PostgreSQL's
trigrams for 3 characters or more, character pairs for 2, a scan for 1 and on SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from console.search import MessageFilter, search
from store.database import transaction
from store.models import Direction, TranscriptMessage

TEXTS = ["今天吃火锅吗", "OK 好的", "3栋电梯坏了", "50% off 优惠", "火"]


@pytest.fixture
def messages(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    with transaction(sessions) as session:
        for number, said in enumerate(TEXTS):
            session.add(TranscriptMessage(channel="rest", chat_id=f"c{number}", sender="r",
                                          direction=Direction.IN, text=said, language="zh",
                                          at=at + dt.timedelta(minutes=number)))
    return sessions


@pytest.mark.parametrize(("q", "found"), [
    ("火锅", ["今天吃火锅吗"]), ("锅吗", ["今天吃火锅吗"]), ("ok", ["OK 好的"]),
    ("电梯坏", ["3栋电梯坏了"]), ("火", ["火", "今天吃火锅吗"]), ("0%", ["50% off 优惠"]),
    ("没有", []), ("没有这句话", []), ("锅火", [])])
def test_a_search_finds_what_holds_the_text(messages: sessionmaker[Session], q: str,
                                            found: list[str]) -> None:
    with messages() as session:
        rows, _ = search(session, MessageFilter(q=q))
        assert [row.text for row in rows] == found
