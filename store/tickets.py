"""Tickets: numbering, routing, deadlines, duplicates and every state change as an event row.

Functions take a session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.calendar import WorkCalendar
from store.models import (
    Building,
    Person,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TicketSubscriber,
)

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


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """How long until a response and a resolution are due, and how long after a missed
    response the supervisor is told. ``working_time`` deadlines that fall outside working
    hours move to the start of the next working period (顺延)."""

    respond: dt.timedelta
    resolve: dt.timedelta
    escalate_after: dt.timedelta
    working_time: bool = False


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Deadline rules per kind and category (DESIGN.md: tickets), and the work calendar."""

    emergency: DeadlineRule = DeadlineRule(dt.timedelta(minutes=15), dt.timedelta(hours=24),
                                           dt.timedelta(minutes=15))
    utility: DeadlineRule = DeadlineRule(dt.timedelta(hours=2), dt.timedelta(hours=24),
                                         dt.timedelta(hours=1))
    default: DeadlineRule = DeadlineRule(dt.timedelta(hours=24), dt.timedelta(days=7),
                                         dt.timedelta(hours=4), working_time=True)
    categories: Mapping[str, DeadlineRule] = field(default_factory=dict)
    calendar: WorkCalendar | None = None

    def rule(self, kind: TicketKind, category: str) -> DeadlineRule:
        if kind == TicketKind.EMERGENCY:
            return self.emergency
        if category in self.categories:
            return self.categories[category]
        return self.utility if category in UTILITIES else self.default

    def _moved(self, rule: DeadlineRule, moment: dt.datetime) -> dt.datetime:
        if rule.working_time and self.calendar is not None:
            return self.calendar.next_working(moment)
        return moment

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
    """The outcome of reporting a problem: a new ticket, or an open one it duplicates."""

    ticket: Ticket
    duplicate: bool


def next_number(session: Session, kind: TicketKind, now: dt.datetime) -> str:
    """The next human-friendly number, e.g. BX-20261121-0042 (per prefix and day)."""
    prefix, day = PREFIXES[kind], now.strftime("%Y%m%d")
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


def find_open_duplicate(session: Session, building: Building | None, category: str,
                        since: dt.datetime) -> Ticket | None:
    """An open ticket for the same building and category opened since ``since``."""
    if building is None:
        return None
    return session.scalar(
        select(Ticket).where(Ticket.building_id == building.id, Ticket.category == category,
                             Ticket.status.in_(OPEN), Ticket.created_at >= since)
        .order_by(Ticket.created_at).limit(1))


def open_ticket(session: Session, *, reporter: Person, kind: TicketKind, category: str,
                text: str, language: str, building: Building | None, unit: str | None,
                room: str | None, now: dt.datetime, deadlines: Deadlines,
                duplicate_window: dt.timedelta) -> Opened:
    """Open a ticket routed to the building's grid member, or join an open duplicate."""
    duplicate = find_open_duplicate(session, building, category, now - duplicate_window)
    if duplicate is not None and kind != TicketKind.EMERGENCY:
        if duplicate.reporter_id != reporter.id and session.get(
                TicketSubscriber, (duplicate.id, reporter.id)) is None:
            session.add(TicketSubscriber(ticket_id=duplicate.id, person_id=reporter.id))
            session.add(TicketEvent(ticket_id=duplicate.id, at=now, actor_id=reporter.id,
                                    kind="subscribed", note=text))
        return Opened(duplicate, duplicate=True)

    due = deadlines.due(kind, category, now)
    assignee = building.grid.grid_member if building is not None else None
    ticket = Ticket(
        number=next_number(session, kind, now), community_id=reporter.community_id, kind=kind,
        category=category, status=TicketStatus.ASSIGNED if assignee else TicketStatus.NEW,
        priority="urgent" if kind == TicketKind.EMERGENCY else "normal", text=text,
        language=language, building=building, unit=unit, room=room, reporter=reporter,
        assignee=assignee, created_at=now, respond_by=due.respond_by, escalate_by=due.escalate_by,
        resolve_by=due.resolve_by)
    session.add(ticket)
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=reporter.id, kind="created",
                            to_status=TicketStatus.NEW, note=text))
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


def reported_by(session: Session, person: Person, *, open_only: bool = False,
                limit: int = 10) -> Sequence[Ticket]:
    """A resident's own tickets (and those they subscribed to), newest first."""
    subscribed = select(TicketSubscriber.ticket_id).where(TicketSubscriber.person_id == person.id)
    query = select(Ticket).where((Ticket.reporter_id == person.id) | Ticket.id.in_(subscribed))
    if open_only:
        query = query.where(Ticket.status.in_((*OPEN, TicketStatus.RESOLVED)))
    return session.scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc())
                           .limit(limit)).all()


def queue(session: Session, assignee: Person) -> Sequence[Ticket]:
    """Open tickets assigned to a grid member, oldest deadline first."""
    return session.scalars(select(Ticket).where(Ticket.assignee_id == assignee.id,
                                                Ticket.status.in_(OPEN))
                           .order_by(Ticket.respond_by, Ticket.id)).all()


def subscribers(session: Session, ticket: Ticket) -> Sequence[Person]:
    """Everyone who should hear about the ticket: the reporter and subscribed residents."""
    others = session.scalars(select(Person).join(
        TicketSubscriber, TicketSubscriber.person_id == Person.id).where(
        TicketSubscriber.ticket_id == ticket.id)).all()
    return [ticket.reporter, *others]
