"""The conversation service: every channel hands a message here and sends back what it returns.

An incoming message is stored before it is handled (so a crash loses nothing) and a channel's
message id is processed once; the person is found or registered; the NLU parses; the flow
runner answers; replies and notifications waiting for this chat go back to the channel.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    ARRAY,
    Insert,
    Integer,
    Select,
    String,
    Table,
    Text,
    Update,
    bindparam,
    cast,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from bot.choices import OutOfRange, choose, remember
from bot.edge import clean_text
from flows.runner import Context, FlowRunner, Position, Reply
from nlu.intents import INTENTS
from nlu.language import SUPPORTED, UNDETERMINED, says_no_language
from nlu.text import clean
from store.community import home, nearest_building
from store.database import adopt, one_statement_engine, transaction, unit_of_work, untouched
from store.handoffs import open_handoff_id
from store.media import PREFIX as MEDIA_PREFIX
from store.models import (
    ChatIdentity,
    Community,
    ConversationState,
    Direction,
    Handoff,
    Person,
    PersonRole,
    Role,
    TranscriptMessage,
)
from store.notices import register_group
from store.outbox import (
    PUSH_CHANNELS,
    buttons_of,
    enqueue_chat,
    late_key,
    mail_waiting,
    mark_sent,
    pending_for,
    photo_of,
    queued_unflushed,
    settle_late,
)
from store.people import placeholder_name

if TYPE_CHECKING:
    from bot.spool import Spool
    from bot.turns import TurnPool

log = logging.getLogger(__name__)
MAX_TEXT = 10_000
#: How long a turn may run before another worker takes its message for orphaned (its process
#: died mid-turn) and answers it: far longer than any turn, short enough for a resident.
CLAIM_LEASE = dt.timedelta(seconds=30)
#: How often a retry looks whether the turn another worker runs for its message has ended.
_RETRY_POLL = 0.25
#: Orphaned messages answered per sweep.
_SWEEP_BATCH = 100
#: The message id of a spooled message that came without one: its spool id.
SPOOLED_PREFIX = "spool:"


def wall_clock() -> dt.datetime:
    """Real time, for claims between processes (the service's clock may be simulated)."""
    return dt.datetime.now(dt.UTC)


_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)
_COMMAND = re.compile(r"^/(?P<intent>[a-z_]+)(?:\s+(?P<ticket>[A-Za-z]{2}-?\d{8}-?\d{4}))?"
                      r"(?:\s+(?P<note>.+))?$", re.DOTALL)
#: Staff to a resident in a handoff: /reply 15 text, /end 15
_REPLY = re.compile(r"^/(?P<intent>reply|end)\s+(?P<person>\d+)(?:\s+(?P<note>.+))?$", re.DOTALL)
#: Work commands for grid members and staff, typed or sent by buttons: /resolve BX-… note
COMMANDS = frozenset({"queue", "accept", "progress", "resolve", "note", "escalate", "rate",
                      "reply", "end", "broadcast", "notices", "notice_confirm", "notice_cancel",
                      "claim_confirm", "claim_refuse", "poll_vote", "support",
                      "choose"})  # choose: a button answering the question being asked


def button_payload(text: str, language: str) -> dict[str, Any] | None:
    """Rasa's button payload ``/intent{"entity": "value"}`` or a work command
    ``/resolve BX-20261121-0042 replaced the pipe`` as a parse; None for anything else."""
    stripped = text.strip()
    if stripped.lower() == "/help":  # typed, as on Telegram: the help for one's roles
        stripped = "/bot_help"
    match: re.Match[str] | None = _PAYLOAD.match(stripped)
    values: Any
    if match is not None and match.group("intent") in {*INTENTS, *COMMANDS}:
        try:
            values = json.loads(match.group("entities") or "{}")
        except json.JSONDecodeError:
            return None
    elif reply := _REPLY.match(stripped):
        match = reply
        values = {k: v for k, v in (("person", reply.group("person")),
                                    ("note", reply.group("note"))) if v}
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


def media_url(photo: str | None) -> str | None:
    """Where a web page finds an outbox photo: Linli's own images are served at /media/;
    another channel's file ids mean nothing on the web."""
    return "/media/" + photo.removeprefix(MEDIA_PREFIX) \
        if photo and photo.startswith(MEDIA_PREFIX) else None


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
    attachments: tuple[str, ...] = ()  # channel file ids of photos sent with the message


@dataclass(frozen=True, slots=True)
class _Statements:
    """The statements every turn runs, built once: building SQLAlchemy expressions costs more
    than executing these small statements on SQLite. They are Core statements on the tables,
    run on the session's connection: the ORM's bookkeeping for entities and bulk updates
    (identity map, synchronising the session) cost more than the statements themselves."""

    # person id, language, community's default language, open handoff, conversation state
    person: Select[Any]
    # PostgreSQL: the same, and the message stored for a known sender (its id last), at once
    person_and_inbound: Select[Any]
    # PostgreSQL: a turn's end in one statement, if nothing waits in the chat's outbox: the
    # message answered (once), the first language, the state, the replies. Gives how many
    # messages it answered (0: another worker had) and whether the mailbox stopped it.
    answer_all: Select[Any]
    state: Select[ConversationState]
    state_only: Select[Any]
    inbound: ReturningInsert[Any]
    replies: Insert
    save_state: Update
    answered: Update
    answered_with_parse: Update
    claim: Update
    first_language: Update


#: What a turn stores of an incoming message, besides who sent it (the person).
_INBOUND_COLUMNS = ("channel", "chat_id", "sender", "external_id", "direction", "text", "at",
                    "answered", "claimed_at", "parse")


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@functools.cache
def _statements() -> _Statements:
    # Parameter names differ from column names, which UPDATE reserves for its SET values.
    states, transcript, people, identities, communities, handoffs = (
        _table(model) for model in (ConversationState, TranscriptMessage, Person, ChatIdentity,
                                    Community, Handoff))
    same_chat = (states.c.channel == bindparam("b_channel"),
                 states.c.chat_id == bindparam("b_chat_id"),
                 states.c.person_key == bindparam("b_key"))
    person = (
        select(people.c.id, people.c.language, communities.c.default_language,
               select(handoffs.c.id).where(handoffs.c.resident_id == people.c.id,
                                           handoffs.c.ended_at.is_(None))
               .limit(1).scalar_subquery(),
               select(states.c.state).where(
                   states.c.channel == bindparam("channel"),
                   states.c.chat_id == bindparam("chat_id"),
                   states.c.person_key == bindparam("sender")).scalar_subquery(),
               *(people.c[name] for name in _PERSON_REST))
        .select_from(identities.join(people, people.c.id == identities.c.person_id)
                     .join(communities, communities.c.id == people.c.community_id))
        .where(identities.c.channel == bindparam("channel"),
               identities.c.external_id == bindparam("sender")))
    sender = person.cte("sender")
    stored = insert(transcript).from_select(
        [*_INBOUND_COLUMNS, "person_id"],
        select(*(bindparam(name, type_=transcript.c[name].type) for name in _INBOUND_COLUMNS),
               sender.c.id)).returning(transcript.c.id).cte("stored")
    inbound = update(transcript).where(transcript.c.id == bindparam("b_id"))
    # Answered once: a turn whose claim lapsed finds it answered by the worker that took over.
    answer = inbound.where(transcript.c.answered.is_(False))
    return _Statements(
        # One round trip for all a turn reads before it runs. The handoff is open_handoff_id's
        # (store/handoffs.py), correlated to the person here.
        person=person,
        # Nothing is stored for an unknown sender: no row, and they are registered first.
        person_and_inbound=select(*sender.c, stored.c.id).select_from(sender.join(stored, true())),
        answer_all=_answer_all(transcript, people, states),
        state=select(ConversationState).where(
            ConversationState.channel == bindparam("b_channel"),
            ConversationState.chat_id == bindparam("b_chat_id"),
            ConversationState.person_key == bindparam("b_key")),
        state_only=select(states.c.state).where(*same_chat),
        inbound=insert(transcript).returning(transcript.c.id),
        replies=insert(transcript),
        save_state=update(states).where(*same_chat).values(
            state=bindparam("b_state"), updated_at=bindparam("b_updated_at")),
        answered=answer.values(answered=True, claimed_at=None),
        answered_with_parse=answer.values(answered=True, claimed_at=None,
                                          parse=bindparam("b_parse"),
                                          language=bindparam("b_language")),
        # Unanswered, and its claim lapsed (or it was stored before claims existed)
        claim=answer.where(or_(transcript.c.claimed_at.is_(None),
                               transcript.c.claimed_at < bindparam("b_stale")))
        .values(claimed_at=bindparam("b_now")),
        first_language=update(people).where(
            people.c.id == bindparam("b_id"), people.c.language.is_(None)).values(
            language=bindparam("b_language")))


def _answer_all(transcript: Table, people: Table, states: Table) -> Select[Any]:
    """PostgreSQL: the statement that ends a turn (see _Statements.answer_all). Every write
    waits on ``answered``, whose own condition is that nothing waits in the outbox."""
    waiting = mail_waiting()
    answered = (update(transcript)
                .where(transcript.c.id == bindparam("b_id"), transcript.c.answered.is_(False),
                       ~waiting)
                .values(answered=True, claimed_at=None, parse=bindparam("b_parse"),
                        language=bindparam("b_language"))
                .returning(transcript.c.id).cte("answered"))
    done = select(answered.c.id).exists()
    first_language = (update(people)
                      .where(people.c.id == bindparam("b_person"), people.c.language.is_(None),
                             bindparam("b_first_language", type_=String).is_not(None), done)
                      .values(language=bindparam("b_first_language"))
                      .returning(people.c.id).cte("first_language"))
    state = pg_insert(states).from_select(
        ["channel", "chat_id", "person_key", "state", "updated_at"],
        select(*(bindparam(name, type_=states.c[column].type) for name, column in (
            ("b_channel", "channel"), ("b_chat_id", "chat_id"), ("b_sender", "person_key"),
            ("b_state", "state"), ("b_at", "updated_at")))).where(done))
    state = state.on_conflict_do_update(
        index_elements=["channel", "chat_id", "person_key"],
        set_={"state": state.excluded.state, "updated_at": state.excluded.updated_at})
    saved = state.returning(states.c.id).cte("saved")
    # The replies in the order given, their ids in that order: the order they are shown in.
    given = func.unnest(bindparam("b_texts", type_=ARRAY(Text)),
                        bindparam("b_parses", type_=ARRAY(Text))).table_valued(
        "text", "parse", with_ordinality="n").render_derived()
    said = insert(transcript).from_select(
        ["channel", "chat_id", "person_id", "direction", "text", "parse", "answered",
         "reply_to_id", "at"],
        select(bindparam("b_channel", type_=String), bindparam("b_chat_id", type_=String),
               bindparam("b_person", type_=Integer),
               literal(Direction.OUT, transcript.c.direction.type), given.c.text,
               cast(given.c.parse, transcript.c.parse.type), false(), bindparam("b_id"),
               bindparam("b_at", type_=transcript.c.at.type))
        .where(done).order_by(given.c.n)).returning(transcript.c.id).cte("said")
    return select(select(func.count()).select_from(answered).scalar_subquery(), waiting) \
        .add_cte(first_language, saved, said)


#: The person's columns the ``person`` statement reads besides its id and language.
_PERSON_REST = ("community_id", "name", "phone", "household_id", "on_duty", "unreachable",
                "created_at")


@dataclass(frozen=True, slots=True)
class _Sender:
    """Who wrote, as a turn needs them: their person, saved language and community's default."""

    person_id: int
    language: str | None
    default_language: str
    #: Read with the person: their conversation state, and whether a handoff is open.
    known: tuple[dict[str, Any] | None, bool] | None = None
    #: Their whole row, for the turn's actions (read in the same round trip).
    row: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: Sequence[Any]) -> _Sender:
        """From a row of the ``person`` statement's columns."""
        return cls(row[0], row[1], row[2] or "zh", known=(row[4], row[3] is not None),
                   row={"id": row[0], "language": row[1],
                        **dict(zip(_PERSON_REST, row[5:5 + len(_PERSON_REST)], strict=True))})


@dataclass(slots=True)
class _Turn:
    """What one turn carries between its two transactions."""

    inbound_id: int
    person_id: int
    language: str  # the reply language: the message's, else the saved one
    state: dict[str, Any] | None
    known_language: bool
    in_handoff: bool = False
    parse: dict[str, Any] | None = None
    keep_choices: bool = False  # a number past the choices: they stay for the next try
    flow: Position | None = None  # where the runner left the conversation, for the console
    person_row: dict[str, Any] | None = None  # the sender's person, as read with the message

    def stored_parse(self, incoming: Incoming) -> dict[str, Any]:
        """The parse as the message keeps it: with its photos, and what the turn did (for the
        console's timeline; None: no flow ran)."""
        assert self.parse is not None
        parse = {**self.parse, "attachments": list(incoming.attachments)} \
            if incoming.attachments else self.parse
        return {**parse, "flow": dict(self.flow) if self.flow is not None else None}

    def first_language(self) -> str | None:
        """The language to save as the person's, when they had none and wrote in one."""
        language = self.parse["language"] if self.parse is not None else None
        return language if not self.known_language and language in SUPPORTED else None


def _reply_parse(reply: dict[str, Any]) -> dict[str, Any] | None:
    """What a reply keeps beside its text: its buttons."""
    return {"buttons": reply["buttons"]} if "buttons" in reply else None


@dataclass(frozen=True, slots=True)
class _Answered:
    """A message answered before: its replies are the answer to the same message again."""

    inbound_id: int


class _AnsweredElsewhereError(Exception):
    """Another worker committed this message's answer first."""


class ConversationService:
    #: Where turns run while serving (bot/turns.py): worker threads, so that a turn's database
    #: work never blocks the event loop of the channels. None: on the caller's loop.
    turns: TurnPool | None = None

    def __init__(self, sessions: sessionmaker[Session], nlu: Parser, runner: FlowRunner,
                 clock: Callable[[], dt.datetime], spool: Spool | None = None,
                 lease: dt.timedelta = CLAIM_LEASE) -> None:
        self.sessions = sessions
        self.nlu = nlu
        self.runner = runner
        self.clock = clock
        self.spool = spool
        self.lease = lease
        self._one_statement_for: tuple[sessionmaker[Session], Engine | None] | None = None

    @property
    def _one_statement(self) -> Engine | None:
        """The engine for work done in one statement (PostgreSQL), else None; follows
        ``sessions`` should it be replaced."""
        if self._one_statement_for is None or self._one_statement_for[0] is not self.sessions:
            self._one_statement_for = (self.sessions, one_statement_engine(self.sessions))
        return self._one_statement_for[1]

    async def handle(self, incoming: Incoming) -> list[dict[str, Any]]:
        """Answer one message; the replies are plain dicts ``{"text", "buttons"?}``."""
        while True:
            if self.turns is not None and not self.turns.inside():  # a chat's turns in order
                replies = await self.turns.run((incoming.channel, incoming.chat_id),
                                               lambda: self._handle(incoming))
            else:
                replies = await self._handle(incoming)
            if replies is not None:
                return replies
            # Another worker is answering this very message (the client retried early): its
            # answer is this answer. If that worker died, the claim lapses and this one
            # answers. Waited for here, holding no turn thread.
            await asyncio.sleep(_RETRY_POLL)

    async def _handle(self, incoming: Incoming) -> list[dict[str, Any]] | None:
        """One try at answering: None while another worker answers this message."""
        now = self.clock()
        text = clean_text(incoming.text or "")
        try:
            begun = self._begin(incoming, text, now)
        except OperationalError:
            if self.spool is None:
                raise
            return self._keep_for_later(incoming, text)
        if begun is None:
            return None
        if not isinstance(begun, _Turn):  # this channel message was answered before
            return self._previous_replies(begun.inbound_id, deliver=True)
        try:
            return await self._run(incoming, text, begun, now, late=False)
        except OperationalError:
            if self.spool is None:
                raise
            # Down mid-turn: the message is stored and claimed, so once the claim lapses the
            # sweep answers it through the outbox.
            log.warning("database unavailable mid-turn: %s:%s waits for the sweep",
                        incoming.channel, incoming.chat_id)
            return self._saved_for_later(text)

    async def _run(self, incoming: Incoming, text: str, turn: _Turn, now: dt.datetime,
                   late: bool) -> list[dict[str, Any]]:
        """The turn itself, once the message is stored and claimed: its actions and its
        answer in one unit of work (on PostgreSQL one transaction: what the actions did is
        committed with the answer, or not at all)."""
        try:
            with unit_of_work(self.sessions):
                if turn.person_row is not None:
                    adopt(self.sessions, Person(**turn.person_row))
                try:
                    replies = await self._answer(incoming, text, turn, now)
                except Exception as error:
                    if isinstance(error, OperationalError) and self.spool is not None:
                        raise  # the database went away: _handle says the message waits
                    log.exception("turn failed for %s:%s", incoming.channel, incoming.chat_id)
                    turn.state = None  # keep the conversation where it was
                    replies = [self.runner.say("utter_internal_error",
                                               {"language": turn.language})]
                return self._finish(incoming, turn, replies, now, late)
        except _AnsweredElsewhereError:  # our claim had lapsed and another worker answered
            return [] if late else self._previous_replies(turn.inbound_id, deliver=True)

    async def _answer_late(self, incoming: Incoming, inbound_id: int | None = None) -> bool:
        """Answer a message whose sender is no longer waiting (spooled, or its turn died with
        its process): the turn's replies go to the outbox for the chat. False if it was
        answered already or another worker answers it now."""
        if self.turns is not None and not self.turns.inside():  # after the chat's live turns
            return await self.turns.run((incoming.channel, incoming.chat_id),
                                        lambda: self._answer_late(incoming, inbound_id))
        now = self.clock()
        text = clean_text(incoming.text or "")
        if inbound_id is None:
            begun = self._begin(incoming, text, now)
        else:
            with transaction(self.sessions) as session:
                begun = self._resume(session, incoming, inbound_id)
        if not isinstance(begun, _Turn):
            return False
        await self._run(incoming, text, begun, now, late=True)
        return True

    def _keep_for_later(self, incoming: Incoming, text: str) -> list[dict[str, Any]]:
        """The database is unreachable: spool the message and say it will be answered."""
        assert self.spool is not None
        self.spool.append(dataclasses.replace(incoming, text=text))
        log.warning("database unavailable: spooled %s:%s", incoming.channel, incoming.chat_id)
        return self._saved_for_later(text)

    def _saved_for_later(self, text: str) -> list[dict[str, Any]]:
        """The reply to a message kept for later: it will be answered."""
        language = self.nlu.parse(text)["language"] if text.strip() else "und"
        reply = self.runner.say("utter_saved_for_later",
                                {"language": language if language in SUPPORTED else "zh"})
        return [reply.as_dict()]

    async def replay_spooled(self) -> int:
        """Answer the messages kept while the database was down; the answers wait in the
        outbox for each chat. Returns how many were answered now. An entry leaves the spool
        once its turn is committed; replaying it again (after a crash) answers nothing twice,
        as its client's message id, else its spool id, is its message id."""
        if self.spool is None:
            return 0
        if self.turns is not None and not self.turns.inside():  # off the serving loop
            return await self.turns.run(("spool",), self.replay_spooled)
        answered = 0
        with self.spool.replaying() as mine:
            if not mine:  # another worker replays this spool now
                return 0
            done: list[str] = []
            try:
                for entry in self.spool.take():
                    incoming = entry.incoming
                    if incoming.message_id is None:
                        incoming = dataclasses.replace(
                            incoming, message_id=f"{SPOOLED_PREFIX}{entry.spool_id}")
                    try:
                        answered += await self._answer_late(incoming)
                    except OperationalError:
                        break  # down again: the rest stay spooled
                    except Exception:  # kept for the next replay, and blocking no other
                        log.exception("spooled message %s failed; it stays spooled",
                                      entry.spool_id)
                        continue
                    # False too is done: answered before, or stored and being answered by
                    # another worker (and by the sweep should that worker die)
                    done.append(entry.spool_id)
            finally:
                self.spool.ack(done)
        return answered

    async def answer_orphans(self) -> int:
        """The start-up sweep: messages stored but never answered, whose turn died with its
        process (killed mid-turn), are answered now, the replies through the outbox. A turn
        in progress elsewhere is left alone: only claims older than the lease are taken.
        Returns how many were answered."""
        stale = wall_clock() - self.lease
        answered = 0
        try:
            with self.sessions() as session:
                orphans = session.execute(select(
                    TranscriptMessage.id, TranscriptMessage.channel, TranscriptMessage.chat_id,
                    TranscriptMessage.sender, TranscriptMessage.text,
                    TranscriptMessage.external_id, TranscriptMessage.parse)
                    .where(TranscriptMessage.claimed_at < stale)
                    .order_by(TranscriptMessage.id).limit(_SWEEP_BATCH)).all()
            for row in orphans:
                if row.sender is None:
                    continue
                attachments = tuple(str(a) for a in (row.parse or {}).get("attachments") or ())
                answered += await self._answer_late(
                    Incoming(row.channel, row.chat_id, row.sender, row.text,
                             message_id=row.external_id, attachments=attachments), row.id)
        except OperationalError:  # the database is down: the next sweep answers them
            log.warning("database unavailable: orphaned messages wait for the next sweep")
        return answered

    def _begin(self, incoming: Incoming, text: str,
               now: dt.datetime) -> _Turn | _Answered | None:
        """Store the message before anything else and claim it; load who sent it and where
        they were. A message id seen before is that message's: its answer if it was answered,
        None while another worker answers it, or the turn if that worker died."""
        for attempt in range(3):
            stored = {"channel": incoming.channel, "chat_id": incoming.chat_id,
                      "sender": incoming.sender, "external_id": incoming.message_id,
                      "direction": Direction.IN, "text": text, "at": now, "answered": False,
                      "claimed_at": wall_clock(),
                      "parse": {"attachments": list(incoming.attachments)}
                      if incoming.attachments else None}
            try:
                if self._one_statement is not None:  # a known sender: one round trip
                    with self._one_statement.connect() as connection:
                        row = connection.execute(_statements().person_and_inbound,
                                                 stored).first()
                    if row is not None:
                        return self._turn(None, incoming, row[-1], _Sender.of(row))
                with transaction(self.sessions) as session:
                    person = self._person(session, incoming, now)
                    # Read before the insert: on SQLite the write lock, which other workers
                    # wait for, is then held for the insert and the commit alone.
                    turn = self._turn(session, incoming, 0, person)
                    turn.inbound_id = session.connection().execute(
                        _statements().inbound,
                        {**stored, "person_id": person.person_id}).scalar_one()
                    return turn
            except IntegrityError:
                # The same message id again, or a first message of a new sender racing
                # another one of theirs (both registering them): look, then try again.
                if incoming.message_id is not None:
                    with transaction(self.sessions) as session:
                        inbound_id = session.scalar(select(TranscriptMessage.id).where(
                            TranscriptMessage.channel == incoming.channel,
                            TranscriptMessage.sender == incoming.sender,
                            TranscriptMessage.chat_id == incoming.chat_id,
                            TranscriptMessage.external_id == incoming.message_id))
                        if inbound_id is not None:
                            return self._resume(session, incoming, inbound_id)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _resume(self, session: Session, incoming: Incoming,
                inbound_id: int) -> _Turn | _Answered | None:
        """A stored message: answered, being answered (None), or claimed now for a turn."""
        claimed = session.connection().execute(_statements().claim, {
            "b_id": inbound_id, "b_now": wall_clock(),
            "b_stale": wall_clock() - self.lease}).rowcount
        if not claimed:
            answered = session.scalar(select(TranscriptMessage.answered).where(
                TranscriptMessage.id == inbound_id))
            return _Answered(inbound_id) if answered else None
        return self._turn(session, incoming, inbound_id,
                          self._person(session, incoming, self.clock()))

    def _turn(self, session: Session | None, incoming: Incoming, inbound_id: int,
              person: _Sender) -> _Turn:
        if person.known is not None:
            state, in_handoff = person.known
        else:
            assert session is not None, "a sender read without their state needs a session"
            state = session.connection().execute(_statements().state_only, {
                "b_channel": incoming.channel, "b_chat_id": incoming.chat_id,
                "b_key": incoming.sender}).scalar()
            in_handoff = open_handoff_id(session, person.person_id) is not None
        return _Turn(inbound_id, person.person_id, person.language or person.default_language,
                     dict(state) if state else {}, known_language=person.language is not None,
                     in_handoff=in_handoff, person_row=person.row)

    def _state_of(self, session: Session, incoming: Incoming) -> ConversationState | None:
        return session.scalar(_statements().state, {
            "b_channel": incoming.channel, "b_chat_id": incoming.chat_id,
            "b_key": incoming.sender})

    def _person(self, session: Session, incoming: Incoming, now: dt.datetime) -> _Sender:
        found = session.connection().execute(_statements().person, {
            "channel": incoming.channel, "chat_id": incoming.chat_id,
            "sender": incoming.sender}).first()
        if found is not None:
            return _Sender.of(found)
        community = home(session)
        if community is None:
            raise RuntimeError("no community is loaded: run `linli demo` or "
                               "`linli community import FILE`")
        person = Person(community_id=community.id, name=incoming.display_name or "",
                        created_at=now, roles=[PersonRole(role=Role.RESIDENT)])
        session.add(person)
        session.flush()
        if not person.name.strip():  # a sender id means nothing to whoever reads the name
            person.name = placeholder_name(person.id)
        session.add(ChatIdentity(person_id=person.id, channel=incoming.channel,
                                 external_id=incoming.sender))
        return _Sender(person.id, None, community.default_language or "zh")

    async def _answer(self, incoming: Incoming, text: str, turn: _Turn,
                      now: dt.datetime) -> list[Reply]:
        assert turn.state is not None
        slots = turn.state.setdefault("slots", {})
        slots["channel"] = incoming.channel
        # The language the conversation is in: the one the resident last wrote in, else their
        # saved one; None before they wrote in either.
        spoken = turn.state.get("spoken") or (turn.language if turn.known_language else None)
        turn.language = spoken or turn.language
        if incoming.attachments:
            slots["attachments"] = [*(slots.get("attachments") or []), *incoming.attachments]
            if not text.strip():
                return await self._photo_only(incoming, turn, now)
        if not text.strip():
            return [self.runner.say("utter_empty", {"language": turn.language})]
        chosen = choose(turn.state, text, now)  # "2", "第二个": a button just shown
        if isinstance(chosen, OutOfRange):
            turn.keep_choices = True
            return [self.runner.say("utter_choice_out_of_range" if chosen.count > 1 else
                                    "utter_choice_only_one",
                                    {"language": turn.language, "count": str(chosen.count)})]
        understood = chosen or text
        parse = button_payload(understood, turn.language) or self.nlu.parse(understood)
        parse["message_id"] = incoming.message_id or str(turn.inbound_id)
        # The stored message behind this turn: an action that a crash cut short finds, when
        # the turn runs again, what it already did for this very message.
        parse["inbound_id"] = turn.inbound_id
        turn.parse = parse
        language = parse["language"]
        if language not in SUPPORTED and language != UNDETERMINED:
            # handed to a person; a request in Chinese or English next is Linli's again
            turn.state.setdefault("slots", {})["foreign_handoff"] = True
            return await self._unsupported(incoming, turn.person_id, parse, now)
        # An "ok" or "？？？" goes on in the language the conversation is in, if it is in one.
        if language in SUPPORTED and not (spoken and says_no_language(clean(understood).text)):
            turn.language = language
            asked = self.runner.waiting_step(turn.state.get("stack") or [])
            if asked is None or not asked.from_text:  # a notice's English text is no switch
                turn.state["spoken"] = language
        context = Context(self._sender_key(incoming), turn.person_id, turn.language, parse, now,
                          in_handoff=turn.in_handoff)
        assert turn.state is not None
        replies = await self.runner.handle(turn.state, context)
        turn.flow = self.runner.position(turn.state)
        return replies

    async def _photo_only(self, incoming: Incoming, turn: _Turn,
                          now: dt.datetime) -> list[Reply]:
        assert turn.state is not None
        slots = turn.state["slots"]
        slots.update(language=turn.language, person_id=turn.person_id)
        parse = {"text": "", "intent": {"name": "report_repair", "confidence": 0.0},
                 "entities": [], "language": turn.language}
        replies: list[Reply] = []
        context = Context(self._sender_key(incoming), turn.person_id, turn.language, parse, now)
        await self.runner.run_action("action_attach_photo", slots, context, replies)
        return replies

    async def _unsupported(self, incoming: Incoming, person_id: int, parse: dict[str, Any],
                           now: dt.datetime) -> list[Reply]:
        handoff = dict(parse, intent={"name": "request_human", "confidence": 1.0})
        context = Context(self._sender_key(incoming), person_id, "zh", handoff, now)
        await self.runner.run_action("action_request_human", {"language": "zh",
                                      "person_id": person_id, "handoff_quiet": True},
                                      context, [])
        return [self.runner.say("utter_unsupported_language", {"language": "zh"})]

    @staticmethod
    def _sender_key(incoming: Incoming) -> str:
        return f"{incoming.channel}:{incoming.chat_id}:{incoming.sender}"

    def _finish(self, incoming: Incoming, turn: _Turn, replies: list[Reply],
                now: dt.datetime, late: bool) -> list[dict[str, Any]]:
        """One transaction: the parse, the new state (with the choices just shown), the replies,
        and the chat's mailbox; or, ``late``, the replies queued in the outbox for the chat
        (nothing else that waits there: that is delivered as usual)."""
        out = [r.as_dict() for r in replies]
        # The turn's unit of work: its last part, so an error here undoes the whole turn.
        with transaction(self.sessions, savepoint=False) as session:
            if self._answered_at_once(session, incoming, turn, out, now, late):
                return out
            statements = _statements()
            connection = session.connection()
            waiting = [] if late else self._mailbox(session, incoming, now)
            if turn.state is not None and not turn.keep_choices:
                # with what the mailbox delivers: "5" next answers a poll that came with it
                remember(turn.state, [*out, *waiting], now)
            if turn.parse is not None:
                answered = connection.execute(statements.answered_with_parse, {
                    "b_id": turn.inbound_id, "b_parse": turn.stored_parse(incoming),
                    "b_language": turn.parse["language"]})
            else:
                answered = connection.execute(statements.answered, {"b_id": turn.inbound_id})
            if not answered.rowcount:
                raise _AnsweredElsewhereError
            if (first_language := turn.first_language()) is not None:
                connection.execute(statements.first_language, {
                    "b_id": turn.person_id, "b_language": first_language})
            if turn.state is not None and not connection.execute(statements.save_state, {
                    "b_channel": incoming.channel, "b_chat_id": incoming.chat_id,
                    "b_key": incoming.sender, "b_state": turn.state,
                    "b_updated_at": now}).rowcount:
                session.add(ConversationState(
                    channel=incoming.channel, chat_id=incoming.chat_id,
                    person_key=incoming.sender, state=turn.state, updated_at=now))
            if out:  # one multi-row INSERT for the replies
                connection.execute(statements.replies, [
                    {"channel": incoming.channel, "chat_id": incoming.chat_id,
                     "person_id": turn.person_id, "direction": Direction.OUT,
                     "text": reply["text"], "reply_to_id": turn.inbound_id, "at": now,
                     "answered": False, "parse": _reply_parse(reply)}
                    for reply in out])
            if late:
                self._queue_late(session, incoming, turn, out, now)
        return [*out, *waiting]

    def _answered_at_once(self, session: Session, incoming: Incoming, turn: _Turn,
                          replies: list[dict[str, Any]], now: dt.datetime, late: bool) -> bool:
        """The end of an ordinary turn in one statement (PostgreSQL); False when it is not
        one (the slow way then does the same in parts): late, no parse or state, or mail
        waiting for the chat, which then goes with the replies."""
        if self._one_statement is None or late or turn.parse is None or turn.state is None \
                or queued_unflushed(session):
            return False
        if not turn.keep_choices:
            remember(turn.state, replies, now)
        values = {
            "b_id": turn.inbound_id, "b_parse": turn.stored_parse(incoming),
            "b_language": turn.parse["language"], "b_person": turn.person_id,
            "b_first_language": turn.first_language(),
            "b_channel": incoming.channel, "b_chat_id": incoming.chat_id,
            "b_sender": incoming.sender, "b_state": turn.state, "b_at": now,
            "b_texts": [reply["text"] for reply in replies],
            "b_parses": [json.dumps(parse) if (parse := _reply_parse(reply)) is not None
                         else None for reply in replies]}
        if untouched(session):  # nothing to commit with it: autocommit, one round trip
            with self._one_statement.connect() as connection:
                answered, mail = connection.execute(_statements().answer_all, values).one()
        else:
            answered, mail = session.connection().execute(_statements().answer_all,
                                                          values).one()
        if not answered and not mail:
            raise _AnsweredElsewhereError
        return bool(answered)

    @staticmethod
    def _queue_late(session: Session, incoming: Incoming, turn: _Turn,
                    replies: list[dict[str, Any]], now: dt.datetime) -> None:
        """A turn's replies for a sender no longer waiting: to the chat they wrote from, as
        answers to their own message are (urgent: quiet hours do not hold them)."""
        person = session.get(Person, turn.person_id)
        for index, reply in enumerate(replies):
            enqueue_chat(session, channel=incoming.channel, chat_id=incoming.chat_id,
                         person=person, text=reply["text"],
                         key=late_key(turn.inbound_id, index), now=now,
                         buttons=reply.get("buttons"), urgent=True)

    @staticmethod
    def _mailbox(session: Session, incoming: Incoming, now: dt.datetime) -> list[dict[str, Any]]:
        """Notifications waiting for this chat, on channels that deliver when the user writes."""
        delivered = []
        for message in pending_for(session, incoming.channel, incoming.chat_id):
            if photo_of(message) and incoming.channel in PUSH_CHANNELS:
                continue  # a picture or file (a data export) only the delivery worker sends
            buttons, image = buttons_of(message), media_url(photo_of(message))
            delivered.append({"text": message.text, **({"buttons": buttons} if buttons else {}),
                              **({"image": image} if image else {})})
            mark_sent(message, now)
        return delivered

    def knows(self, channel: str, sender: str) -> bool:
        """Whether ``sender`` is someone Linli has met on ``channel``. Unreachable database:
        False, so the message counts as a newcomer's (and is then spooled as usual)."""
        try:
            with self.sessions() as session:
                return session.scalar(select(ChatIdentity.id).where(
                    ChatIdentity.channel == channel,
                    ChatIdentity.external_id == sender)) is not None
        except OperationalError:
            return False

    def waiting_for(self, channel: str, chat_id: str, sender: str) -> str | None:
        """The slot the conversation is asking this person for, if any."""
        with self.sessions() as session:
            row = self._state_of(session, Incoming(channel, chat_id, sender, ""))
            step = self.runner.waiting_step(list((row.state if row else {}).get("stack", [])))
            return step.name if step is not None else None

    def building_near(self, channel: str, sender: str, latitude: float,
                      longitude: float) -> str | None:
        """The number of the community building at a shared location, if any."""
        with self.sessions() as session:
            community_id = session.scalar(select(Person.community_id).join(ChatIdentity).where(
                ChatIdentity.channel == channel, ChatIdentity.external_id == sender))
            if community_id is None and (community := home(session)) is not None:
                community_id = community.id
            if community_id is None:
                return None
            building = nearest_building(session, community_id, latitude, longitude)
            return building.number if building is not None else None

    def register_group(self, channel: str, chat_id: str, title: str) -> None:
        """A group the bot is in, so that notices to "the community groups" reach it."""
        with transaction(self.sessions) as session:
            community = home(session)
            if community is not None:
                register_group(session, community.id, channel, chat_id, title, self.clock())

    def remember_group_message(self, chat_id: str, sender: str, text: str,
                               message_id: str) -> int:
        """Keep a group message that will be continued privately; returns its reference."""
        with transaction(self.sessions) as session:
            message = TranscriptMessage(channel="telegram-group", chat_id=chat_id,
                                        sender=sender, external_id=message_id,
                                        direction=Direction.IN, text=clean_text(text),
                                        at=self.clock())
            session.add(message)
            session.flush()
            return message.id

    def original_text(self, reference: int, sender: str) -> str | None:
        """The group message behind a deep link, only for the person who wrote it."""
        with self.sessions() as session:
            message = session.get(TranscriptMessage, reference)
            if message is None or message.channel != "telegram-group" or \
                    message.sender != sender:
                return None
            return message.text

    def _previous_replies(self, inbound_id: int, deliver: bool) -> list[dict[str, Any]]:
        """The replies a message got; ``deliver``: they go back to its sender now, so those
        still waiting in the outbox (it was answered late) are not sent again."""
        with transaction(self.sessions) as session:
            rows = session.scalars(select(TranscriptMessage).where(
                TranscriptMessage.reply_to_id == inbound_id)
                .order_by(TranscriptMessage.id)).all()
            if deliver:
                settle_late(session, inbound_id, len(rows), self.clock())
            return [{"text": r.text, **({"buttons": r.parse["buttons"]}
                                        if r.parse and "buttons" in r.parse else {})}
                    for r in rows]
