"""A resident's data rights (PIPL; DESIGN.md: Groups, privacy and languages): everything held
about them as one document, its erasure, and the retention of transcript texts.

Erasure keeps what the community's statistics need and nothing that names or reaches the
person: their tickets stay (the reporter is now "居民#N"), their name, phone, chat identities,
household and message texts go, phone and ID numbers in what they wrote elsewhere are masked,
and their name and phone are taken out of what others were sent or said about them.

Functions take a session and never commit; the caller owns the transaction (one per erasure).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, delete, null, or_, select, update
from sqlalchemy.orm import Session, selectinload

from store import handoffs, media, polls, suggestions
from store.masking import mask_sensitive
from store.models import (
    ChatIdentity,
    ConversationState,
    Event,
    EventSignup,
    Handoff,
    Media,
    OutboxMessage,
    OutboxStatus,
    Person,
    Question,
    Suggestion,
    Ticket,
    TicketEvent,
    TicketSubscriber,
    TranscriptMessage,
)
from store.people import placeholder_name

#: What an erased message text reads as, to operators reading a transcript.
ERASED = "[erased]"
#: The content type of an export; nothing else Linli stores is JSON.
EXPORT_TYPE = next(kind for kind, name in media.FILES.items() if name == "linli-data.json")
#: How long an export can be downloaded (then the retention job deletes it).
EXPORT_LIFETIME = media.FILE_LIFETIME
#: The channel of group messages kept for a deep link (bot/conversation.py).
GROUP_CHANNEL = "telegram-group"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _own_messages(person: Person) -> Any:
    """Transcript rows of the person's chats: theirs in and out, and what they said in a
    group, kept for a deep link (bot/conversation.py ``remember_group_message``)."""
    said_in_groups = [cast(TranscriptMessage.parse, String).like(
        f'%"sender": {json.dumps(identity.external_id)}%')
        for identity in person.identities if identity.channel == "telegram"]
    group = (TranscriptMessage.channel == GROUP_CHANNEL) & or_(*said_in_groups) \
        if said_in_groups else None
    mine = TranscriptMessage.person_id == person.id
    return mine | group if group is not None else mine


def export(session: Session, person: Person, now: dt.datetime) -> dict[str, Any]:
    """Everything held about ``person``, as a JSON-ready document in their own words."""
    home = person.household
    theirs = select(TicketSubscriber.ticket_id).where(TicketSubscriber.person_id == person.id)
    tickets = session.scalars(select(Ticket).where(
        (Ticket.reporter_id == person.id) | Ticket.id.in_(theirs)).options(
        selectinload(Ticket.events), selectinload(Ticket.building)).order_by(Ticket.id)).all()
    signups = session.execute(select(EventSignup, Event).join(
        Event, Event.id == EventSignup.event_id).where(
        EventSignup.person_id == person.id).order_by(EventSignup.id)).all()
    messages = session.scalars(select(TranscriptMessage).where(
        _own_messages(person)).order_by(TranscriptMessage.id)).all()
    return {
        "exported_at": _iso(now),
        "person": {
            "id": person.id, "name": person.name, "phone": person.phone,
            "language": person.language, "created_at": _iso(person.created_at),
            "roles": sorted(role.role.value for role in person.roles),
            "household": None if home is None else {
                "building": home.building.number, "unit": home.unit, "room": home.room},
        },
        "identities": [{"channel": i.channel, "id": i.external_id} for i in person.identities],
        "tickets": [_ticket(ticket, person) for ticket in tickets],
        "ratings": [{"ticket": t.number, "rating": t.rating} for t in tickets
                    if t.rating is not None and t.reporter_id == person.id],
        "signups": [{"event": event.title_zh, "event_en": event.title_en,
                     "starts_at": _iso(event.starts_at), "count": signup.count,
                     "status": signup.status.value, "signed_up_at": _iso(signup.created_at)}
                    for signup, event in signups],
        "suggestions": [{"text": s.text, "status": s.status, "at": _iso(s.created_at)}
                        for s in session.scalars(select(Suggestion).where(
                            Suggestion.person_id == person.id).order_by(Suggestion.id))],
        "supported_suggestions": [{"text": s.text, "status": s.status, "reply": s.reply}
                                  for s in suggestions.supported_by(session, person)],
        "poll_votes": [{"question": poll.question, "answer": poll.options[vote.option]
                        if vote.option < len(poll.options) else None, "at": _iso(vote.at)}
                       for poll, vote in polls.votes_of(session, person)],
        "questions": [{"text": q.text, "answered": q.answered, "at": _iso(q.created_at)}
                      for q in session.scalars(select(Question).where(
                          Question.person_id == person.id).order_by(Question.id))],
        "handoffs": [{"started_at": _iso(h.started_at), "ended_at": _iso(h.ended_at),
                      "ended_by": h.ended_by}
                     for h in session.scalars(select(Handoff).where(
                         Handoff.resident_id == person.id).order_by(Handoff.id))],
        "messages": [{"at": _iso(m.at), "channel": m.channel, "direction": m.direction.value,
                      "text": m.text} for m in messages],
    }


def _ticket(ticket: Ticket, person: Person) -> dict[str, Any]:
    """A ticket as its reporter (or a household that joined it) may see it: what others
    noted on it has phone and ID numbers masked."""
    return {
        "number": ticket.number, "kind": ticket.kind.value, "category": ticket.category,
        "status": ticket.status.value, "reported_by_you": ticket.reporter_id == person.id,
        "text": ticket.text if ticket.reporter_id == person.id else None,
        "building": ticket.building.number if ticket.building else None, "unit": ticket.unit,
        "room": ticket.room, "created_at": _iso(ticket.created_at),
        "resolved_at": _iso(ticket.resolved_at), "rating": ticket.rating,
        "events": [{"at": _iso(e.at), "kind": e.kind,
                    "from": e.from_status.value if e.from_status else None,
                    "to": e.to_status.value if e.to_status else None,
                    "note": e.note if e.actor_id == person.id or e.note is None
                    else mask_sensitive(e.note)} for e in ticket.events],
    }


def export_json(document: dict[str, Any]) -> bytes:
    """The export as a file: UTF-8, Chinese as itself, indented for reading."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def save_export(session: Session, person: Person, now: dt.datetime) -> str:
    """Export ``person`` into a downloadable file; returns its ``media:<token>`` reference."""
    return media.save(session, export_json(export(session, person, now)), EXPORT_TYPE, now)


def _exports_of(session: Session, person_id: int | None = None,
                before: dt.datetime | None = None) -> Sequence[int]:
    """Ids of export files: of one person, or made before ``before``."""
    query = select(Media.id, Media.data).where(Media.content_type == EXPORT_TYPE)
    if before is not None:
        query = query.where(Media.created_at < before)
    found = []
    for media_id, data in session.execute(query):
        if person_id is None or json.loads(data)["person"]["id"] == person_id:
            found.append(media_id)
    return found


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure removed (all zero and ``name`` False when there was nothing left)."""

    name: bool
    phone: bool
    identities: int
    household: bool
    messages: int
    masked: int  # free texts elsewhere with their number or name taken out

    @property
    def anything(self) -> bool:
        return any((self.name, self.phone, self.identities, self.household, self.messages,
                    self.masked))


def erase(session: Session, person: Person, now: dt.datetime) -> Erased:
    """Erase ``person``'s personal data (see the module's notes). Idempotent. A handoff still
    open ends: nobody could answer them any more."""
    placeholder = placeholder_name(person.id)
    name = person.name if person.name.strip() and person.name != placeholder else None
    phone = person.phone
    identities = list(person.identities)
    chats = [(i.channel, i.external_id) for i in identities]

    messages = session.execute(update(TranscriptMessage).where(
        _own_messages(person), TranscriptMessage.text != ERASED)
        .values(text=ERASED, parse=null()).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    # What they were sent, and never anything more: nothing reaches an erased chat.
    session.execute(update(OutboxMessage).where(
        OutboxMessage.person_id == person.id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error=ERASED)
        .execution_options(synchronize_session=False))
    session.execute(update(OutboxMessage).where(
        OutboxMessage.person_id == person.id, OutboxMessage.text != ERASED)
        .values(text=ERASED, buttons=null()).execution_options(synchronize_session=False))
    session.execute(update(Question).where(Question.person_id == person.id,
                                           Question.text != ERASED).values(text=ERASED))

    masked = 0
    # What they wrote that stays (a ticket's description, their notes, a suggestion): numbers
    # masked and their name taken out.
    def scrub(text: str) -> str:
        cleaned = mask_sensitive(text)
        for said in (phone, name):
            if said and len(said) >= 2:
                cleaned = _replace(cleaned, said, "*" * len(said) if said == phone
                                   else placeholder)
        return cleaned

    for row, column in (*((t, "text") for t in session.scalars(select(Ticket).where(
            Ticket.reporter_id == person.id))),
            *((e, "note") for e in session.scalars(select(TicketEvent).where(
                TicketEvent.actor_id == person.id, TicketEvent.note.is_not(None)))),
            *((s, "text") for s in session.scalars(select(Suggestion).where(
                Suggestion.person_id == person.id)))):
        before = getattr(row, column)
        after = scrub(before)
        if after != before:
            setattr(row, column, after)
            masked += 1
    # What others were sent or said about them ("报告人李小红 13912345678"): name and number out.
    masked += _take_out(session, person, name, phone, placeholder)

    if chats:  # where they were in a conversation, and what it had collected
        session.execute(delete(ConversationState).where(or_(*(
            (ConversationState.channel == channel) & (ConversationState.person_key == key)
            for channel, key in chats))))
    for media_id in _exports_of(session, person.id):
        session.execute(delete(Media).where(Media.id == media_id))
    for identity in identities:
        session.delete(identity)
    if (handoff := handoffs.open_handoff(session, person)) is not None:
        handoffs.end(handoff, now, handoffs.RESIDENT)
    had_household = person.household_id is not None
    person.name, person.phone, person.household_id = placeholder, None, None
    session.flush()
    return Erased(name=name is not None, phone=phone is not None, identities=len(identities),
                  household=had_household, messages=messages, masked=masked)


def _distinctive(name: str) -> bool:
    """A name that names only them wherever it appears: Chinese of two characters or more
    ("王阿姨"), or several words ("Anna Smith"). "Anna" or "Mum" may be anyone's word."""
    return (len(name) >= 2 and any("\u4e00" <= char <= "\u9fff" for char in name)) or \
        len(name.split()) >= 2


def _replace(text: str, said: str, instead: str) -> str:
    """``said`` replaced; a name in Latin letters only where it stands as a word of its own
    (not "Anna" in "Annabel"). Chinese and numbers touch the words around them ("电话139…")."""
    if not said.isascii() or not any(char.isalpha() for char in said):
        return text.replace(said, instead)
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(said)}(?![A-Za-z0-9_])", lambda _: instead,
                  text)


def _take_out(session: Session, person: Person, name: str | None, phone: str | None,
              placeholder: str) -> int:
    """Replace ``phone`` in every transcript and outbox text that holds it, and ``name`` too
    where it names only them; a name that may be anyone's word only in what was sent about
    their own tickets and handoffs. How many texts changed."""
    everywhere = [(phone, mask_sensitive(phone) if mask_sensitive(phone) != phone
                   else "*" * max(len(phone) - 4, 0) + phone[-4:])] if phone else []
    about_them = []
    if name and _distinctive(name):
        everywhere.append((name, placeholder))
    elif name and len(name) >= 2:  # a one-character name would take out every such character
        about_them.append((name, placeholder))
    rows: dict[tuple[str, int], TranscriptMessage | OutboxMessage] = {}
    if everywhere:
        for found in (*session.scalars(select(TranscriptMessage).where(or_(*(
                TranscriptMessage.text.contains(said, autoescape=True)
                for said, _ in everywhere)))),
                *session.scalars(select(OutboxMessage).where(or_(*(
                    OutboxMessage.text.contains(said, autoescape=True)
                    for said, _ in everywhere))))):
            rows[(type(found).__name__, found.id)] = found
    if about_them:
        subscribed = select(TicketSubscriber.ticket_id).where(
            TicketSubscriber.person_id == person.id)
        keys = [f"ticket:{number}:" for number in session.scalars(select(Ticket.number).where(
            (Ticket.reporter_id == person.id) | Ticket.id.in_(subscribed)))]
        keys += [f"handoff:{handoff}:" for handoff in session.scalars(select(Handoff.id).where(
            Handoff.resident_id == person.id))]
        if keys:
            for found in session.scalars(select(OutboxMessage).where(
                    or_(*(OutboxMessage.dedupe_key.startswith(key, autoescape=True)
                          for key in keys)),
                    OutboxMessage.text.contains(about_them[0][0], autoescape=True))):
                rows[("OutboxMessage", found.id)] = found
    changed = 0
    for row in rows.values():
        text = row.text
        for said, instead in everywhere + (about_them if isinstance(row, OutboxMessage)
                                           else []):
            text = _replace(text, said, instead)
        if text != row.text:
            row.text = text
            if isinstance(row, TranscriptMessage):
                row.parse = None  # it repeats the text
            changed += 1
    return changed


def erase_old_texts(session: Session, before: dt.datetime, limit: int) -> int:
    """Erase up to ``limit`` transcript texts older than ``before``; how many. Batches keep
    each transaction (and its locks) short on a large table."""
    ids = session.scalars(select(TranscriptMessage.id).where(
        TranscriptMessage.at < before, TranscriptMessage.text != ERASED)
        .order_by(TranscriptMessage.id).limit(limit)).all()
    if ids:
        session.execute(update(TranscriptMessage).where(TranscriptMessage.id.in_(ids))
                        .values(text=ERASED, parse=null())
                        .execution_options(synchronize_session=False))
    return len(ids)


def drop_old_exports(session: Session, now: dt.datetime) -> int:
    """Delete export files older than ``EXPORT_LIFETIME``; how many."""
    old = _exports_of(session, before=now - EXPORT_LIFETIME)
    if old:
        session.execute(delete(Media).where(Media.id.in_(old)))
    return len(old)


def find_person(session: Session, key: str) -> Person | None:
    """A person by id ("15"), channel identity ("telegram:123", "rest:abc") or the key of the
    community file (a demo person's ``wang_aiyi``: their shell identity)."""
    if key.isdigit():
        return session.get(Person, int(key))
    channel, _, external = key.partition(":")
    candidates: Iterable[tuple[str, str]] = [(channel, external)] if external else [
        ("shell", key)]
    for channel, external in candidates:
        person = session.scalar(select(Person).join(ChatIdentity).where(
            ChatIdentity.channel == channel, ChatIdentity.external_id == external))
        if person is not None:
            return person
    return None
