"""The outbox: notifications written in the same transaction as the change that caused them.

A de-duplication key makes writing the same notification twice harmless; the delivery worker
claims due rows, sends them through a channel and records the outcome.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Exists, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from store.models import ChatIdentity, OutboxMessage, OutboxStatus, Person

#: The web chat page (socket.io); its chat id is the page's signed session.
WEBCHAT = "webchat"
#: Where a person is reached, most preferred first.
CHANNEL_PREFERENCE = ("telegram", WEBCHAT, "rest", "shell")
#: Channels whose messages the delivery worker tries until they settle (sent or failed); the
#: others wait for the person: REST and shell until they next write, the web chat until its
#: page is open (then it is pushed at once).
PUSH_CHANNELS = frozenset({"telegram"})
MAX_ATTEMPTS = 8
UNREACHABLE = "no way to reach this person"


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
            buttons: list[dict[str, str]] | None = None, photo: str | None = None,
            urgent: bool = False, batch: str | None = None) -> OutboxMessage | None:
    """Queue ``text`` for ``person`` once per ``key``; returns None if already queued.
    ``urgent`` messages are pushed even in quiet hours; ``batch`` groups a bulk send."""
    address = address_of(session, person)
    reachable = address is not None and not person.unreachable
    return enqueue_chat(session, channel=address[0] if address else "none",
                        chat_id=address[1] if address else "", person=person, text=text, key=key,
                        now=now, buttons=buttons, photo=photo, urgent=urgent, batch=batch,
                        error=None if reachable else UNREACHABLE)


def enqueue_chat(session: Session, *, channel: str, chat_id: str, text: str, key: str,
                 now: dt.datetime, person: Person | None = None,
                 buttons: list[dict[str, str]] | None = None, photo: str | None = None,
                 urgent: bool = False, batch: str | None = None,
                 error: str | None = None) -> OutboxMessage | None:
    """Queue ``text`` for a chat (a person's, or a group's); failed at once with ``error``."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return None
    message = OutboxMessage(
        dedupe_key=key, person_id=person.id if person else None, channel=channel,
        chat_id=chat_id, text=text,
        buttons={"buttons": buttons or [], **({"photo": photo} if photo else {})}
        if buttons or photo else None, created_at=now, next_attempt_at=now,
        status=OutboxStatus.FAILED if error else OutboxStatus.PENDING, last_error=error,
        urgent=urgent, batch=batch)
    session.add(message)
    return message


def due(session: Session, channel: str, now: dt.datetime, limit: int = 100,
        urgent_only: bool = False,
        chats: Collection[str] | None = None) -> Sequence[OutboxMessage]:
    """Pending messages for ``channel`` whose next attempt is due, oldest first; only for
    ``chats`` when given (the web pages open now)."""
    query = select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now)
    if chats is not None:
        query = query.where(OutboxMessage.chat_id.in_(list(chats)))
    if urgent_only:
        query = query.where(OutboxMessage.urgent.is_(True))
    return session.scalars(query.order_by(OutboxMessage.id).limit(limit)).all()


def queued_unflushed(session: Session) -> bool:
    """Whether ``session`` holds messages for the outbox that it has yet to write."""
    return any(isinstance(row, OutboxMessage) for row in session.new)


def mail_waiting() -> Exists:
    """Whether anything waits in the outbox for the chat of the bound ``b_channel`` and
    ``b_chat_id`` (the condition of :func:`pending_for`, for use inside a statement; the
    names are not columns', which an UPDATE in the same statement would take as its values)."""
    return _pending_ids("b_channel", "b_chat_id").exists()


@functools.cache
def _pending_ids(channel: str = "channel", chat_id: str = "chat_id") -> Select[Any]:
    """Ids of what waits for the chat bound as ``channel`` and ``chat_id``."""
    outbox = OutboxMessage.__table__
    assert isinstance(outbox, Table)
    return select(outbox.c.id).where(
        outbox.c.channel == bindparam(channel), outbox.c.chat_id == bindparam(chat_id),
        outbox.c.status == OutboxStatus.PENDING)


def pending_for(session: Session, channel: str, chat_id: str) -> Sequence[OutboxMessage]:
    """Everything waiting for one chat (channels that deliver when the user next writes)."""
    # Asked on every turn, and mostly nothing waits: a plain query on the table says so for
    # a fraction of what loading entities through the ORM costs. (It does not flush: rows
    # this session has yet to write go the ORM's way.)
    if not queued_unflushed(session) and session.connection().execute(_pending_ids(), {
            "channel": channel, "chat_id": chat_id}).first() is None:
        return []
    return session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id,
        OutboxMessage.status == OutboxStatus.PENDING).order_by(OutboxMessage.id)).all()


def late_key(inbound_id: int, index: int) -> str:
    """The key of a reply to an incoming message delivered later (its turn ran after a crash
    or an outage): one per reply of that message's own turn."""
    return f"late:{inbound_id}:{index}"


def settle_late(session: Session, inbound_id: int, count: int, now: dt.datetime) -> None:
    """The late replies to a message go back now with the answer to the sender's retry: the
    outbox need not send them again."""
    for message in session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.in_([late_key(inbound_id, i) for i in range(count)]),
            OutboxMessage.status == OutboxStatus.PENDING)):
        mark_sent(message, now)


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
