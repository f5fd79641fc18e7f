"""Operators' corrections of what the NLU understood: each its own row, the transcript never
changed. Functions take a session and never commit; the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Correction, Direction, TranscriptMessage
from store.privacy import ERASED


@dataclass(frozen=True, slots=True)
class CorrectedMessage:
    """A message with the reading an operator gave it last: training data."""

    text: str
    intent: str
    entities: list[dict[str, Any]]  # {"entity", "value", "start", "end"}
    message_id: int
    at: dt.datetime
    author: str


class NotCorrectableError(ValueError):
    """The message is not one a correction can apply to (outbound, erased, unknown)."""


def _latest_ids() -> Any:
    return select(func.max(Correction.id)).group_by(Correction.message_id)


def latest_corrections(session: Session) -> list[CorrectedMessage]:
    """The latest correction of every corrected message whose text is still there (an erased
    message teaches nothing and must not be kept in training data), oldest first."""
    rows = session.execute(
        select(Correction, TranscriptMessage.text)
        .join(TranscriptMessage, TranscriptMessage.id == Correction.message_id)
        .where(Correction.id.in_(_latest_ids()), TranscriptMessage.text != ERASED)
        .order_by(Correction.id))
    return [CorrectedMessage(text=text, intent=c.intent, entities=list(c.entities),
                             message_id=c.message_id, at=c.created_at, author=c.author)
            for c, text in rows]


def latest_for(session: Session, message_ids: Iterable[int]) -> dict[int, Correction]:
    """The latest correction of each of ``message_ids`` that has one."""
    ids = list(message_ids)
    if not ids:
        return {}
    latest = select(func.max(Correction.id)).where(Correction.message_id.in_(ids)) \
        .group_by(Correction.message_id)
    return {c.message_id: c for c in session.scalars(
        select(Correction).where(Correction.id.in_(latest)))}


def history(session: Session, message_id: int) -> Sequence[Correction]:
    """Every correction of a message, oldest first."""
    return session.scalars(select(Correction).where(Correction.message_id == message_id)
                           .order_by(Correction.id)).all()


def correct(session: Session, message: TranscriptMessage, intent: str,
            entities: list[dict[str, Any]], author: str, now: dt.datetime) -> Correction:
    """Record ``author``'s reading of an inbound ``message``. "Previous" is what counted until
    now: the last correction, else the NLU's parse."""
    if message.direction != Direction.IN or message.text == ERASED:
        raise NotCorrectableError(f"message {message.id} cannot be corrected")
    before = latest_for(session, [message.id]).get(message.id)
    if before is not None:
        previous_intent: str | None = before.intent
        previous_entities: list[dict[str, Any]] | None = list(before.entities)
    else:
        parse = message.parse or {}
        previous_intent = (parse.get("intent") or {}).get("name")
        previous_entities = [{key: e.get(key) for key in ("entity", "value", "start", "end")}
                             for e in parse.get("entities") or []]
    correction = Correction(message_id=message.id, intent=intent, entities=entities,
                            previous_intent=previous_intent,
                            previous_entities=previous_entities, author=author,
                            created_at=now)
    session.add(correction)
    session.flush()
    return correction
