"""The delivery worker: sends due outbox rows through their channel, with retries and backoff.

Channels that can push (Telegram) implement ``Channel``; channels that cannot (REST, shell)
deliver from the outbox when the user next writes (see ConversationService). A message is
claimed, sent and marked in short transactions, so a crash between sending and marking can at
worst repeat one message — never lose it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from store.database import transaction
from store.models import OutboxMessage, Person
from store.outbox import buttons_of, due, mark_failed, mark_sent

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A send failed. ``retry_after`` is the channel's own wait (e.g. Telegram's 429);
    ``permanent`` means never retry (the user blocked the bot, the chat is gone)."""

    def __init__(self, message: str, *, retry_after: dt.timedelta | None = None,
                 permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Channel(Protocol):
    """What the delivery worker needs from a channel that can push messages."""

    name: str

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]]) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    failed: int
    retrying: int


class DeliveryWorker:
    def __init__(self, sessions: sessionmaker[Session], channels: Mapping[str, Channel],
                 clock: Callable[[], dt.datetime], batch: int = 50) -> None:
        self.sessions = sessions
        self.channels = channels
        self.clock = clock
        self.batch = batch

    async def run_once(self) -> DeliveryReport:
        """Try every due message once."""
        sent = failed = retrying = 0
        for name, channel in self.channels.items():
            with self.sessions() as session:
                ids = [m.id for m in due(session, name, self.clock(), self.batch)]
            for message_id in ids:
                outcome = await self._deliver(channel, message_id)
                sent += outcome == "sent"
                failed += outcome == "failed"
                retrying += outcome == "retry"
        return DeliveryReport(sent, failed, retrying)

    async def _deliver(self, channel: Channel, message_id: int) -> str:
        with self.sessions() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or message.status != "pending":
                return "skipped"  # another worker got there first
            chat_id, text, buttons = message.chat_id, message.text, buttons_of(message)
        try:
            await channel.send(chat_id, text, buttons)
        except DeliveryError as error:
            with transaction(self.sessions) as session:
                row = session.get(OutboxMessage, message_id)
                assert row is not None
                mark_failed(row, self.clock(), str(error), retry_after=error.retry_after,
                            permanent=error.permanent)
                if error.permanent and row.person_id is not None:
                    person = session.get(Person, row.person_id)
                    if person is not None:
                        person.unreachable = True
                return "failed" if row.status == "failed" else "retry"
        with transaction(self.sessions) as session:
            row = session.get(OutboxMessage, message_id)
            assert row is not None
            mark_sent(row, self.clock())
        return "sent"

    async def run_forever(self, interval: float = 1.0) -> None:
        """Deliver until cancelled; an unexpected error is logged and the loop goes on."""
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("delivery round failed")
            await asyncio.sleep(interval)
