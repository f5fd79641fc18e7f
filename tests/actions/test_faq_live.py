"""Every worker's FAQ takes up entries saved in the console, on SQLite and PostgreSQL: each
worker keeps its own index and notices a change in the database on the next question."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy.orm import Session, sessionmaker

from actions.faq_index import FaqIndex
from actions.faq_live import LiveFaq
from store import faq_entries
from store.database import transaction
from tests import demo

NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)
KEYS_ZH = "配钥匙去菜市场门口的老刘修锁摊，早8点到晚6点，一把十块。"


def answer(worker: LiveFaq, sessions: sessionmaker[Session], question: str) -> str | None:
    with sessions() as session:
        index = worker.index(base(), session)
    found = index.best(question) if index else None
    return found[0].id if found else None


@functools.cache
def base() -> FaqIndex:
    """One file index for all workers' tests, as each worker loads the file once."""
    return demo.faq()


def test_an_entry_saved_once_answers_in_every_worker(sessions: sessionmaker[Session]) -> None:
    workers = [LiveFaq(), LiveFaq()]
    assert [answer(w, sessions, "钥匙丢了哪里能配一把") for w in workers] == [None, None]

    with transaction(sessions) as session:
        faq_entries.save(session, "keys",
                         [("小区哪里可以配钥匙", "zh"), ("小区哪里能配钥匙啊", "zh")],
                         {"zh": KEYS_ZH}, "zhao_min", NOW)

    assert [answer(w, sessions, "钥匙丢了哪里能配一把") for w in workers] == ["keys", "keys"]
    # the file's entries still answer beside it
    assert answer(workers[0], sessions, "居委会几点上班") == "office_hours"
    # a phrasing added in the same clock tick is noticed too
    with transaction(sessions) as session:
        faq_entries.save(session, "keys", [("where can i get a key cut", "en")], {},
                         "zhao_min", NOW)
    assert answer(workers[1], sessions, "where do i get keys cut") == "keys"


def test_phrasings_added_to_a_file_entry_keep_its_answer(sessions: sessionmaker[Session]
                                                         ) -> None:
    worker = LiveFaq()
    with transaction(sessions) as session:
        faq_entries.save(session, "office_hours", [("居委会礼拜几有人值班", "zh")], {},
                         "zhao_min", NOW)
    with sessions() as session:
        index = worker.index(base(), session)
    assert index is not None
    [entry] = [e for e in index.entries if e.id == "office_hours"]
    [original] = [e for e in base().entries if e.id == "office_hours"]
    assert entry.answers == original.answers
    assert len(index.entries) == len(base().entries)
