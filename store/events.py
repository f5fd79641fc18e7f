"""Community events: upcoming list, sign-up within capacity with a waitlist, cancellation that
promotes the waitlist. Functions take a session and never commit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Building, Event, EventSignup, Household, Person, SignupStatus


@dataclass(frozen=True, slots=True)
class SignupResult:
    signup: EventSignup
    already: bool


class EventFullError(Exception):
    """No room left and the event keeps no waitlist."""


@dataclass(frozen=True, slots=True)
class SignupRow:
    """One sign-up as staff see it: the waitlisted in the order they get places."""

    name: str
    phone: str | None
    building: str | None
    count: int
    status: str
    position: int | None  # on the waitlist
    signed_up_at: dt.datetime


def upcoming(session: Session, community_id: int, now: dt.datetime,
             within: dt.timedelta = dt.timedelta(days=30)) -> Sequence[Event]:
    return session.scalars(select(Event).where(
        Event.community_id == community_id, Event.cancelled.is_(False),
        Event.starts_at >= now, Event.starts_at <= now + within).order_by(Event.starts_at)).all()


#: What names any event, around the words that name one: "志愿者活动" is the volunteers' one.
_ANY_EVENT = re.compile(r"(?:的)?(?:活动|那个|这个)$|^(?:有没有|那个|这个|报名|参加)|"
                        r"^(?:the|that|this)\s+|\s+(?:event|activity|thing)s?$", re.IGNORECASE)


def find(session: Session, community_id: int, now: dt.datetime, name: str) -> Event | None:
    """The next event whose key or title matches ``name`` (an NLU event value or words)."""
    lowered = _ANY_EVENT.sub("", name.lower()).strip() or name.lower()
    for event in upcoming(session, community_id, now, dt.timedelta(days=365)):
        if lowered in (event.key.lower(), event.title_zh.lower(), event.title_en.lower()) or (
                lowered in event.title_zh.lower() or lowered in event.title_en.lower()):
            return event
    return None


def seats_taken(session: Session, event: Event) -> int:
    return seats_taken_of(session, [event])[event.id]


def seats_taken_of(session: Session, events: Sequence[Event]) -> dict[int, int]:
    """Confirmed seats of each of ``events`` by id, in one query (a list of events)."""
    taken = dict.fromkeys((event.id for event in events), 0)
    for event_id, seats in session.execute(
            select(EventSignup.event_id, func.sum(EventSignup.count))
            .where(EventSignup.event_id.in_(list(taken)),
                   EventSignup.status == SignupStatus.CONFIRMED)
            .group_by(EventSignup.event_id)):
        taken[event_id] = int(seats)
    return taken


def sign_up(session: Session, event: Event, person: Person, count: int,
            now: dt.datetime) -> SignupResult:
    """Confirm if there is room for ``count`` people, otherwise put them on the waitlist
    (EventFullError when the event keeps none)."""
    signup = session.scalar(select(EventSignup).where(EventSignup.event_id == event.id,
                                                      EventSignup.person_id == person.id))
    if signup is not None and signup.status != SignupStatus.CANCELLED:
        return SignupResult(signup, already=True)
    room = seats_taken(session, event) + count <= event.capacity
    if not room and not event.waitlist:
        raise EventFullError(event.key)
    status = SignupStatus.CONFIRMED if room else SignupStatus.WAITLISTED
    if signup is None:
        signup = EventSignup(event_id=event.id, person_id=person.id, count=count, status=status,
                             created_at=now, updated_at=now)
        session.add(signup)
    else:
        signup.count, signup.status, signup.updated_at = count, status, now
    session.flush()
    return SignupResult(signup, already=False)


def resize(session: Session, signup: EventSignup, count: int, now: dt.datetime) -> bool:
    """Change how many come with ``signup``; False (nothing changed) when a confirmed one
    would take more places than are free. Places given back go to the waitlist, and a
    waiting party made small enough gets in."""
    event = session.get(Event, signup.event_id)
    assert event is not None
    if signup.status == SignupStatus.CONFIRMED and count > signup.count and \
            seats_taken(session, event) - signup.count + count > event.capacity:
        return False
    smaller = count < signup.count
    signup.count, signup.updated_at = count, now
    session.flush()
    if smaller:  # places given back, or a waiting party small enough now
        promote(session, event, now)
    return True


def signups_of(session: Session, person: Person, now: dt.datetime) -> Sequence[EventSignup]:
    """A person's active sign-ups for events still to come."""
    return session.scalars(select(EventSignup).join(Event).where(
        EventSignup.person_id == person.id, EventSignup.status != SignupStatus.CANCELLED,
        Event.starts_at >= now).order_by(Event.starts_at)).all()


def cancel(session: Session, signup: EventSignup, now: dt.datetime) -> list[EventSignup]:
    """Cancel a sign-up; return the waitlisted sign-ups promoted into the freed places."""
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    signup.status, signup.updated_at = SignupStatus.CANCELLED, now
    session.flush()
    if not was_confirmed:
        return []
    event = session.get(Event, signup.event_id)
    assert event is not None
    return promote(session, event, now)


def promote(session: Session, event: Event, now: dt.datetime) -> list[EventSignup]:
    """Confirm waitlisted sign-ups, in order, into the places free now (after a cancellation
    or a larger capacity); return them."""
    free = event.capacity - seats_taken(session, event)
    promoted = []
    for waiting in session.scalars(select(EventSignup).where(
            EventSignup.event_id == event.id, EventSignup.status == SignupStatus.WAITLISTED)
            .order_by(EventSignup.created_at, EventSignup.id)):
        if waiting.count <= free:
            waiting.status, waiting.updated_at = SignupStatus.CONFIRMED, now
            free -= waiting.count
            promoted.append(waiting)
    session.flush()
    return promoted


def signups(session: Session, event: Event) -> list[SignupRow]:
    """Everyone signed up for ``event`` and still coming: the confirmed first, then the
    waitlist in order, each with their building."""
    rows = session.execute(select(Person.name, Person.phone, Building.number,
                                  EventSignup.count, EventSignup.status, EventSignup.created_at)
                           .join(Person, EventSignup.person_id == Person.id)
                           .outerjoin(Household, Person.household_id == Household.id)
                           .outerjoin(Building, Household.building_id == Building.id)
                           .where(EventSignup.event_id == event.id,
                                  EventSignup.status != SignupStatus.CANCELLED)
                           .order_by(EventSignup.status != SignupStatus.CONFIRMED,
                                     EventSignup.created_at, EventSignup.id)).all()
    out, waiting = [], 0
    for name, phone, building, count, status, at in rows:
        if status == SignupStatus.WAITLISTED:
            waiting += 1
        out.append(SignupRow(name, phone, building, count, SignupStatus(status).value,
                             waiting if status == SignupStatus.WAITLISTED else None, at))
    return out


def people_signed_up(session: Session, event: Event) -> Sequence[Person]:
    """Everyone still signed up for ``event``, confirmed or waiting."""
    return session.scalars(select(Person).join(EventSignup, EventSignup.person_id == Person.id)
                           .where(EventSignup.event_id == event.id,
                                  EventSignup.status != SignupStatus.CANCELLED)
                           .order_by(EventSignup.created_at, EventSignup.id)).all()


def of_community(session: Session, community_id: int, since: dt.datetime,
                 limit: int = 200) -> Sequence[Event]:
    """The community's events starting from ``since``, soonest first (cancelled ones too)."""
    return session.scalars(select(Event).where(
        Event.community_id == community_id, Event.starts_at >= since)
        .order_by(Event.starts_at, Event.id).limit(limit)).all()
