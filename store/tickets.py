"""Tickets: numbering, routing, deadlines, duplicates and every state change as an event row.

Functions take a session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.interfaces import ORMOption

from store.calendar import WorkCalendar
from store.conflict import Accused
from store.models import (
    Building,
    Community,
    Person,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TicketSubscriber,
)
from store.parts import UNKNOWN, Parts, Place

PREFIXES = {TicketKind.REPAIR: "BX", TicketKind.COMPLAINT: "TS", TicketKind.EMERGENCY: "JJ"}
OPEN = (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.ACKNOWLEDGED,
        TicketStatus.IN_PROGRESS, TicketStatus.REOPENED)
UTILITIES = frozenset({"water", "electricity", "gas", "elevator"})

# Who may move a ticket from which state to which (DESIGN.md: tickets).
TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset({TicketStatus.ASSIGNED, TicketStatus.CANCELLED,
                                 TicketStatus.DUPLICATE}),
    TicketStatus.ASSIGNED: frozenset({TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS,
                                      TicketStatus.RESOLVED, TicketStatus.CANCELLED,
                                      TicketStatus.DUPLICATE}),
    TicketStatus.ACKNOWLEDGED: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED,
                                          TicketStatus.CANCELLED, TicketStatus.DUPLICATE}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.RESOLVED, TicketStatus.CANCELLED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.REOPENED}),
    TicketStatus.REOPENED: frozenset({TicketStatus.ASSIGNED}),
    TicketStatus.CLOSED: frozenset(),
    TicketStatus.CANCELLED: frozenset(),
    TicketStatus.DUPLICATE: frozenset(),
}


class TicketError(ValueError):
    """A ticket operation that is not allowed; ``code`` names a response for the user."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


#: When a deadline may fall: ``any`` time (emergencies); in the ``daytime`` — working hours,
#: but every day of the week (utilities: nobody is called at 3 am about a dripping pipe, and
#: real danger is an emergency); or in ``working`` time — working hours on working days.
#: A deadline outside its hours moves to the start of the next such period (顺延).
Hours = Literal["any", "daytime", "working"]


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """How long until a response and a resolution are due, how long after a missed response
    the supervisor is told, and in which hours a deadline may fall."""

    respond: dt.timedelta
    resolve: dt.timedelta
    escalate_after: dt.timedelta
    hours: Hours = "any"


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Deadline rules per kind and category (DESIGN.md: tickets), and the work calendar."""

    emergency: DeadlineRule = DeadlineRule(dt.timedelta(minutes=15), dt.timedelta(hours=24),
                                           dt.timedelta(minutes=15))
    utility: DeadlineRule = DeadlineRule(dt.timedelta(hours=2), dt.timedelta(hours=24),
                                         dt.timedelta(hours=1), hours="daytime")
    default: DeadlineRule = DeadlineRule(dt.timedelta(hours=24), dt.timedelta(days=7),
                                         dt.timedelta(hours=4), hours="working")
    categories: Mapping[str, DeadlineRule] = field(default_factory=dict)
    calendar: WorkCalendar | None = None

    def rule(self, kind: TicketKind, category: str) -> DeadlineRule:
        if kind == TicketKind.EMERGENCY:
            return self.emergency
        if category in self.categories:
            return self.categories[category]
        return self.utility if category in UTILITIES else self.default

    def _moved(self, rule: DeadlineRule, moment: dt.datetime) -> dt.datetime:
        if self.calendar is None or rule.hours == "any":
            return moment
        calendar = self.calendar if rule.hours == "working" else dataclasses.replace(
            self.calendar, weekdays=frozenset(range(7)), holidays=frozenset())
        return calendar.next_working(moment)

    def due(self, kind: TicketKind, category: str, now: dt.datetime) -> Due:
        """When a ticket opened ``now`` must be answered, goes to the supervisor if it is
        not, and must be resolved."""
        rule = self.rule(kind, category)
        respond_by = self._moved(rule, now + rule.respond)
        return Due(respond_by, self._moved(rule, respond_by + rule.escalate_after),
                   self._moved(rule, now + rule.resolve))


@dataclass(frozen=True, slots=True)
class Due:
    respond_by: dt.datetime
    escalate_by: dt.datetime
    resolve_by: dt.datetime


@dataclass(frozen=True, slots=True)
class Opened:
    """The outcome of reporting a problem: a new ticket, or an open one it duplicates;
    ``joined``: the reporter is a new household on it (not its reporter or a subscriber)."""

    ticket: Ticket
    duplicate: bool
    joined: bool = False
    repeated: bool = False  # this very message opened it before a crash cut its turn short


def next_number(session: Session, kind: TicketKind, now: dt.datetime, *,
                zone: dt.tzinfo) -> str:
    """The next human-friendly number, e.g. BX-20261121-0042 (per prefix and the community's
    local day: a report at 01:18 Beijing time is numbered by that day, not by UTC's)."""
    prefix, day = PREFIXES[kind], now.astimezone(zone).strftime("%Y%m%d")
    for _ in range(5):
        bumped = session.execute(
            update(TicketCounter).where(TicketCounter.prefix == prefix, TicketCounter.day == day)
            .values(value=TicketCounter.value + 1).returning(TicketCounter.value)).scalar()
        if bumped is not None:
            return f"{prefix}-{day}-{bumped:04d}"
        try:
            with session.begin_nested():
                session.add(TicketCounter(prefix=prefix, day=day, value=1))
            return f"{prefix}-{day}-0001"
        except IntegrityError:
            continue  # another transaction created today's counter first; bump it instead
    raise TicketError("busy", f"could not allocate a {prefix} number for {day}")


def same_place(parts: Parts, ticket: Ticket, place: Place, unit: str | None,
               room: str | None, reporter: Person) -> bool:
    """Whether a report at ``place`` (in the same building, of the same category) is the
    problem ``ticket`` is about. A shared part is one problem for the building, or for its
    unit when each unit has its own (a lift, a stairwell light; a unit nobody said matches any);
    a problem inside a flat, or one whose place is unknown, is one only within the same flat
    (the same reporter when a flat number is missing)."""
    if ticket.accused_id is not None:
        return False  # a complaint about a person is that resident's own case
    theirs = parts.stored(ticket.scope, ticket.part)
    if place.shared != theirs.shared:
        return False
    if place.area is not None and theirs.area is not None and place.area != theirs.area:
        return False
    if place.shared:
        return not ((place.per_unit or theirs.per_unit) and unit and ticket.unit
                    and unit != ticket.unit)
    if room and ticket.room:
        return (unit or None) == (ticket.unit or None) and room == ticket.room
    return ticket.reporter_id == reporter.id


def find_open_duplicate(session: Session, building: Building | None, category: str,
                        since: dt.datetime, *, parts: Parts, place: Place = UNKNOWN,
                        unit: str | None, room: str | None,
                        reporter: Person) -> Ticket | None:
    """The oldest open ticket, opened since ``since``, that a report of ``category`` at
    ``place`` in ``building`` is part of (see ``same_place``)."""
    if building is None:
        return None
    query = select(Ticket).where(Ticket.building_id == building.id, Ticket.category == category,
                                 Ticket.status.in_(OPEN), Ticket.created_at >= since,
                                 Ticket.accused_id.is_(None))
    if not place.shared:
        # Only the same flat, or else the same reporter, can match (see ``same_place``): left
        # to Python, every open report of the kind in the building was loaded, one per flat.
        query = query.where(or_(Ticket.reporter_id == reporter.id, Ticket.room == room)
                            if room else Ticket.reporter_id == reporter.id)
    candidates = session.scalars(query.order_by(Ticket.created_at, Ticket.id))
    return next((t for t in candidates if same_place(parts, t, place, unit, room, reporter)),
                None)


def placed(place: Place, unit: str | None, room: str | None) -> tuple[str | None, str | None]:
    """The unit and flat a ticket records: a shared part is no flat's, and a part the whole
    building shares is no unit's either."""
    if not place.shared:
        return unit, room
    return (unit if place.per_unit else None), None


def open_ticket(session: Session, *, reporter: Person, kind: TicketKind, category: str,
                text: str, language: str, building: Building | None, unit: str | None,
                room: str | None, now: dt.datetime, deadlines: Deadlines,
                duplicate_window: dt.timedelta, place: Place = UNKNOWN,
                parts: Parts | None = None, accused: Accused | None = None,
                source: int | None = None) -> Opened:
    """Open a ticket routed to the building's grid member — or, for a complaint about a
    person, to whoever stands above them — or join the open ticket about the same problem.
    ``source``, the inbound message reporting it, makes this repeatable: a turn run again
    after a crash gets the ticket that message already opened, as if opened now."""
    parts = parts or Parts.default()
    if source is not None and (opened := session.scalar(
            select(Ticket).where(Ticket.source_message_id == source)
            .order_by(Ticket.id).limit(1))) is not None:
        return Opened(opened, duplicate=False, repeated=True)
    duplicate = None if kind == TicketKind.EMERGENCY or accused is not None else \
        find_open_duplicate(session, building, category, now - duplicate_window, parts=parts,
                            place=place, unit=unit, room=room, reporter=reporter)
    if duplicate is not None:
        joined = duplicate.reporter_id != reporter.id and session.get(
            TicketSubscriber, (duplicate.id, reporter.id)) is None
        if joined:
            session.add(TicketSubscriber(ticket_id=duplicate.id, person_id=reporter.id))
            session.add(TicketEvent(ticket_id=duplicate.id, at=now, actor_id=reporter.id,
                                    kind="subscribed", note=text))
        return Opened(duplicate, duplicate=True, joined=joined)

    due = deadlines.due(kind, category, now)
    assignee = building.grid.grid_member if building is not None else None
    level = 0
    if accused is not None:
        assignee, level = accused.handler, accused.level
    community = session.get(Community, reporter.community_id)
    zone = ZoneInfo(community.timezone) if community is not None else dt.UTC
    unit, room = placed(place, unit, room)
    ticket = Ticket(
        number=next_number(session, kind, now, zone=zone), community_id=reporter.community_id,
        kind=kind, category=category,
        status=TicketStatus.ASSIGNED if assignee else TicketStatus.NEW,
        priority="urgent" if kind == TicketKind.EMERGENCY else "normal", text=text,
        language=language, building=building, unit=unit, room=room, reporter=reporter,
        assignee=assignee, created_at=now, respond_by=due.respond_by, escalate_by=due.escalate_by,
        resolve_by=due.resolve_by, scope=place.scope, part=place.part, escalation_level=level,
        accused=accused.person if accused is not None else None, source_message_id=source)
    session.add(ticket)
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=reporter.id, kind="created",
                            to_status=TicketStatus.NEW, note=text))
    if accused is not None:
        # Recorded like any escalation, so that the history says why it skipped a level.
        session.add(TicketEvent(ticket_id=ticket.id, at=now, kind="escalated",
                                note=f"level {level}: the complaint is about the {accused.role}"))
    if assignee is not None:
        session.add(TicketEvent(ticket_id=ticket.id, at=now, kind="assigned",
                                from_status=TicketStatus.NEW, to_status=TicketStatus.ASSIGNED,
                                note=assignee.name))
    return Opened(ticket, duplicate=False)


def change_status(session: Session, ticket: Ticket, to: TicketStatus, *, actor: Person | None,
                  now: dt.datetime, note: str | None = None) -> None:
    """Move ``ticket`` to ``to`` if the state machine allows it, recording the event."""
    if to not in TRANSITIONS[ticket.status]:
        raise TicketError("bad_transition",
                          f"{ticket.number} cannot go from {ticket.status} to {to}")
    from_status = ticket.status
    ticket.status = to
    if to in (TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED) \
            and ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
    if to == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if to == TicketStatus.CLOSED:
        ticket.closed_at = now
    if to == TicketStatus.REOPENED:
        ticket.resolved_at = None
        ticket.poll_step = 0  # the next resolution gets its own satisfaction poll
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor.id if actor else None,
                            kind="status", from_status=from_status, to_status=to, note=note))


def assign(session: Session, ticket: Ticket, assignee: Person, *, actor: Person | None,
           now: dt.datetime) -> None:
    """Give a ticket nobody holds (an emergency whose place was not known yet, a reopened
    one) to ``assignee``: → assigned, recorded like the assignment ``open_ticket`` makes."""
    if TicketStatus.ASSIGNED not in TRANSITIONS[ticket.status]:
        raise TicketError("bad_transition",
                          f"{ticket.number} cannot be assigned while {ticket.status}")
    from_status = ticket.status
    ticket.assignee = assignee
    ticket.status = TicketStatus.ASSIGNED
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor.id if actor else None,
                            kind="assigned", from_status=from_status,
                            to_status=TicketStatus.ASSIGNED, note=assignee.name))


def locate(session: Session, ticket: Ticket, building: Building, unit: str | None,
           room: str | None, *, actor: Person | None, now: dt.datetime,
           words: str | None = None) -> None:
    """Put the place on a ticket opened without one (an emergency), with the reporter's own
    words ("在5号楼2单元门口") kept on the event for whoever goes there."""
    ticket.building, ticket.unit, ticket.room = building, unit, room
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor.id if actor else None,
                            kind="located", note=words or None))


def add_note(session: Session, ticket: Ticket, *, actor: Person, now: dt.datetime,
             note: str) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor.id, kind="note",
                            note=note))


def escalate(session: Session, ticket: Ticket, *, actor: Person | None, now: dt.datetime,
             note: str | None = None, to_level: int | None = None) -> int:
    """Raise the escalation level (grid member → supervisor → street) by one, or straight to
    ``to_level`` (a missed resolution deadline goes to the street), and record it."""
    target = ticket.escalation_level + 1 if to_level is None else to_level
    if ticket.escalation_level >= 2 or target <= ticket.escalation_level:
        raise TicketError("already_escalated", f"{ticket.number} is already at level "
                          f"{ticket.escalation_level}")
    ticket.escalation_level = min(target, 2)
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor.id if actor else None,
                            kind="escalated", note=note or f"level {ticket.escalation_level}"))
    return ticket.escalation_level


def by_number(session: Session, number: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.number == number.upper()))


def card() -> tuple[ORMOption, ...]:
    """What a ticket's card shows of other rows, to load with the tickets (one query in all)
    instead of one query per ticket for each."""
    return (joinedload(Ticket.building), joinedload(Ticket.assignee),
            joinedload(Ticket.reporter))


def last_changed(session: Session, tickets: Sequence[Ticket]) -> dict[int, dt.datetime]:
    """When each of ``tickets`` last changed (its newest event, else its creation), by id:
    one query, not a ticket's whole history loaded for its last line."""
    changed = {ticket.id: ticket.created_at for ticket in tickets}
    for ticket_id, at in session.execute(
            select(TicketEvent.ticket_id, func.max(TicketEvent.at))
            .where(TicketEvent.ticket_id.in_(list(changed)))
            .group_by(TicketEvent.ticket_id)):
        changed[ticket_id] = at
    return changed


def reported_by(session: Session, person: Person, *, open_only: bool = False,
                number: str | None = None, limit: int = 10,
                options: Sequence[ORMOption] = ()) -> Sequence[Ticket]:
    """A resident's own tickets (and those they subscribed to), newest first; only the one
    numbered ``number`` if given; ``options``: what to load with them (:func:`card`)."""
    subscribed = select(TicketSubscriber.ticket_id).where(TicketSubscriber.person_id == person.id)
    query = select(Ticket).where((Ticket.reporter_id == person.id) | Ticket.id.in_(subscribed))
    if open_only:
        query = query.where(Ticket.status.in_((*OPEN, TicketStatus.RESOLVED)))
    if number is not None:
        query = query.where(Ticket.number == number)
    return session.scalars(query.options(*options)
                           .order_by(Ticket.created_at.desc(), Ticket.id.desc())
                           .limit(limit)).unique().all()


def subscribers(session: Session, ticket: Ticket) -> Sequence[Person]:
    """Everyone who should hear about the ticket: the reporter and subscribed residents."""
    others = session.scalars(select(Person).join(
        TicketSubscriber, TicketSubscriber.person_id == Person.id).where(
        TicketSubscriber.ticket_id == ticket.id)).all()
    return [ticket.reporter, *others]
