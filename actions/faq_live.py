"""The FAQ as residents get it: config/faq.yml's entries merged with those written in the
console (store/faq_entries.py). Every worker asks the database, on each FAQ question, for the
entries' count and latest change (one aggregate query) and indexes again only when they moved,
so an entry saved in the console answers the next question in any worker without a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from actions.faq_index import FaqIndex
from store import faq_entries
from store.models import FaqEntryRow


def merged(base: FaqIndex | None, rows: Sequence[FaqEntryRow]) -> FaqIndex | None:
    """``base``'s entries with the rows': a row with a file entry's key adds its phrasings to
    it, its answers replacing the file's in their languages; other rows are entries of their
    own, if they have an answer. A retired row's entry is left out, the file's too."""
    retired = {row.key for row in rows if row.retired}
    entries: dict[str, dict[str, Any]] = {
        str(e["id"]): {"id": e["id"], "answer": dict(e["answer"]),
                       "questions": {k: list(v) for k, v in e["questions"].items()}}
        for e in (base.source if base else ()) if str(e["id"]) not in retired}
    for row in rows:
        if row.retired:
            continue
        entry = entries.setdefault(row.key, {"id": row.key, "answer": {}, "questions": {}})
        entry["answer"].update({k: v for k, v in (("zh", row.answer_zh), ("en", row.answer_en))
                                if v})
        entry["questions"].setdefault("console", []).extend(
            q for q in (row.question_zh, row.question_en, *row.paraphrases) if q)
    usable = [e for e in entries.values() if e["answer"] and any(e["questions"].values())]
    if not usable:
        return None
    return FaqIndex(usable, base.words if base else None)


class LiveFaq:
    """The merged index of one worker, rebuilt when the database's entries change."""

    def __init__(self) -> None:
        self._cached: tuple[FaqIndex | None, faq_entries.Mark, FaqIndex | None] | None = None

    def index(self, base: FaqIndex | None, session: Session) -> FaqIndex | None:
        mark = faq_entries.mark(session)
        cached = self._cached  # one read: another thread may replace it meanwhile
        if cached is not None and cached[0] is base and cached[1] == mark:
            return cached[2]
        index = base if mark[0] == 0 else merged(base, faq_entries.listed(session))
        self._cached = (base, mark, index)
        return index
