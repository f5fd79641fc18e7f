"""The database schema as typed SQLAlchemy models. Nothing is ever deleted: rows change state."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Moments stored in UTC and read back timezone-aware on every database: SQLite keeps no
    offset, so without this a +08:00 moment and a UTC one would compare by wall time."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None,
                           dialect: Dialect) -> dt.datetime | None:
        if value is None or value.tzinfo is None:
            return value  # naive values are taken to be UTC already
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None,
                             dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    # Named constraints let Alembic alter them on SQLite and drop them in any order.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s"})
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UtcDateTime(),
                                                     dict[str, Any]: JSON}


class Role(enum.StrEnum):
    RESIDENT = "resident"
    GRID_MEMBER = "grid_member"
    SUPERVISOR = "supervisor"
    STREET_CONTACT = "street_contact"
    STAFF = "staff"
    OPERATOR = "operator"
    ADMIN = "admin"


class TicketKind(enum.StrEnum):
    REPAIR = "repair"
    COMPLAINT = "complaint"
    EMERGENCY = "emergency"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"
    REOPENED = "reopened"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after retries, or the recipient is unreachable


def _enum(kind: type[enum.StrEnum]) -> Enum:
    # Stored as plain strings (no database enum type) so adding a value needs no migration.
    return Enum(kind, native_enum=False, length=20,
                values_callable=lambda members: [m.value for m in members])


class Community(Base):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Shanghai")
    default_language: Mapped[str] = mapped_column(String(8), default="zh")

    grids: Mapped[list[Grid]] = relationship(back_populates="community")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str | None] = mapped_column(String(8))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    on_duty: Mapped[bool] = mapped_column(default=False)
    unreachable: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[PersonRole]] = relationship(cascade="all, delete-orphan")
    identities: Mapped[list[ChatIdentity]] = relationship(back_populates="person")
    household: Mapped[Household | None] = relationship()

    def has_role(self, role: Role) -> bool:
        return any(r.role == role for r in self.roles)


class PersonRole(Base):
    __tablename__ = "person_role"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(_enum(Role), primary_key=True)


class ChatIdentity(Base):
    """Who a person is on a channel: a Telegram user id, a REST sender id, a shell login."""

    __tablename__ = "chat_identity"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))

    person: Mapped[Person] = relationship(back_populates="identities")


class Grid(Base):
    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    # person → household → building → grid → person is a cycle: these keys are added last.
    grid_member_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", use_alter=True))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", use_alter=True))

    community: Mapped[Community] = relationship(back_populates="grids")
    buildings: Mapped[list[Building]] = relationship(back_populates="grid")
    grid_member: Mapped[Person | None] = relationship(foreign_keys=[grid_member_id])
    supervisor: Mapped[Person | None] = relationship(foreign_keys=[supervisor_id])


class Building(Base):
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    number: Mapped[str] = mapped_column(String(10))  # "3" for 3号楼, as the NLU normalises it
    name: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    grid: Mapped[Grid] = relationship(back_populates="buildings")


class Household(Base):
    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("building_id", "unit", "room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    unit: Mapped[str | None] = mapped_column(String(10))
    room: Mapped[str | None] = mapped_column(String(10))

    building: Mapped[Building] = relationship()


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (Index("ix_ticket_open_by_place", "building_id", "category", "status"),
                      # The scheduler's sweeps: few open tickets among many closed ones.
                      Index("ix_ticket_status_respond_by", "status", "respond_by"),
                      Index("ix_ticket_status_escalate_by", "status", "escalate_by"),
                      Index("ix_ticket_status_resolve_by", "status", "resolve_by"),
                      Index("ix_ticket_status_resolved_at", "status", "resolved_at"),
                      # The staff board ranks and counts open tickets from this alone (0023).
                      Index("ix_ticket_open_board", "community_id", "status",
                            postgresql_include=["id", "kind", "escalation_level",
                                                "acknowledged_at", "respond_by", "resolve_by",
                                                "reporter_id", "accused_id", "building_id",
                                                "assignee_id", "category"],
                            postgresql_where=sql_text(
                                "status IN ('new', 'assigned', 'acknowledged', 'in_progress', "
                                "'reopened')"),
                            info={"dialects": ("postgresql",)}))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # BX-20261121-0042
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind: Mapped[TicketKind] = mapped_column(_enum(TicketKind))
    category: Mapped[str] = mapped_column(String(30))
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    # 0 grid member, 1 supervisor, 2 street (吹哨)
    escalation_level: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    unit: Mapped[str | None] = mapped_column(String(10))
    room: Mapped[str | None] = mapped_column(String(10))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    # Where the problem is (config/parts.yml): "flat", "shared" or None (not known), and the
    # part ("lift", "bathroom"); two reports are one problem only if their places agree.
    scope: Mapped[str | None] = mapped_column(String(10))
    part: Mapped[str | None] = mapped_column(String(30))
    # The person a complaint is about: never told, never handling it (DESIGN.md: Tickets).
    accused_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    respond_by: Mapped[dt.datetime | None]
    escalate_by: Mapped[dt.datetime | None]  # still unanswered then: the supervisor takes it
    resolve_by: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    rating: Mapped[int | None]  # 1-5; 0 means "not solved"
    # How far the scheduler has gone, so that a step is taken once (see bot/scheduler/jobs.py):
    # response 1 = grid member reminded, 2 = supervisor told; resolution 1 = street told (吹哨);
    # poll 1 = asked, 2 = reminded, 3 = closed without an answer.
    response_step: Mapped[int] = mapped_column(default=0, server_default="0")
    resolution_step: Mapped[int] = mapped_column(default=0, server_default="0")
    poll_step: Mapped[int] = mapped_column(default=0, server_default="0")
    # The inbound message that opened it: a turn run again after a crash reopens nothing.
    source_message_id: Mapped[int | None] = mapped_column(index=True)

    building: Mapped[Building | None] = relationship()
    reporter: Mapped[Person] = relationship(foreign_keys=[reporter_id])
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])
    accused: Mapped[Person | None] = relationship(foreign_keys=[accused_id])
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket",
                                                     order_by="TicketEvent.id")


class TicketEvent(Base):
    """Every change to a ticket: who, when, from, to, note."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(30))  # created, status, note, escalated, ...
    from_status: Mapped[TicketStatus | None] = mapped_column(_enum(TicketStatus))
    to_status: Mapped[TicketStatus | None] = mapped_column(_enum(TicketStatus))
    note: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketSubscriber(Base):
    """Residents who reported the same problem and want to hear about it."""

    __tablename__ = "ticket_subscriber"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)


class TranscriptMessage(Base):
    """Every message in and out, with its parse. A channel's message id is processed once per
    sender and chat: clients number their own messages (1, 2, 3), and Telegram's are per chat."""

    __tablename__ = "transcript"
    __table_args__ = (UniqueConstraint("channel", "sender", "chat_id", "external_id"),
                      Index("ix_transcript_chat", "channel", "chat_id", "id"),
                      # The console pages through it newest first (keyset on at, id).
                      Index("ix_transcript_at_id", "at", "id"),
                      # The console's text search (ILIKE '%…%'): PostgreSQL only (0021).
                      Index("ix_transcript_text_trgm", "text", postgresql_using="gin",
                            postgresql_ops={"text": "gin_trgm_ops"},
                            info={"dialects": ("postgresql",)}),
                      # ...and its 2-character searches, by character pairs (0022).
                      Index("ix_transcript_text_bigrams", sql_text("linli_bigrams(text)"),
                            postgresql_using="gin", info={"dialects": ("postgresql",)}))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(100))
    sender: Mapped[str | None] = mapped_column(String(100))  # who wrote an incoming message
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    parse: Mapped[dict[str, Any] | None]
    answered: Mapped[bool] = mapped_column(default=False)
    # A retried message is answered with its replies, found by this (an index, not a scan).
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("transcript.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # While an incoming message is being answered: when its process began (wall clock). One
    # left unanswered for long had its process die mid-turn, and another process answers it.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class OutboxMessage(Base):
    """A notification to deliver, written in the same transaction as the change behind it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),
                      Index("ix_outbox_chat", "channel", "chat_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[dict[str, Any] | None]
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus),
                                                 default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    # Pushed even in quiet hours: emergencies and answers to the person's own messages.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The notice run (or other bulk send) this row belongs to, for its delivery report.
    batch: Mapped[str | None] = mapped_column(String(60), index=True)


class ConversationState(Base):
    """The flow a (chat, person) is in, so a restart loses nothing."""

    __tablename__ = "conversation_state"
    __table_args__ = (UniqueConstraint("channel", "chat_id", "person_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    person_key: Mapped[str] = mapped_column(String(100))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TicketCounter(Base):
    """Per-prefix, per-day sequence for human-friendly ticket numbers."""

    __tablename__ = "ticket_counter"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # 20261121
    value: Mapped[int] = mapped_column(default=0)


class Suggestion(Base):
    """A resident's idea for the community (共谋): new, under discussion, adopted or declined
    (store/suggestions.py), with the committee's public reply."""

    __tablename__ = "suggestion"
    # The staff inbox: one community's suggestions of a status, newest first.
    __table_args__ = (Index("ix_suggestion_inbox", "community_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)  # public: every supporter reads it
    status_changed_at: Mapped[dt.datetime | None]
    status_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class SuggestionSupporter(Base):
    """A resident who backs someone else's suggestion (附议), and so hears what became of it."""

    __tablename__ = "suggestion_supporter"

    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Question(Base):
    """A question the FAQ could not answer, kept for staff to answer and to grow the FAQ."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    answered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FaqEntryRow(Base):
    """An FAQ entry written in the console, or paraphrases added to one of config/faq.yml's
    (same ``key``, answers left empty); the FAQ answerer merges these with the file's."""

    __tablename__ = "faq_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    question_zh: Mapped[str] = mapped_column(Text, default="")
    question_en: Mapped[str] = mapped_column(Text, default="")
    answer_zh: Mapped[str] = mapped_column(Text, default="")
    answer_en: Mapped[str] = mapped_column(Text, default="")
    # other phrasings residents used, either language: ["垃圾几点扔", "when is bin day"]
    paraphrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Taken out of the answers by an operator (a file entry too), kept to be restored.
    retired: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Event(Base):
    """A community activity residents can sign up for (共建)."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("community_id", "key", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    key: Mapped[str] = mapped_column(String(40))  # the NLU's event value, e.g. "dumplings"
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))  # in Chinese, or the only name it has
    place_en: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime]
    capacity: Mapped[int] = mapped_column(default=30)
    # Whether those who come when it is full wait for a place (else they are told it is full).
    # Only a server default: an insert that does not name it works on older schemas too.
    waitlist: Mapped[bool] = mapped_column(server_default=true())
    cancelled: Mapped[bool] = mapped_column(default=False)

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_zh

    def place_in(self, language: str) -> str:
        """Where it is, in the reader's language when the place has a name in it."""
        return self.place_en if language == "en" and self.place_en else self.place


class EventSignup(Base):
    __tablename__ = "event_signup"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    count: Mapped[int] = mapped_column(default=1)
    status: Mapped[SignupStatus] = mapped_column(_enum(SignupStatus))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Poll(Base):
    """A question put to residents (共评): one question and 2–6 options in zh and en, an
    audience as notices have ("all", "grid:A", "building:3"), a closing time; its results are
    published to the same audience (共享). store/polls.py."""

    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    question: Mapped[dict[str, Any]]  # {"zh": "...", "en": "..."}
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"zh": ..., "en": ...}]
    audience: Mapped[str] = mapped_column(String(60))
    closes_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]


class PollVote(Base):
    """One resident's answer to a poll; pressing another option before it closes changes it."""

    __tablename__ = "poll_vote"

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    option: Mapped[int]  # 0-based index into Poll.options
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Button(Base):
    """An inline button sent to one person: Telegram's 64-byte callback data carries only its
    id, and a press is honoured only from the person it was sent to."""

    __tablename__ = "button"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TicketAttachment(Base):
    """A photo or file a resident sent with a report (a channel file id; nothing copied)."""

    __tablename__ = "ticket_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    file_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChatGroup(Base):
    """A group chat of the community the bot is in, for notices to "the community groups"."""

    __tablename__ = "chat_group"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NoticeStatus(enum.StrEnum):
    AWAITING_CONFIRMATION = "to_confirm"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class Notice(Base):
    """A staff notice: one text per language, an audience, and when (once or by crontab)."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_due", "status", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    texts: Mapped[dict[str, Any]]  # {"zh": "...", "en": "..."}
    # all, grid:A, building:3, groups, language:en
    audience: Mapped[str] = mapped_column(String(60))
    cron: Mapped[str | None] = mapped_column(String(100))  # None: once, at next_run_at
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus))
    next_run_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]


class NoticeRun(Base):
    """One sending of a notice; unique per due time, so two sweeps cannot send it twice."""

    __tablename__ = "notice_run"
    __table_args__ = (UniqueConstraint("notice_id", "due_at"),
                      Index("ix_notice_run_unreported", "reported_at", "ran_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    due_at: Mapped[dt.datetime]
    ran_at: Mapped[dt.datetime]
    recipients: Mapped[int] = mapped_column(default=0)
    missed: Mapped[bool] = mapped_column(default=False)  # too late to send: skipped
    reported_at: Mapped[dt.datetime | None]


class ScheduledStep(Base):
    """A scheduled step done once per reference: a day's digest, an event's 24-hour reminder."""

    __tablename__ = "scheduled_step"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    ref: Mapped[str] = mapped_column(String(60), primary_key=True)
    done_at: Mapped[dt.datetime]


class SchedulerLease(Base):
    """Who runs the scheduler: the holder renews the lease; when it lapses another takes it."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime]


class Media(Base):
    """An image Linli made (a digest chart), served by an unguessable token."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Handoff(Base):
    """A resident talking to staff through Linli: open from "I want a person" until staff end
    it, the resident does, or it falls silent (config/schedule.yml ``handoff.timeout``)."""

    __tablename__ = "handoff"
    __table_args__ = (Index("ix_handoff_resident_open", "resident_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # The staff member who answered first; until then every line goes to the staff on duty.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    started_at: Mapped[dt.datetime]
    last_activity_at: Mapped[dt.datetime]  # the last line either way: silence counts from it
    relayed: Mapped[int] = mapped_column(default=0)  # resident lines passed on so far
    ended_at: Mapped[dt.datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(20))  # resident, staff, timeout

    resident: Mapped[Person] = relationship(foreign_keys=[resident_id])
    staff: Mapped[Person | None] = relationship(foreign_keys=[staff_id])


class ClaimStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"  # the resident registered somewhere else before anyone decided


class HouseholdClaim(Base):
    """A resident's word that they live in a flat someone else is already registered in. It
    binds them only once the building's grid member (or staff) confirms it."""

    __tablename__ = "household_claim"
    __table_args__ = (Index("ix_household_claim_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    status: Mapped[ClaimStatus] = mapped_column(_enum(ClaimStatus))
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    household: Mapped[Household] = relationship()
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


class ConsoleUser(Base):
    """An account of the web console (console/): staff, operators, grid members, admins."""

    __tablename__ = "console_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200))  # comma list: "operator,staff"
    # The community person this account is, when it is one (a grid member sees their grids).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled: Mapped[bool] = mapped_column(default=False)

    person: Mapped[Person | None] = relationship()

    @property
    def role_names(self) -> list[str]:
        return [role for role in self.roles.split(",") if role]


class AuditEntry(Base):
    """One console action or refusal: who, what, when, on what. Written in the action's own
    transaction, so an action without its entry never happened."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("console_user.id"))
    username: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any] | None]


class Correction(Base):
    """An operator's reading of an inbound message: the intent and entities it should have had.
    Its own row (the transcript is never changed); the latest one per message counts."""

    __tablename__ = "correction"
    __table_args__ = (Index("ix_correction_message", "message_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("transcript.id"))
    intent: Mapped[str] = mapped_column(String(60))
    # [{"entity", "value", "start", "end"}]; start and end are None for a value with no span
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    previous_intent: Mapped[str | None] = mapped_column(String(60))
    previous_entities: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ModelStatus(enum.StrEnum):
    TRAINING = "training"
    READY = "ready"
    FAILED = "failed"
    ACTIVE = "active"
    RETIRED = "retired"  # was active once, replaced since; can be activated again


class ModelVersion(Base):
    """A trained NLU model kept with its data fingerprint and report. The row whose status is
    active is the model every worker of every host serves; none active: the packaged model."""

    __tablename__ = "model_version"
    # At most one training (one job at a time) and one active row, even with racing workers.
    __table_args__ = (Index("ux_model_version_one_per_status", "status", unique=True,
                            sqlite_where=sql_text("status IN ('training', 'active')"),
                            postgresql_where=sql_text("status IN ('training', 'active')")),)

    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[ModelStatus] = mapped_column(_enum(ModelStatus))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(60))
    # A training job's heartbeat: a row left training long after it was last touched belongs
    # to a process that died, and no longer blocks the next job.
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[dt.datetime | None]
    fingerprint: Mapped[str | None] = mapped_column(String(40))
    progress: Mapped[float] = mapped_column(default=0.0)
    stage: Mapped[str | None] = mapped_column(String(300))
    report: Mapped[dict[str, Any] | None]
    path: Mapped[str | None] = mapped_column(String(500))
    # The model files (zip), so a host that did not train it can still load it.
    archive: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
