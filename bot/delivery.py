"""The delivery worker: sends due outbox rows through their channel, with retries and backoff.

Channels that can push (Telegram, the web chat) implement ``Channel``; channels that cannot
(REST, shell) deliver from the outbox when the user next writes (see ConversationService). The
web chat reaches only the pages open now (``Presence``): the rest of its messages wait, untried,
until the page is opened again. A message is
claimed, sent and marked in short transactions, so a crash between sending and marking can at
worst repeat one message — never lose it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session, sessionmaker

from store.calendar import QuietHours
from store.database import transaction
from store.models import OutboxMessage, Person
from store.outbox import buttons_of, due, mark_failed, mark_sent, photo_of

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A send failed. ``retry_after`` is the channel's own wait (e.g. Telegram's 429);
    ``permanent`` means never retry (the user blocked the bot, the chat is gone)."""

    def __init__(self, message: str, *, retry_after: dt.timedelta | None = None,
                 permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class RecipientAway(Exception):  # noqa: N818 — not an error: the message waits, as it was
    """Nobody is there to receive the message now (the web page was just closed)."""


class Channel(Protocol):
    """What the delivery worker needs from a channel that can push messages."""

    name: str

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]],
                   photo: str | None = None) -> None: ...


@runtime_checkable
class Presence(Protocol):
    """A channel that can only reach the chats connected now (open web pages)."""

    def online(self) -> Collection[str]: ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    failed: int
    retrying: int


class DeliveryWorker:
    def __init__(self, sessions: sessionmaker[Session], channels: Mapping[str, Channel],
                 clock: Callable[[], dt.datetime], batch: int = 500,
                 concurrency: int = 64,
                 on_unreachable: Callable[[Session, Person], None] | None = None,
                 quiet: QuietHours | None = None) -> None:
        self.on_unreachable = on_unreachable
        self.quiet = quiet
        self.sessions = sessions
        self.channels = channels
        self.clock = clock
        self.batch = batch
        self.concurrency = concurrency

    async def run_once(self) -> DeliveryReport:
        """Try every due message once: chats in parallel (the channel paces them), each
        chat's messages in order."""
        outcomes: list[str] = []
        limit = asyncio.Semaphore(self.concurrency)
        now = self.clock()
        # In quiet hours only urgent messages go; the rest wait, in order, until morning.
        urgent_only = self.quiet is not None and self.quiet.is_quiet(now)
        for name, channel in self.channels.items():
            chats = channel.online() if isinstance(channel, Presence) else None
            if chats is not None and not chats:
                continue
            with self.sessions() as session:
                by_chat: dict[str, list[int]] = defaultdict(list)
                for message in due(session, name, now, self.batch, urgent_only, chats):
                    by_chat[message.chat_id].append(message.id)

            async def one_chat(ids: list[int], channel: Channel = channel) -> None:
                async with limit:
                    for message_id in ids:
                        outcome = await self._deliver(channel, message_id)
                        outcomes.append(outcome)
                        if outcome in ("retry", "away"):
                            break  # keep the chat's order: the rest wait for the next round

            await asyncio.gather(*(one_chat(ids) for ids in by_chat.values()))
        return DeliveryReport(outcomes.count("sent"), outcomes.count("failed"),
                              outcomes.count("retry"))

    async def _deliver(self, channel: Channel, message_id: int) -> str:
        # Database work runs in a thread so the event loop keeps the channel's pace.
        claimed = await asyncio.to_thread(self._load, message_id)
        if claimed is None:
            return "skipped"  # another worker got there first
        chat_id, text, buttons, photo = claimed
        try:
            await channel.send(chat_id, text, buttons, photo)
        except RecipientAway:
            return "away"  # not an attempt: it stays pending for when they are back
        except DeliveryError as error:
            return await asyncio.to_thread(self._record_failure, message_id, error)
        await asyncio.to_thread(self._record_sent, message_id)
        return "sent"

    def _load(self, message_id: int
              ) -> tuple[str, str, list[dict[str, str]], str | None] | None:
        with self.sessions() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or message.status != "pending":
                return None
            return message.chat_id, message.text, buttons_of(message), photo_of(message)

    def _record_sent(self, message_id: int) -> None:
        with transaction(self.sessions) as session:
            row = session.get(OutboxMessage, message_id)
            assert row is not None
            mark_sent(row, self.clock())

    def _record_failure(self, message_id: int, error: DeliveryError) -> str:
        with transaction(self.sessions) as session:
            row = session.get(OutboxMessage, message_id)
            assert row is not None
            mark_failed(row, self.clock(), str(error), retry_after=error.retry_after,
                        permanent=error.permanent)
            if error.permanent and row.person_id is not None:
                person = session.get(Person, row.person_id)
                if person is not None and not person.unreachable:
                    person.unreachable = True
                    if self.on_unreachable is not None:
                        self.on_unreachable(session, person)
            return "failed" if row.status == "failed" else "retry"

    async def run_forever(self, interval: float = 1.0,
                          wake: asyncio.Event | None = None) -> None:
        """Deliver until cancelled; an unexpected error is logged and the loop goes on.
        Setting ``wake`` starts the next round at once (someone just came online)."""
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("delivery round failed")
            if wake is None:
                await asyncio.sleep(interval)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), interval)
            wake.clear()
