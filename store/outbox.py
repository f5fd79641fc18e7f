"""The outbox: notifications written in the same transaction as the change that caused them.

A de-duplication key makes writing the same notification twice harmless; the delivery worker
claims due rows, sends them through a channel and records the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ChatIdentity, OutboxMessage, OutboxStatus, Person

#: Where a person is reached, most preferred first.
CHANNEL_PREFERENCE = ("telegram", "rest", "shell")
MAX_ATTEMPTS = 8


def address_of(session: Session, person: Person) -> tuple[str, str] | None:
    """(channel, chat id) to reach ``person`` on, or None if they have no chat identity."""
    identities = session.scalars(select(ChatIdentity).where(
        ChatIdentity.person_id == person.id)).all()
    for channel in CHANNEL_PREFERENCE:
        for identity in identities:
            if identity.channel == channel:
                return identity.channel, identity.external_id
    return None


def enqueue(session: Session, *, person: Person, text: str, key: str, now: dt.datetime,
            buttons: list[dict[str, str]] | None = None,
            photo: str | None = None) -> OutboxMessage | None:
    """Queue ``text`` for ``person`` once per ``key``; returns None if already queued."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return None
    address = address_of(session, person)
    message = OutboxMessage(
        dedupe_key=key, person_id=person.id, channel=address[0] if address else "none",
        chat_id=address[1] if address else "", text=text,
        buttons={"buttons": buttons or [], **({"photo": photo} if photo else {})}
        if buttons or photo else None, created_at=now, next_attempt_at=now,
        status=OutboxStatus.PENDING if address and not person.unreachable else
        OutboxStatus.FAILED,
        last_error=None if address and not person.unreachable else "no way to reach this person")
    session.add(message)
    return message


def due(session: Session, channel: str, now: dt.datetime, limit: int = 100
        ) -> Sequence[OutboxMessage]:
    """Pending messages for ``channel`` whose next attempt is due, oldest first."""
    return session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now).order_by(OutboxMessage.id).limit(limit)).all()


def pending_for(session: Session, channel: str, chat_id: str) -> Sequence[OutboxMessage]:
    """Everything waiting for one chat (channels that deliver when the user next writes)."""
    return session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id,
        OutboxMessage.status == OutboxStatus.PENDING).order_by(OutboxMessage.id)).all()


def mark_sent(message: OutboxMessage, now: dt.datetime) -> None:
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.attempts += 1


def mark_failed(message: OutboxMessage, now: dt.datetime, error: str, *,
                retry_after: dt.timedelta | None = None, permanent: bool = False) -> None:
    """Record a failed attempt; retry with exponential backoff unless permanent or exhausted."""
    message.attempts += 1
    message.last_error = error[:500]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
        return
    backoff = retry_after or dt.timedelta(seconds=min(2 ** message.attempts, 600))
    message.next_attempt_at = now + backoff


def buttons_of(message: OutboxMessage) -> list[dict[str, Any]]:
    return list((message.buttons or {}).get("buttons", []))


def photo_of(message: OutboxMessage) -> str | None:
    """A channel file id to send with the text, if any."""
    photo = (message.buttons or {}).get("photo")
    return str(photo) if photo else None
