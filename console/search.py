"""Searching the transcript for the console: filters and keyset paging, newest first.

Paging follows (at, id) down the ``ix_transcript_at_id`` index, so a page costs the same on
page 1 and page 10,000 and a new message never shifts what "next" shows. Functions take a
session and never commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    String,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store.models import Correction, Direction, Handoff, TranscriptMessage

#: Below this confidence a message counts as "low confidence".
LOW_CONFIDENCE = 0.5
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class MessageFilter:
    q: str | None = None
    intent: str | None = None
    max_confidence: float | None = None
    unanswered: bool = False
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    channel: str | None = None
    language: str | None = None
    direction: str | None = None  # "in", "out" or None for both
    handed_over: bool = False
    low_confidence: bool = False
    corrected: bool | None = None
    chat: str | None = None


def intent_of() -> ColumnElement[str]:
    return type_coerce(TranscriptMessage.parse["intent"]["name"].as_string(), String)


def confidence_of() -> ColumnElement[float]:
    return cast(TranscriptMessage.parse["intent"]["confidence"].as_float(), Float)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(chosen: MessageFilter) -> list[ColumnElement[bool]]:
    message = TranscriptMessage
    found: list[ColumnElement[bool]] = []
    if chosen.q:
        # PostgreSQL answers this from the trigram index (migration 0021) when q has three
        # characters or more, even when nothing matches; `search` adds the pair index (0022)
        # for two. One character, and SQLite, scan.
        found.append(message.text.ilike(f"%{_escape_like(chosen.q)}%", escape="\\"))
    if chosen.intent:
        found.append(intent_of() == chosen.intent)
    if chosen.max_confidence is not None:
        found.append(confidence_of() <= chosen.max_confidence)
    if chosen.low_confidence:
        found.append(confidence_of() < LOW_CONFIDENCE)
    if chosen.unanswered:
        # The bot had nothing for it: read as out of scope, or its turn never finished.
        found += [message.direction == Direction.IN,
                  or_(intent_of() == "out_of_scope", message.answered.is_(False))]
    if chosen.since is not None:
        found.append(message.at >= chosen.since)
    if chosen.until is not None:
        found.append(message.at < chosen.until)
    if chosen.channel:
        found.append(message.channel == chosen.channel)
    if chosen.chat:
        found.append(message.chat_id == chosen.chat)
    if chosen.language:
        found.append(message.language == chosen.language)
    if chosen.direction in ("in", "out"):
        found.append(message.direction == Direction(chosen.direction))
    if chosen.handed_over:
        found.append(exists().where(
            Handoff.resident_id == message.person_id, Handoff.started_at <= message.at,
            or_(Handoff.ended_at.is_(None), Handoff.ended_at >= message.at)))
    if chosen.corrected is not None:
        corrected = exists().where(Correction.message_id == message.id)
        found.append(corrected if chosen.corrected else not_(corrected))
    return found


def encode_cursor(message: TranscriptMessage) -> str:
    raw = json.dumps([message.at.isoformat(), message.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, number = json.loads(raw)
        moment = dt.datetime.fromisoformat(at)
        if not isinstance(number, int):
            return None
    except (ValueError, TypeError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)), number


def search(session: Session, chosen: MessageFilter, limit: int = 50,
           after: tuple[dt.datetime, int] | None = None
           ) -> tuple[Sequence[TranscriptMessage], str | None]:
    """A page of matching messages, newest first, and the cursor of the next page (None at
    the end)."""
    limit = max(1, min(limit, MAX_LIMIT))
    message = TranscriptMessage
    query = select(message).where(*conditions(chosen))
    pair = (chosen.q or "").lower()
    if len(pair) == 2 and session.get_bind().dialect.name == "postgresql":
        # Trigrams need three characters: a pair is found by its own index (migration 0022),
        # so a search that matches nothing does not read every row.
        query = query.where(func.linli_bigrams(message.text, type_=ARRAY(Text))
                            .contains(array([cast(literal(pair), Text)])))
    if after is not None:
        at, number = after
        query = query.where(or_(message.at < at, and_(message.at == at, message.id < number)))
    rows = session.scalars(query.order_by(message.at.desc(), message.id.desc())
                           .limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


def around(session: Session, message: TranscriptMessage, before: int = 30,
           after: int = 30) -> list[TranscriptMessage]:
    """The message's conversation (same channel and chat) around it, oldest first."""
    same_chat = (TranscriptMessage.channel == message.channel,
                 TranscriptMessage.chat_id == message.chat_id)
    earlier = session.scalars(select(TranscriptMessage).where(
        *same_chat, TranscriptMessage.id < message.id)
        .order_by(TranscriptMessage.id.desc()).limit(before)).all()
    later = session.scalars(select(TranscriptMessage).where(
        *same_chat, TranscriptMessage.id > message.id)
        .order_by(TranscriptMessage.id).limit(after)).all()
    return [*reversed(earlier), message, *later]


def parse_fields(message: TranscriptMessage) -> tuple[str | None, float | None,
                                                      list[dict[str, Any]]]:
    """The stored parse's intent, confidence and entities (None for outbound messages)."""
    parse = message.parse or {}
    intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else None
    listed = parse.get("entities")
    entities: list[Any] = listed if isinstance(listed, list) else []
    if intent is None:
        return None, None, []
    confidence = intent.get("confidence")
    return (str(intent.get("name")), float(confidence) if isinstance(confidence, (int, float))
            else None, [e for e in entities if isinstance(e, dict)])
