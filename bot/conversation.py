"""The conversation service: every channel hands a message here and sends back what it returns.

An incoming message is stored before it is handled (so a crash loses nothing) and a channel's
message id is processed once; the person is found or registered; the NLU parses; the flow
runner answers; replies and notifications waiting for this chat go back to the channel.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from flows.runner import Context, FlowRunner, Reply
from nlu.intents import INTENTS
from nlu.language import SUPPORTED, UNDETERMINED
from store.database import transaction
from store.models import (
    ChatIdentity,
    Community,
    ConversationState,
    Direction,
    Person,
    PersonRole,
    Role,
    TranscriptMessage,
)
from store.outbox import buttons_of, mark_sent, pending_for

log = logging.getLogger(__name__)
MAX_TEXT = 10_000


_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)
_COMMAND = re.compile(r"^/(?P<intent>[a-z_]+)(?:\s+(?P<ticket>[A-Za-z]{2}-?\d{8}-?\d{4}))?"
                      r"(?:\s+(?P<note>.+))?$", re.DOTALL)
#: Work commands for grid members and staff, typed or sent by buttons: /resolve BX-… note
COMMANDS = frozenset({"queue", "accept", "progress", "resolve", "note", "escalate", "rate"})


def button_payload(text: str, language: str) -> dict[str, Any] | None:
    """Rasa's button payload ``/intent{"entity": "value"}`` or a work command
    ``/resolve BX-20261121-0042 replaced the pipe`` as a parse; None for anything else."""
    stripped = text.strip()
    match = _PAYLOAD.match(stripped)
    values: Any
    if match is not None and match.group("intent") in {*INTENTS, *COMMANDS}:
        try:
            values = json.loads(match.group("entities") or "{}")
        except json.JSONDecodeError:
            return None
    elif (command := _COMMAND.match(stripped)) and command.group("intent") in COMMANDS:
        match = command
        values = {k: v for k, v in (("ticket_id", command.group("ticket")),
                                    ("note", command.group("note"))) if v}
        if "ticket_id" in values:
            digits = re.sub(r"\D", "", values["ticket_id"])
            values["ticket_id"] = f"{values['ticket_id'][:2].upper()}-{digits[:8]}-{digits[8:]}"
    else:
        return None
    if not isinstance(values, dict):
        return None
    entities = [{"entity": str(k), "value": str(v), "extractor": "payload"}
                for k, v in values.items() if isinstance(v, str | int)]
    intent = {"name": match.group("intent"), "confidence": 1.0}
    chosen = values.get("language")
    return {"text": text, "language": chosen if chosen in SUPPORTED else language,
            "intent": intent, "entities": entities, "intent_ranking": [intent]}


class Parser(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a channel."""

    channel: str
    chat_id: str
    sender: str
    text: str
    message_id: str | None = None
    display_name: str | None = None


class ConversationService:
    def __init__(self, sessions: sessionmaker[Session], nlu: Parser, runner: FlowRunner,
                 clock: Callable[[], dt.datetime]) -> None:
        self.sessions = sessions
        self.nlu = nlu
        self.runner = runner
        self.clock = clock

    async def handle(self, incoming: Incoming) -> list[dict[str, Any]]:
        """Answer one message; the replies are plain dicts ``{"text", "buttons"?}``."""
        now = self.clock()
        # PostgreSQL text cannot hold NUL; keep a visible mark of it rather than fail the turn
        text = (incoming.text or "").replace("\x00", "\ufffd")[:MAX_TEXT]
        stored = self._store_incoming(incoming, text, now)
        if stored is None:  # this channel message was handled before: answer the same again
            return self._previous_replies(incoming)
        inbound_id, person_id = stored
        try:
            replies = await self._answer(incoming, text, inbound_id, person_id, now)
        except Exception:
            log.exception("turn failed for %s:%s", incoming.channel, incoming.chat_id)
            language = self._language_of(person_id)
            replies = [self.runner.say("utter_internal_error", {"language": language})]
        return self._finish(incoming, inbound_id, person_id, replies, now)

    def _store_incoming(self, incoming: Incoming, text: str,
                        now: dt.datetime) -> tuple[int, int] | None:
        try:
            with transaction(self.sessions) as session:
                person = self._person(session, incoming, now)
                message = TranscriptMessage(
                    channel=incoming.channel, chat_id=incoming.chat_id,
                    external_id=incoming.message_id, person_id=person.id,
                    direction=Direction.IN, text=text, at=now)
                session.add(message)
                session.flush()
                return message.id, person.id
        except IntegrityError:
            return None

    def _person(self, session: Session, incoming: Incoming, now: dt.datetime) -> Person:
        person = session.scalar(select(Person).join(ChatIdentity).where(
            ChatIdentity.channel == incoming.channel, ChatIdentity.external_id == incoming.sender))
        if person is not None:
            return person
        community = session.scalar(select(Community).order_by(Community.id).limit(1))
        if community is None:
            raise RuntimeError("no community is loaded: run `linli demo` or "
                               "`linli community import FILE`")
        person = Person(community_id=community.id, name=incoming.display_name or incoming.sender,
                        created_at=now, roles=[PersonRole(role=Role.RESIDENT)])
        session.add(person)
        session.flush()
        session.add(ChatIdentity(person_id=person.id, channel=incoming.channel,
                                 external_id=incoming.sender))
        return person

    def _language_of(self, person_id: int) -> str:
        with self.sessions() as session:
            person = session.get(Person, person_id)
            community = session.get(Community, person.community_id) if person else None
            return (person.language if person and person.language else
                    community.default_language if community else "zh")

    async def _answer(self, incoming: Incoming, text: str, inbound_id: int, person_id: int,
                      now: dt.datetime) -> list[Reply]:
        saved_language = self._language_of(person_id)
        if not text.strip():
            return [self.runner.say("utter_empty", {"language": saved_language})]
        parse = button_payload(text, saved_language) or self.nlu.parse(text)
        parse["message_id"] = incoming.message_id or str(inbound_id)
        language = parse["language"]
        with transaction(self.sessions) as session:
            message = session.get(TranscriptMessage, inbound_id)
            if message is not None:
                message.parse, message.language = parse, language
            person = session.get(Person, person_id)
            if person is not None and language in SUPPORTED and person.language is None:
                person.language = language
        if language not in SUPPORTED and language != UNDETERMINED:
            return await self._unsupported(incoming, person_id, parse, now)
        reply_language = language if language in SUPPORTED else saved_language
        return await self._run_flow(incoming, person_id, parse, reply_language, now)

    async def _unsupported(self, incoming: Incoming, person_id: int, parse: dict[str, Any],
                           now: dt.datetime) -> list[Reply]:
        handoff = dict(parse, intent={"name": "request_human", "confidence": 1.0})
        context = Context(self._sender_key(incoming), person_id, "zh", handoff, now)
        await self.runner.run_action("action_request_human", {"language": "zh",
                                      "person_id": person_id, "handoff_quiet": True},
                                      context, [])
        return [self.runner.say("utter_unsupported_language", {"language": "zh"})]

    async def _run_flow(self, incoming: Incoming, person_id: int, parse: dict[str, Any],
                        language: str, now: dt.datetime) -> list[Reply]:
        key = self._sender_key(incoming)
        with transaction(self.sessions) as session:
            row = session.scalar(select(ConversationState).where(
                ConversationState.channel == incoming.channel,
                ConversationState.chat_id == incoming.chat_id,
                ConversationState.person_key == incoming.sender))
            state = dict(row.state) if row else {}
        replies = await self.runner.handle(state, Context(key, person_id, language, parse, now))
        with transaction(self.sessions) as session:
            row = session.scalar(select(ConversationState).where(
                ConversationState.channel == incoming.channel,
                ConversationState.chat_id == incoming.chat_id,
                ConversationState.person_key == incoming.sender))
            if row is None:
                session.add(ConversationState(channel=incoming.channel, chat_id=incoming.chat_id,
                                              person_key=incoming.sender, state=state,
                                              updated_at=now))
            else:
                row.state = state
                row.updated_at = now
        return replies

    @staticmethod
    def _sender_key(incoming: Incoming) -> str:
        return f"{incoming.channel}:{incoming.chat_id}:{incoming.sender}"

    def _finish(self, incoming: Incoming, inbound_id: int, person_id: int,
                replies: list[Reply], now: dt.datetime) -> list[dict[str, Any]]:
        out = [r.as_dict() for r in replies]
        with transaction(self.sessions) as session:
            for reply in out:
                session.add(TranscriptMessage(
                    channel=incoming.channel, chat_id=incoming.chat_id, person_id=person_id,
                    direction=Direction.OUT, text=reply["text"], reply_to_id=inbound_id, at=now,
                    parse={"buttons": reply["buttons"]} if "buttons" in reply else None))
            message = session.get(TranscriptMessage, inbound_id)
            if message is not None:
                message.answered = True
            out.extend(self._mailbox(session, incoming, now))
        return out

    @staticmethod
    def _mailbox(session: Session, incoming: Incoming, now: dt.datetime) -> list[dict[str, Any]]:
        """Notifications waiting for this chat, on channels that deliver when the user writes."""
        delivered = []
        for message in pending_for(session, incoming.channel, incoming.chat_id):
            buttons = buttons_of(message)
            delivered.append({"text": message.text, **({"buttons": buttons} if buttons else {})})
            mark_sent(message, now)
        return delivered

    def _previous_replies(self, incoming: Incoming) -> list[dict[str, Any]]:
        with self.sessions() as session:
            inbound = session.scalar(select(TranscriptMessage.id).where(
                TranscriptMessage.channel == incoming.channel,
                TranscriptMessage.external_id == incoming.message_id))
            rows = session.scalars(select(TranscriptMessage).where(
                TranscriptMessage.reply_to_id == inbound).order_by(TranscriptMessage.id)).all()
            return [{"text": r.text, **({"buttons": r.parse["buttons"]}
                                        if r.parse and "buttons" in r.parse else {})}
                    for r in rows]
