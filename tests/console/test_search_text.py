"""The console's text search finds the same messages whatever index serves it (PostgreSQL's
trigrams for 3 characters or more, character pairs for 2, a scan for 1 and on SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text
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


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
@pytest.mark.parametrize("said", ["今天吃火锅吗", "OK 好的 ok", "哈哈哈哈", "12号楼电梯又坏了!!",
                                  "🔥火警🔥", "ab", "火", ""])
def test_the_pair_index_holds_each_pair_of_the_text(engine: Engine, said: str) -> None:
    """The pairs PostgreSQL indexes for a message are exactly its lower-cased character
    pairs (a text shorter than two characters is its own), so a 2-character search finds
    every message holding it and no other."""
    lowered = said.lower()
    expected = {lowered[i:i + 2] for i in range(len(lowered) - 1)} or {lowered}
    with engine.connect() as connection:
        pairs = connection.execute(text("SELECT linli_bigrams(:t)"), {"t": said}).scalar_one()
    assert set(pairs) == expected
