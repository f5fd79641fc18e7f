"""A chat's history as its person saw it: what they wrote, the bot's answers (the transcript) and
the notifications delivered to them (the outbox), oldest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Direction, OutboxMessage, OutboxStatus, TranscriptMessage
from store.outbox import buttons_of, photo_of


@dataclass(frozen=True, slots=True)
class Said:
    """One message of a chat's history."""

    at: dt.datetime
    incoming: bool  # written by the person, not the bot
    text: str
    buttons: list[dict[str, Any]]
    photos: list[str]  # outbox photo references (``media:…``) or channel file ids


def chat_history(session: Session, channel: str, chat_id: str, limit: int = 50) -> list[Said]:
    """The last ``limit`` messages of one chat. An answer and the notifications handed over
    with it share their moment; the answer comes first, as it did on the screen."""
    transcript = session.scalars(select(TranscriptMessage).where(
        TranscriptMessage.channel == channel, TranscriptMessage.chat_id == chat_id)
        .order_by(TranscriptMessage.id.desc()).limit(limit)).all()
    delivered = session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id,
        OutboxMessage.status == OutboxStatus.SENT)
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(limit)).all()
    keyed: list[tuple[tuple[dt.datetime, int, int], Said]] = []
    for row in transcript:
        parse = row.parse or {}
        keyed.append(((row.at, 0, row.id), Said(
            at=row.at, incoming=row.direction == Direction.IN, text=row.text,
            buttons=list(parse.get("buttons") or []) if row.direction == Direction.OUT else [],
            photos=[str(p) for p in parse.get("attachments") or []])))
    for message in delivered:
        at = message.sent_at or message.created_at
        photo = photo_of(message)
        keyed.append(((at, 1, message.id), Said(
            at=at, incoming=False, text=message.text, buttons=buttons_of(message),
            photos=[photo] if photo else [])))
    keyed.sort(key=lambda pair: pair[0])
    return [said for _, said in keyed[-limit:]]
