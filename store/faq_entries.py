"""FAQ entries written in the console (the ``faq_entry`` table): new entries, and phrasings
added to an entry of config/faq.yml or of this table. Query functions take a session and never
commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import FaqEntryRow

#: What a worker compares to know whether its FAQ is stale: entries and the latest change.
Mark = tuple[int, dt.datetime | None]


def mark(session: Session) -> Mark:
    """One small aggregate query, cheap enough to ask on every FAQ question."""
    count, latest = session.execute(
        select(func.count(FaqEntryRow.id), func.max(FaqEntryRow.updated_at))).one()
    return int(count), latest


def listed(session: Session) -> list[FaqEntryRow]:
    return list(session.scalars(select(FaqEntryRow).order_by(FaqEntryRow.id)))


def by_key(session: Session, key: str) -> FaqEntryRow | None:
    return session.scalars(select(FaqEntryRow).where(FaqEntryRow.key == key)).first()


def _changed_at(session: Session, now: dt.datetime) -> dt.datetime:
    # Strictly after the latest change, so workers comparing `mark` see this one even when
    # two changes fall in one clock tick.
    latest = mark(session)[1]
    return now if latest is None or now > latest else latest + dt.timedelta(microseconds=1)


def save(session: Session, key: str, questions: Sequence[tuple[str, str]],
         answers: Mapping[str, str], author: str, now: dt.datetime) -> tuple[FaqEntryRow, bool]:
    """Add ``questions`` ((text, language) pairs) to the entry ``key``, or make that entry
    with ``answers`` if there is none (a key of config/faq.yml then gets these phrasings and
    answers). An existing entry keeps its answers. Returns the entry and whether it is new."""
    texts = list(dict.fromkeys(text.strip()[:500] for text, _ in questions if text.strip()))
    row = by_key(session, key)
    if row is not None:
        known = {row.question_zh, row.question_en, *row.paraphrases}
        row.paraphrases = [*row.paraphrases, *(t for t in texts if t not in known)]
        row.updated_at = _changed_at(session, now)
        return row, False
    first = {language: text for text, language in reversed(questions) if text.strip()}
    zh, en = first.get("zh", "").strip()[:500], first.get("en", "").strip()[:500]
    row = FaqEntryRow(key=key[:80], question_zh=zh, question_en=en,
                      answer_zh=answers.get("zh", ""), answer_en=answers.get("en", ""),
                      paraphrases=[t for t in texts if t not in (zh, en)], created_by=author[:60],
                      created_at=now, updated_at=_changed_at(session, now))
    session.add(row)
    session.flush()
    return row, True


def edit(session: Session, key: str, questions: Mapping[str, str], answers: Mapping[str, str],
         paraphrases: Sequence[str], author: str, now: dt.datetime) -> FaqEntryRow:
    """Set the entry ``key``'s console-written questions ("zh", "en"), answers and other
    phrasings, making its row if it has none (a key of config/faq.yml then gets them on top
    of the file's). Empty answers leave a file entry's own in place."""
    row = by_key(session, key)
    if row is None:
        row = FaqEntryRow(key=key[:80], created_by=author[:60], created_at=now, paraphrases=[])
        session.add(row)
    row.question_zh = questions.get("zh", "").strip()[:500]
    row.question_en = questions.get("en", "").strip()[:500]
    row.answer_zh, row.answer_en = answers.get("zh", "").strip(), answers.get("en", "").strip()
    main = {row.question_zh, row.question_en}
    row.paraphrases = [t for t in dict.fromkeys(p.strip()[:500] for p in paraphrases)
                       if t and t not in main]
    row.updated_at = _changed_at(session, now)
    session.flush()
    return row


def retire(session: Session, key: str, retired: bool, author: str,
           now: dt.datetime) -> FaqEntryRow:
    """Take the entry ``key`` out of the answers (or put it back); a file entry gets an
    otherwise empty row to carry the mark."""
    row = by_key(session, key)
    if row is None:
        row = FaqEntryRow(key=key[:80], question_zh="", question_en="", answer_zh="",
                          answer_en="", paraphrases=[], created_by=author[:60], created_at=now)
        session.add(row)
    row.retired = retired
    row.updated_at = _changed_at(session, now)
    session.flush()
    return row


def delete(session: Session, key: str) -> bool:
    """Remove the entry ``key``'s row: a console entry is gone, a file entry is as the file
    has it. Workers see it: the count in `mark` drops."""
    row = by_key(session, key)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
