"""Telegram: python-telegram-bot (v22) plugged into the conversation service.

Private chats get everything the REST channel can do, with inline keyboards. In groups Linli
speaks only when addressed or when a message is confidently a service request (never on
out-of-scope text, addressed or not), never shows
personal details there, and continues privately through a deep link. Outgoing notifications
go through ``TelegramChannel`` at Telegram's rate limits.

What Telegram sends is outside data: the webhook is never open (a secret is always checked, in
constant time), an update whose chat is not the sender's own private chat is dropped before any
handler sees it, and every string is normalised (bot/edge.py) before the conversation service
stores it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import os
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.conversation import COMMANDS, ConversationService, Incoming
from bot.delivery import DeliveryError
from bot.edge import MAX_ID, clean_text
from flows.runner import EMERGENCY_CONFIDENCE
from nlu.intents import OUT_OF_SCOPE
from nlu.language import SUPPORTED
from store import media
from store.buttons import payload_for, register
from store.database import transaction
from store.models import ChatIdentity

log = logging.getLogger(__name__)
CHANNEL = "telegram"
MAX_MESSAGE = 4096
#: In a group, a message that is not addressed to the bot is answered only when the NLU is at
#: least this sure it is a service request.
GROUP_CONFIDENCE = 0.8
GROUP_INTENTS = frozenset({"report_repair", "file_complaint", "report_emergency"})
#: Buttons whose answer is written under the message they are on (a ticket, a relayed line).
WORK_COMMANDS = ("/accept", "/progress", "/resolve", "/escalate", "/note", "/end")
_COMMANDS = {"help": "/bot_help", "mytickets": "/ticket_status", "language": "/set_language",
             "cancel": "cancel"}
#: The header Telegram sends the webhook secret in (Bot API ``setWebhook(secret_token)``).
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: What Telegram accepts as a secret token: 1–256 of A-Z, a-z, 0-9, _ and -.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: Telegram's user and chat ids fit in 52 bits; anything else in an id is not from Telegram.
_MAX_TELEGRAM_ID = 2**52
#: Longest name kept for a person (the column holds 100 characters).
_MAX_NAME = MAX_ID


def webhook_secret(configured: str | None) -> str:
    """The secret every webhook call must carry: the configured one, else a random one made
    now (and registered with ``setWebhook``), so the webhook is never open to forged updates.
    A configured secret Telegram would refuse is a ValueError, said at start-up."""
    if not configured:
        return secrets.token_urlsafe(32)
    if not _SECRET.fullmatch(configured):
        raise ValueError("LINLI_TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - "
                         "(1 to 256 characters)")
    return configured


def authentic(secret: str | None, header: str | None) -> bool:
    """Whether a webhook call carries the secret; compared in constant time, so the time an
    answer takes tells nothing about how much of a guess was right. No secret: nothing is."""
    if not secret or header is None:
        return False
    # Bytes: compare_digest refuses non-ASCII str, and a header may hold any latin-1 text.
    return hmac.compare_digest(header.encode(), secret.encode())


async def queue_update(application: Application[Any, Any, Any, Any, Any, Any],
                       body: bytes) -> bool:
    """A webhook call's body queued for the handlers; False (nothing queued) for a body that
    is not a Telegram update. Call it only for an :func:`authentic` call."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past reason
        log.warning("refused a webhook call whose body is not JSON")
        return False
    if not isinstance(data, dict) or not _telegram_id(data.get("update_id")):
        log.warning("refused a webhook call whose body is not an update")
        return False
    try:
        update = Update.de_json(data, application.bot)
    except Exception:  # PTB reads outside data and fails however the data is wrong
        log.warning("refused a webhook call whose body is not an update", exc_info=True)
        return False
    await application.update_queue.put(update)
    return True


def _telegram_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and \
        abs(value) < _MAX_TELEGRAM_ID


def genuine(update: Update) -> bool:
    """Whether an update may reach the handlers. Telegram sends a private chat's messages
    with ``chat.id == from.id``, and Linli's buttons are only ever in the presser's private
    chat; anything else is forged (replies would go to a chat of the forger's choosing, with
    the sender's tickets in them). Ids must be Telegram's: integers of at most 52 bits."""
    chat, user = update.effective_chat, update.effective_user
    if any(not _telegram_id(party.id) for party in (chat, user) if party is not None):
        return False
    if update.callback_query is not None:
        return chat is not None and user is not None and chat.id == user.id
    if chat is not None and chat.type == Chat.PRIVATE:
        return user is not None and chat.id == user.id
    return True


def _name(user: User | None) -> str | None:
    return clean_text(user.full_name, _MAX_NAME) if user is not None else None


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split at paragraph, then line, then sentence boundaries to fit Telegram's limit."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = limit
        for separator in ("\n\n", "\n", "。", ". ", "! ", "? ", " "):
            position = window.rfind(separator)
            if position > limit // 2:
                cut = position + len(separator.rstrip() or separator)
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest.rstrip())
    return [p for p in parts if p]


class RateLimiter:
    """Telegram's limits: ~30 messages/s per bot, 1/s per private chat, 20/min per group.

    Sends are spaced evenly at the overall limit rather than sent in bursts: the server counts
    arrivals in a sliding window, and bursts at a window's edge are what draw 429s. Per-chat
    windows keep a 2% margin, since a 429 costs far more than the margin.
    """

    def __init__(self, per_second: float = 29.9, private_interval: float = 1.02,
                 group_per_minute: int = 20, margin: float = 1.02) -> None:
        self.interval = 1.0 / per_second
        self.private_interval = private_interval
        self.group_window = 60.0 * margin
        self.group_per_minute = group_per_minute
        self._next = 0.0
        self._chats: dict[int, deque[float]] = defaultdict(deque)
        self._lock = asyncio.Lock()

    def _chat_wait(self, chat_id: int, now: float) -> float:
        history = self._chats[chat_id]
        window, allowed = (self.group_window, self.group_per_minute) if chat_id < 0 else (
            self.private_interval, 1)
        while history and now - history[0] >= window:
            history.popleft()
        return window - (now - history[0]) if len(history) >= allowed else 0.0

    async def acquire(self, chat_id: int) -> None:
        while True:
            async with self._lock:
                now = time.monotonic()
                wait = max(self._chat_wait(chat_id, now), self._next - now)
                if wait <= 0:
                    self._next = max(self._next, now) + self.interval
                    self._chats[chat_id].append(now)
                    return
            await asyncio.sleep(wait + 0.0005)


class TelegramChannel:
    """Sends outbox messages to Telegram chats, paced and with errors translated."""

    name = CHANNEL

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any],
                 sessions: sessionmaker[Session], limiter: RateLimiter,
                 clock: Callable[[], dt.datetime]) -> None:
        self.application = application
        self.sessions = sessions
        self.limiter = limiter
        self.clock = clock

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]],
                   photo: str | None = None) -> None:
        chat = int(chat_id)
        markup = self.keyboard(chat, buttons)
        chunks = split_text(text)
        try:
            if photo is not None:  # the photo first, so the buttons stay under the text
                image = await asyncio.to_thread(self._image, photo) \
                    if photo.startswith(media.PREFIX) else photo
                await self.limiter.acquire(chat)
                if isinstance(image, tuple):  # a file Linli made: a document with its name
                    await self.application.bot.send_document(chat, image[0], filename=image[1])
                else:
                    await self.application.bot.send_photo(chat, image)
            for index, chunk in enumerate(chunks):
                await self.limiter.acquire(chat)
                await self.application.bot.send_message(
                    chat, chunk, reply_markup=markup if index == len(chunks) - 1 else None)
        except RetryAfter as error:
            retry = error.retry_after
            seconds = retry.total_seconds() if isinstance(retry, dt.timedelta) else float(retry)
            raise DeliveryError(str(error), retry_after=dt.timedelta(seconds=seconds)) from None
        except Forbidden as error:
            raise DeliveryError(str(error), permanent=True) from None
        except BadRequest as error:
            raise DeliveryError(str(error), permanent=True) from None
        except (TimedOut, NetworkError) as error:
            raise DeliveryError(str(error)) from None

    def _image(self, reference: str) -> bytes | str | tuple[bytes, str]:
        """A picture Linli made (a digest chart) is uploaded; a Telegram file id is resent; a
        file Linli made (a data export) is uploaded as (data, file name)."""
        with self.sessions() as session:
            stored = media.load(session, reference)
            if stored is None:
                return reference
            name = media.file_name(stored)
            return (stored.data, name) if name else stored.data

    def keyboard(self, chat_id: int, buttons: list[dict[str, str]]) -> InlineKeyboardMarkup | None:
        """Inline buttons whose callback data is a short id bound to the chat's person."""
        if not buttons:
            return None
        with transaction(self.sessions) as session:
            person_id = session.scalar(select(ChatIdentity.person_id).where(
                ChatIdentity.channel == CHANNEL, ChatIdentity.external_id == str(chat_id)))
            if person_id is None:
                return None
            ids = [register(session, person_id, b["payload"], self.clock()) for b in buttons]
        keys = [InlineKeyboardButton(b["title"], callback_data=f"b{i}")
                for b, i in zip(buttons, ids, strict=True)]
        # Many short choices (building numbers) share rows; longer ones get a row each.
        per_row = 5 if len(keys) > 3 and all(len(b["title"]) <= 6 for b in buttons) else 1
        return InlineKeyboardMarkup([keys[i:i + per_row] for i in range(0, len(keys), per_row)])


class TelegramFrontend:
    """The handlers: thin functions from Telegram updates to the conversation service."""

    def __init__(self, service: ConversationService, channel: TelegramChannel,
                 bot_username: str) -> None:
        self.service = service
        self.channel = channel
        self.bot_username = bot_username
        self._groups: set[int] = set()  # group chats registered by this process

    async def _reply(self, update: Update, text: str, sender: int, chat: int,
                     attachments: tuple[str, ...] = ()) -> None:
        await self._send(chat, await self._answer(update, text, sender, chat, attachments))

    async def _answer(self, update: Update, text: str, sender: int, chat: int,
                      attachments: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        return await self.service.handle(Incoming(
            CHANNEL, str(chat), str(sender), clean_text(text), message_id=f"u{update.update_id}",
            display_name=_name(update.effective_user),
            attachments=tuple(clean_text(a, MAX_ID) for a in attachments)))

    async def _send(self, chat: int, replies: list[dict[str, Any]]) -> None:
        for reply in replies:
            await self.channel.send(str(chat), reply["text"], reply.get("buttons", []))

    async def guard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every handler: a forged update goes no further, unanswered and unstored."""
        if not genuine(update):
            chat, user = update.effective_chat, update.effective_user
            log.warning("dropped update %s (chat %r, user %r): not the user's own private "
                        "chat, or not Telegram's ids", update.update_id,
                        chat.id if chat else None, user.id if user else None)
            raise ApplicationHandlerStop

    async def private_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone writes to the bot privately; a reply to a relayed message answers it."""
        message = update.effective_message
        assert message and update.effective_user and update.effective_chat
        text = message.text or ""
        relayed = message.reply_to_message.text if message.reply_to_message else None
        if relayed and (target := re.search(r"/reply ([0-9]{1,9})\b", relayed)):
            text = f"/reply {target.group(1)} {text}"
        await self._reply(update, text, update.effective_user.id, update.effective_chat.id)

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help, /mytickets, /language, /cancel."""
        assert update.effective_message and update.effective_user and update.effective_chat
        name = (update.effective_message.text or "/").split()[0][1:].split("@")[0]
        await self._reply(update, _COMMANDS.get(name, "/bot_help"), update.effective_user.id,
                          update.effective_chat.id)

    async def staff_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/broadcast, /notices, /queue, /resolve BX-… note, and commands Linli does not
        know: the text as typed, minus @bot."""
        assert update.effective_message and update.effective_user and update.effective_chat
        text = re.sub(r"^(/\w+)@\w+", r"\1", update.effective_message.text or "")
        await self._reply(update, text, update.effective_user.id, update.effective_chat.id)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, with a deep-link payload: g<ref> continues a group report privately,
        t<ticket> shows that ticket (to its reporter only)."""
        assert update.effective_message and update.effective_user and update.effective_chat
        payload = context.args[0] if context.args else ""
        text = "你好"
        if re.fullmatch(r"g[0-9]{1,9}", payload):  # row ids fit PostgreSQL's integer
            original = self.service.original_text(int(payload[1:]), str(update.effective_user.id))
            text = original or text
        elif ticket := re.fullmatch(r"t([A-Z]{2})(\d{8})(\d{4})", payload):
            number = "-".join(ticket.groups())
            text = f'/ticket_status{{"ticket_id": "{number}"}}'
        await self._reply(update, text, update.effective_user.id, update.effective_chat.id)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button: answered at once, honoured only from the person it was sent to."""
        query = update.callback_query
        assert query is not None and update.effective_user is not None
        await query.answer()  # before any slow work: the user sees the press was received
        match = re.fullmatch(r"b([0-9]{1,9})", query.data or "")  # fits an integer column
        user = update.effective_user.id
        with self.service.sessions() as session:
            person_id = session.scalar(select(ChatIdentity.person_id).where(
                ChatIdentity.channel == CHANNEL, ChatIdentity.external_id == str(user)))
            payload = payload_for(session, int(match.group(1)), person_id) \
                if match and person_id is not None else None
        if payload is None:
            log.warning("refused callback %r from %s", query.data, user)
            return
        replies = await self._answer(update, payload, user, user)
        message = query.message
        if payload.startswith(WORK_COMMANDS) and replies and isinstance(message, Message):
            # The ticket message itself shows the new state; its buttons stay until resolved.
            keep = None if payload.startswith(("/resolve", "/escalate", "/end")) \
                else message.reply_markup
            await query.edit_message_text(f"{message.text or ''}\n\n— {replies[0]['text']}",
                                          reply_markup=keep)
            replies = replies[1:]
        elif message is not None:
            await query.edit_message_reply_markup(reply_markup=None)  # one answer per question
        await self._send(user, replies)

    async def group_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group message: answered only when addressed or a confident service request."""
        message = update.effective_message
        assert message and update.effective_user and update.effective_chat
        text = clean_text(message.text or "")
        if update.effective_chat.id not in self._groups:  # a write once, not per message
            await asyncio.to_thread(self.service.register_group, CHANNEL,
                                    str(update.effective_chat.id),
                                    clean_text(update.effective_chat.title or "", 200))
            self._groups.add(update.effective_chat.id)
        addressed = f"@{self.bot_username}".lower() in text.lower() or (
            message.reply_to_message is not None and message.reply_to_message.from_user
            is not None and message.reply_to_message.from_user.username == self.bot_username)
        if addressed:  # the mention is how it was said, not what: "@bot" read as a greeting
            text = re.sub(re.escape(f"@{self.bot_username}"), " ", text,
                          flags=re.IGNORECASE).strip() or text
        parse = self.service.nlu.parse(text)
        intent = parse["intent"]["name"]
        confident = intent in GROUP_INTENTS and parse["intent"]["confidence"] >= GROUP_CONFIDENCE
        if not (addressed or confident):
            return  # chit-chat between neighbours is left alone
        if intent == OUT_OF_SCOPE and parse["language"] in SUPPORTED:
            # Not Linli's business even when addressed: a group is no place to say so, and a
            # private chat says what Linli does. A language Linli cannot serve still gets the
            # link to a private chat, where a person takes over.
            return
        english = parse["language"] == "en"
        if intent == "report_emergency" and \
                parse["intent"]["confidence"] >= EMERGENCY_CONFIDENCE:
            # Safety first: the alert goes out now, not once the resident follows the link.
            # The report runs in their private conversation, which asks where; the link
            # opens it, and the group sees no details.
            user = update.effective_user.id
            replies = await self._answer(update, text, user, user)
            with contextlib.suppress(DeliveryError):  # no private chat yet: the link opens one
                await self._send(user, replies)
            link, key = f"https://t.me/{self.bot_username}?start=e", \
                "utter_group_emergency_alerted"
        else:
            stored = self.service.remember_group_message(
                str(update.effective_chat.id), str(update.effective_user.id), text,
                f"u{update.update_id}")
            link = f"https://t.me/{self.bot_username}?start=g{stored}"
            key = "utter_group_emergency" if intent == "report_emergency" else \
                "utter_group_ack"
        reply = self.service.runner.say(key, {"language": "en" if english else "zh"})
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            "私聊继续 Continue privately", url=link)]])
        await self.channel.limiter.acquire(update.effective_chat.id)
        await message.reply_text(reply.text, reply_markup=markup)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: the original was already handled; say how to correct it."""
        message = update.effective_message
        assert message is not None and update.effective_chat is not None
        reply = self.service.runner.say("utter_received_edit", {"language": "zh"})
        await self.channel.limiter.acquire(update.effective_chat.id)
        await message.reply_text(reply.text)

    async def other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Photos, voice, stickers, locations, documents: a sensible answer, nothing lost."""
        message = update.effective_message
        assert message and update.effective_user and update.effective_chat
        kind = ("photo" if message.photo else "voice" if message.voice or message.audio else
                "sticker" if message.sticker else "location" if message.location else
                "document")
        caption = message.caption or ""
        if message.photo:  # kept on the report (largest size's file id), with or without words
            await self._reply(update, caption, update.effective_user.id,
                              update.effective_chat.id, (message.photo[-1].file_id,))
            return
        if caption:
            await self._reply(update, caption, update.effective_user.id,
                              update.effective_chat.id)
            return
        if message.location is not None:
            user, chat = str(update.effective_user.id), str(update.effective_chat.id)
            number = self.service.building_near(CHANNEL, user, message.location.latitude,
                                                message.location.longitude)
            if number is not None and self.service.waiting_for(CHANNEL, chat, user) == \
                    "building":
                await self._reply(update, number, update.effective_user.id,
                                  update.effective_chat.id)  # answers "which building?"
                return
            kind = "location_near" if number is not None else "location"
            reply = self.service.runner.say(f"utter_received_{kind}",
                                            {"language": "zh", "building": number or ""})
            await self.channel.limiter.acquire(update.effective_chat.id)
            await message.reply_text(reply.text)
            return
        reply = self.service.runner.say(f"utter_received_{kind}", {"language": "zh"})
        await self.channel.limiter.acquire(update.effective_chat.id)
        await message.reply_text(reply.text)


def build_application(token: str, base_url: str | None, timeout: float = 10.0,
                      ) -> Application[Any, Any, Any, Any, Any, Any]:
    # Opt in to PTB 23's behaviour now: durations such as RetryAfter.retry_after as timedelta.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    builder = Application.builder().token(token).read_timeout(timeout).write_timeout(timeout)
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot"))
    return builder.build()


def add_handlers(application: Application[Any, Any, Any, Any, Any, Any],
                 frontend: TelegramFrontend) -> None:
    """Wire the handlers, by hand and in one place."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    # Group -1 runs first, for polling and the webhook alike; it stops what is forged.
    application.add_handler(TypeHandler(Update, frontend.guard), group=-1)
    application.add_handler(CommandHandler("start", frontend.start, filters=private))
    application.add_handler(CommandHandler(list(_COMMANDS), frontend.command, filters=private))
    application.add_handler(CommandHandler(sorted(COMMANDS), frontend.staff_command,
                                           filters=private))
    application.add_handler(CallbackQueryHandler(frontend.button))
    # Any other command (a typo, a Rasa payload typed by hand) still gets an answer.
    application.add_handler(MessageHandler(private & filters.COMMAND, frontend.staff_command))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND,
                                           frontend.private_text))
    application.add_handler(MessageHandler(groups & filters.TEXT & ~filters.COMMAND,
                                           frontend.group_text))
    application.add_handler(MessageHandler(
        filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE, frontend.edited))
    application.add_handler(MessageHandler(
        private & (filters.PHOTO | filters.VOICE | filters.AUDIO | filters.Sticker.ALL
                   | filters.LOCATION | filters.Document.ALL), frontend.other))

