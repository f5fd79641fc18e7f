"""The staff board: the open tickets a viewer may see, most urgent first, a page at a time;
and one ticket in full (events, photos, contact, subscribers, deadlines, the conversation).

The chat's ``/queue`` and the console's ``/console/api/tickets`` both read this, so both show
the same tickets in the same order to the same people.

Order: emergencies and tickets whose reporter is talking to staff (an open handoff) first; then
overdue or escalated ones; then the rest. Within each, the next deadline (the response while
unanswered, else the resolution), oldest first; then the id. Pages are cut by keyset (the last
row's sort key), so a page costs the same however deep it is, and a cursor carries the moment
the first page was judged at, so a ticket turning overdue meanwhile does not move between pages.

Who sees what (DESIGN.md, Console roles): staff and admins all tickets; a supervisor the grids
they supervise; a grid member their grids and whatever is assigned to them; a street contact
what has been escalated to the street (吹哨). Never anyone the ticket complains about.

Functions take a session and never commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from store.masking import mask_sensitive
from store.models import (
    Building,
    Grid,
    Handoff,
    Person,
    Role,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TicketSubscriber,
    TranscriptMessage,
    UtcDateTime,
)
from store.tickets import OPEN, by_number

#: Sort ranks: the first screen of the board.
URGENT, LATE, ON_TIME = 0, 1, 2
#: Deadline of a ticket with none, so that it sorts last within its rank.
NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
#: How much of a report the list shows.
SUMMARY = 80
#: The conversation around the message that opened a ticket.
CONVERSATION_BEFORE = dt.timedelta(minutes=30)
CONVERSATION_AFTER = dt.timedelta(minutes=10)
CONVERSATION_ROWS = 60
_ALL_ROLES = (Role.STAFF, Role.ADMIN)


class BoardError(ValueError):
    """A board request that cannot be answered (a cursor that is not one)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks: a community person (chat), or a console account, which may be no person.
    ``roles`` are role names (``Role`` values)."""

    community_id: int
    roles: frozenset[str]
    person_id: int | None = None

    @classmethod
    def of(cls, person: Person) -> Viewer:
        return cls(person.community_id, frozenset(str(r.role) for r in person.roles), person.id)

    @property
    def sees_all(self) -> bool:
        return any(role in self.roles for role in _ALL_ROLES)


@dataclass(frozen=True, slots=True)
class Scope:
    """The part of the community a viewer's board covers."""

    everything: bool
    grid_ids: frozenset[int] = frozenset()
    person_id: int | None = None
    street: bool = False

    @property
    def empty(self) -> bool:
        return not (self.everything or self.grid_ids or self.person_id is not None
                    or self.street)


def scope_of(session: Session, viewer: Viewer) -> Scope:
    """What ``viewer`` may see: staff everything; others their grids (as grid member or
    supervisor), their own tickets, and the street's share for a street contact."""
    if viewer.sees_all:
        return Scope(True, person_id=viewer.person_id)
    grids: set[int] = set()
    if viewer.person_id is not None:
        # The grid table, not the role, says whose grids they are.
        grids.update(session.scalars(select(Grid.id).where(
            Grid.community_id == viewer.community_id,
            or_(Grid.supervisor_id == viewer.person_id,
                Grid.grid_member_id == viewer.person_id))))
    works = bool(grids) or bool(
        {Role.SUPERVISOR, Role.GRID_MEMBER, Role.STREET_CONTACT} & viewer.roles)
    return Scope(False, frozenset(grids), viewer.person_id if works else None,
                 street=Role.STREET_CONTACT in viewer.roles)


@dataclass(frozen=True, slots=True)
class Filters:
    """What the board shows; an empty collection means any."""

    grids: Collection[str] = ()
    statuses: Collection[TicketStatus] = ()
    categories: Collection[str] = ()
    kinds: Collection[TicketKind] = ()
    overdue: bool | None = None
    escalated: bool | None = None
    unassigned: bool | None = None

    def __post_init__(self) -> None:
        closed = [s for s in self.statuses if s not in OPEN]
        if closed:
            raise BoardError(f"the board shows open tickets; {closed[0]} is not open")


@dataclass(frozen=True, slots=True)
class BoardItem:
    number: str
    kind: TicketKind
    category: str
    status: TicketStatus
    escalation_level: int
    grid: str | None
    building: str | None
    unit: str | None
    summary: str  # the report, cut and with phone numbers masked
    assignee: str | None
    created_at: dt.datetime
    respond_by: dt.datetime | None
    resolve_by: dt.datetime | None
    acknowledged_at: dt.datetime | None
    overdue: bool
    handoff: bool  # the reporter is talking to staff now
    rank: int
    deadline: dt.datetime | None  # the next one: response while unanswered, else resolution

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "kind": str(self.kind), "category": self.category,
                "status": str(self.status), "escalation_level": self.escalation_level,
                "grid": self.grid, "building": self.building, "unit": self.unit,
                "summary": self.summary, "assignee": self.assignee,
                "created_at": iso(self.created_at), "respond_by": iso(self.respond_by),
                "resolve_by": iso(self.resolve_by),
                "acknowledged_at": iso(self.acknowledged_at), "overdue": self.overdue,
                "handoff": self.handoff, "urgent": self.rank == URGENT,
                "deadline": iso(self.deadline)}


@dataclass(frozen=True, slots=True)
class BoardPage:
    items: Sequence[BoardItem]
    next: str | None  # the cursor of the following page; None on the last
    as_of: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        """As ``GET /console/api/tickets`` answers: ``{"items", "next", "as_of"}``."""
        return {"items": [item.as_dict() for item in self.items], "next": self.next,
                "as_of": self.as_of.isoformat()}


def iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# -- the sort key ----------------------------------------------------------------------------

def _overdue(as_of: dt.datetime) -> ColumnElement[bool]:
    # As store.rates.load_by_grid counts it: an unanswered response due, or a resolution due.
    return or_(and_(Ticket.acknowledged_at.is_(None), Ticket.respond_by <= as_of),
               Ticket.resolve_by <= as_of)


def _handoff_open() -> ColumnElement[bool]:
    # Not correlated: the database reads the few open handoffs once (a hashed subplan), rather
    # than looking them up again for each open ticket it ranks.
    return Ticket.reporter_id.in_(
        select(Handoff.resident_id).where(Handoff.ended_at.is_(None)).scalar_subquery())


def _rank(as_of: dt.datetime) -> ColumnElement[int]:
    return case((or_(Ticket.kind == TicketKind.EMERGENCY, _handoff_open()), URGENT),
                (or_(_overdue(as_of), Ticket.escalation_level > 0), LATE), else_=ON_TIME)


def _deadline() -> ColumnElement[dt.datetime]:
    upcoming = case((Ticket.acknowledged_at.is_(None), Ticket.respond_by),
                    else_=Ticket.resolve_by)
    return func.coalesce(upcoming, literal(NEVER, UtcDateTime()), type_=UtcDateTime())


def _after(rank: ColumnElement[int], deadline: ColumnElement[dt.datetime],
           key: tuple[int, dt.datetime, int]) -> ColumnElement[bool]:
    last_rank, last_deadline, last_id = key
    return or_(rank > last_rank,
               and_(rank == last_rank, or_(deadline > last_deadline,
                                           and_(deadline == last_deadline,
                                                Ticket.id > last_id))))


def _encode(as_of: dt.datetime, key: tuple[int, dt.datetime, int]) -> str:
    raw = json.dumps([as_of.isoformat(), key[0], key[1].isoformat(), key[2]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, tuple[int, dt.datetime, int]]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        as_of, rank, deadline, last_id = json.loads(raw)
        moments = dt.datetime.fromisoformat(as_of), dt.datetime.fromisoformat(deadline)
        if any(m.utcoffset() is None for m in moments) or not isinstance(rank, int) \
                or not isinstance(last_id, int):
            raise ValueError("not a cursor")
        return moments[0], (rank, moments[1], last_id)
    except (ValueError, TypeError) as error:
        raise BoardError(f"not a board cursor: {cursor[:40]!r}") from error


# -- who and what ----------------------------------------------------------------------------

def _in_scope(scope: Scope, community_id: int) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [Ticket.community_id == community_id]
    if scope.person_id is not None:
        conditions.append(Ticket.accused_id.is_distinct_from(scope.person_id))
    if scope.everything:
        return and_(*conditions)
    reach: list[ColumnElement[bool]] = []
    if scope.grid_ids:
        reach.append(Ticket.building_id.in_(select(Building.id).where(
            Building.grid_id.in_(sorted(scope.grid_ids))).scalar_subquery()))
    if scope.person_id is not None:
        reach.append(Ticket.assignee_id == scope.person_id)
    if scope.street:
        reach.append(Ticket.escalation_level >= 2)
    return and_(*conditions, or_(*reach) if reach else false())


def _filtered(query: Select[*tuple[Any, ...]], filters: Filters,
              as_of: dt.datetime) -> Select[*tuple[Any, ...]]:
    statuses = list(filters.statuses) or list(OPEN)
    query = query.where(Ticket.status.in_(statuses))
    if filters.grids:
        query = query.where(Grid.code.in_([g.upper() for g in filters.grids]))
    if filters.categories:
        query = query.where(Ticket.category.in_(list(filters.categories)))
    if filters.kinds:
        query = query.where(Ticket.kind.in_(list(filters.kinds)))
    for wanted, condition in ((filters.overdue, _overdue(as_of)),
                              (filters.escalated, Ticket.escalation_level > 0),
                              (filters.unassigned, Ticket.assignee_id.is_(None))):
        if wanted is not None:
            query = query.where(condition if wanted else ~condition)
    return query


def board(session: Session, viewer: Viewer, filters: Filters = Filters(), *,
          as_of: dt.datetime, limit: int = 50, cursor: str | None = None) -> BoardPage:
    """One page of the open tickets ``viewer`` may see, most urgent first (module doc)."""
    if as_of.utcoffset() is None:
        raise ValueError("the board needs an aware datetime")
    after: tuple[int, dt.datetime, int] | None = None
    if cursor:
        as_of, after = _decode(cursor)
    scope = scope_of(session, viewer)
    if scope.empty:
        return BoardPage([], None, as_of)
    limit = max(1, min(limit, 500))
    rank, deadline = _rank(as_of), _deadline()
    # First the page's sort keys, from the open tickets' columns alone (on PostgreSQL the
    # partial index ix_ticket_open_board holds them all); then only the page's rows in full.
    keys = (select(Ticket.id.label("id"), rank.label("rank"), deadline.label("deadline"))
            .select_from(Ticket)
            .outerjoin(Building, Ticket.building_id == Building.id)
            .outerjoin(Grid, Building.grid_id == Grid.id)
            .where(_in_scope(scope, viewer.community_id)))
    keys = _filtered(keys, filters, as_of)
    if after is not None:
        keys = keys.where(_after(rank, deadline, after))
    page = keys.order_by(rank, deadline, Ticket.id).limit(limit + 1).subquery("page")
    assignee = aliased(Person)
    query = (select(Ticket.id, Ticket.number, Ticket.kind, Ticket.category, Ticket.status,
                    Ticket.escalation_level, Grid.code, Building.number, Ticket.unit,
                    func.substr(Ticket.text, 1, SUMMARY + 1), assignee.name,
                    Ticket.created_at, Ticket.respond_by, Ticket.resolve_by,
                    Ticket.acknowledged_at, _overdue(as_of), _handoff_open(), page.c.rank,
                    page.c.deadline)
             .select_from(page)
             .join(Ticket, Ticket.id == page.c.id)
             .outerjoin(Building, Ticket.building_id == Building.id)
             .outerjoin(Grid, Building.grid_id == Grid.id)
             .outerjoin(assignee, Ticket.assignee_id == assignee.id))
    rows = session.execute(query.order_by(page.c.rank, page.c.deadline, page.c.id)).all()
    items = [_item(row) for row in rows[:limit]]
    following = None
    if len(rows) > limit:
        last = rows[limit - 1]
        following = _encode(as_of, (int(last[17]), last[18], int(last[0])))
    return BoardPage(items, following, as_of)


def _item(row: Any) -> BoardItem:
    (_, number, kind, category, status, level, grid, building, unit, text, assignee, created,
     respond_by, resolve_by, acknowledged, overdue, handoff, rank, deadline) = row
    summary = mask_sensitive(text[:SUMMARY] + ("…" if len(text) > SUMMARY else ""))
    return BoardItem(number, TicketKind(kind), category, TicketStatus(status), int(level), grid,
                     building, unit, summary, assignee, created, respond_by, resolve_by,
                     acknowledged, bool(overdue), bool(handoff), int(rank),
                     None if deadline == NEVER else deadline)


@dataclass(frozen=True, slots=True)
class BoardCounts:
    """The board's headline: how many open, how many of them urgent, late, escalated, held by
    nobody; and the open handoffs the viewer answers."""

    open: int
    emergencies: int
    overdue: int
    escalated: int
    unassigned: int
    handoffs: int


def counts(session: Session, viewer: Viewer, filters: Filters = Filters(), *,
           as_of: dt.datetime, waiting: Sequence[HandoffItem] | None = None) -> BoardCounts:
    """The headline of ``viewer``'s board; ``waiting`` is their ``open_handoffs`` when the
    caller has read them already (the console shows them too), so they are read once."""
    scope = scope_of(session, viewer)
    if scope.empty:
        return BoardCounts(0, 0, 0, 0, 0, 0)
    query = (select(func.count(), func.count().filter(Ticket.kind == TicketKind.EMERGENCY),
                    func.count().filter(_overdue(as_of)),
                    func.count().filter(Ticket.escalation_level > 0),
                    func.count().filter(Ticket.assignee_id.is_(None)))
             .select_from(Ticket)
             .outerjoin(Building, Ticket.building_id == Building.id)
             .outerjoin(Grid, Building.grid_id == Grid.id)
             .where(_in_scope(scope, viewer.community_id)))
    total, emergencies, overdue, escalated, unassigned = (
        int(n) for n in session.execute(_filtered(query, filters, as_of)).one())
    if waiting is None:
        waiting = open_handoffs(session, viewer)
    return BoardCounts(total, emergencies, overdue, escalated, unassigned, len(waiting))


# -- handoffs --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HandoffItem:
    id: int
    resident: str
    resident_id: int
    staff: str | None  # who answered first; None: nobody yet
    started_at: dt.datetime
    last_activity_at: dt.datetime
    relayed: int


def open_handoffs(session: Session, viewer: Viewer) -> Sequence[HandoffItem]:
    """Residents talking to staff now, waiting longest first: staff answer them, so only staff
    (and admins) see them."""
    if not viewer.sees_all:
        return []
    resident, staff = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Handoff.id, resident.name, Handoff.resident_id, staff.name, Handoff.started_at,
               Handoff.last_activity_at, Handoff.relayed)
        .join(resident, Handoff.resident_id == resident.id)
        .outerjoin(staff, Handoff.staff_id == staff.id)
        .where(Handoff.community_id == viewer.community_id, Handoff.ended_at.is_(None))
        .order_by(Handoff.staff_id.is_not(None), Handoff.started_at, Handoff.id)).all()
    return [HandoffItem(*row) for row in rows]


# -- one ticket ------------------------------------------------------------------------------

def may_see(session: Session, viewer: Viewer, ticket: Ticket) -> bool:
    """Whether ``ticket`` is on ``viewer``'s board (closed ones included)."""
    scope = scope_of(session, viewer)
    if ticket.community_id != viewer.community_id or scope.empty:
        return False
    if viewer.person_id is not None and ticket.accused_id == viewer.person_id:
        return False
    if scope.everything:
        return True
    grid_id = ticket.building.grid_id if ticket.building is not None else None
    return (grid_id in scope.grid_ids or (scope.person_id is not None and ticket.assignee_id
                                          == scope.person_id)
            or (scope.street and ticket.escalation_level >= 2))


def may_contact(viewer: Viewer, ticket: Ticket) -> bool:
    """Whether ``viewer`` handles ``ticket`` and so reads the reporter's phone and words
    unmasked (DESIGN.md, privacy): staff, its assignee, its grid's member and supervisor."""
    if viewer.person_id is not None and ticket.accused_id == viewer.person_id:
        return False
    if Role.STAFF in viewer.roles:
        return True
    if viewer.person_id is None:
        return False
    grid = ticket.building.grid if ticket.building is not None else None
    return viewer.person_id == ticket.assignee_id or (
        grid is not None and viewer.person_id in (grid.grid_member_id, grid.supervisor_id))


@dataclass(frozen=True, slots=True)
class EventLine:
    at: dt.datetime
    actor: str | None
    kind: str
    from_status: str | None
    to_status: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Photo:
    channel: str
    file_id: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Said:
    """One line of the conversation that opened a ticket."""

    id: int
    at: dt.datetime
    direction: str
    text: str
    intent: str | None


@dataclass(frozen=True, slots=True)
class TicketDetail:
    number: str
    kind: TicketKind
    category: str
    status: TicketStatus
    priority: str
    escalation_level: int
    text: str
    language: str
    grid: str | None
    building: str | None
    unit: str | None
    room: str | None
    reporter: str
    reporter_phone: str | None  # masked unless the viewer handles the ticket
    contact_visible: bool
    assignee: str | None
    subscribers: Sequence[str]
    created_at: dt.datetime
    respond_by: dt.datetime | None
    escalate_by: dt.datetime | None
    resolve_by: dt.datetime | None
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    rating: int | None
    overdue: bool
    events: Sequence[EventLine]
    photos: Sequence[Photo]
    conversation: Sequence[Said] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """As ``GET /console/api/tickets/{number}`` answers (moments in ISO 8601)."""
        plain = {name: getattr(self, name) for name in (
            "number", "category", "priority", "escalation_level", "text", "language", "grid",
            "building", "unit", "room", "reporter", "reporter_phone", "contact_visible",
            "assignee", "rating", "overdue")}
        return {**plain, "kind": str(self.kind), "status": str(self.status),
                "subscribers": list(self.subscribers),
                **{name: iso(getattr(self, name)) for name in (
                    "created_at", "respond_by", "escalate_by", "resolve_by", "acknowledged_at",
                    "resolved_at", "closed_at")},
                "events": [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind,
                            "from": e.from_status, "to": e.to_status, "note": e.note}
                           for e in self.events],
                "photos": [{"channel": p.channel, "file_id": p.file_id, "at": p.at.isoformat()}
                           for p in self.photos],
                "conversation": [{"id": m.id, "at": m.at.isoformat(), "direction": m.direction,
                                  "text": m.text, "intent": m.intent}
                                 for m in self.conversation]}


def detail(session: Session, viewer: Viewer, number: str, *,
           as_of: dt.datetime) -> TicketDetail | None:
    """Everything about one ticket for ``viewer``; None if there is no such ticket or it is
    not theirs to see (the caller need not say which)."""
    ticket = by_number(session, number)
    if ticket is None or not may_see(session, viewer, ticket):
        return None
    contact = may_contact(viewer, ticket)

    def shown(text: str | None) -> str | None:
        return text if contact or text is None else mask_sensitive(text)

    actor = aliased(Person)
    events = [EventLine(at, name, kind, str(f) if f else None, str(t) if t else None,
                        shown(note))
              for at, name, kind, f, t, note in session.execute(
                  select(TicketEvent.at, actor.name, TicketEvent.kind, TicketEvent.from_status,
                         TicketEvent.to_status, TicketEvent.note)
                  .outerjoin(actor, TicketEvent.actor_id == actor.id)
                  .where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]
    photos = [Photo(a.channel, a.file_id, a.created_at) for a in session.scalars(
        select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
        .order_by(TicketAttachment.id))]
    subscribed = session.scalars(select(Person.name).join(
        TicketSubscriber, TicketSubscriber.person_id == Person.id)
        .where(TicketSubscriber.ticket_id == ticket.id).order_by(Person.id)).all()
    phone = ticket.reporter.phone
    overdue = ticket.status in OPEN and (
        (ticket.acknowledged_at is None and ticket.respond_by is not None
         and ticket.respond_by <= as_of)
        or (ticket.resolve_by is not None and ticket.resolve_by <= as_of))
    building = ticket.building
    return TicketDetail(
        number=ticket.number, kind=ticket.kind, category=ticket.category, status=ticket.status,
        priority=ticket.priority, escalation_level=ticket.escalation_level,
        text=shown(ticket.text) or "", language=ticket.language,
        grid=building.grid.code if building is not None else None,
        building=building.number if building is not None else None, unit=ticket.unit,
        room=ticket.room if contact else None, reporter=ticket.reporter.name,
        reporter_phone=phone if contact or phone is None else mask_sensitive(phone),
        contact_visible=contact,
        assignee=ticket.assignee.name if ticket.assignee is not None else None,
        subscribers=list(subscribed), created_at=ticket.created_at,
        respond_by=ticket.respond_by, escalate_by=ticket.escalate_by,
        resolve_by=ticket.resolve_by, acknowledged_at=ticket.acknowledged_at,
        resolved_at=ticket.resolved_at, closed_at=ticket.closed_at, rating=ticket.rating,
        overdue=overdue, events=events, photos=photos,
        conversation=[Said(s.id, s.at, str(s.direction), shown(s.text) or "",
                           _intent(s.parse)) for s in conversation(session, ticket)])


def _intent(parse: dict[str, Any] | None) -> str | None:
    name = ((parse or {}).get("intent") or {}).get("name")
    return str(name) if name else None


def conversation(session: Session, ticket: Ticket) -> Sequence[TranscriptMessage]:
    """The chat that opened ``ticket``: its reporter's chat from a while before the report to
    a little after, in order. By the message that opened it when known (the same chat), else
    by the reporter around the ticket's creation."""
    source = session.get(TranscriptMessage, ticket.source_message_id) \
        if ticket.source_message_id is not None else None
    around = source.at if source is not None else ticket.created_at
    query = select(TranscriptMessage).where(
        TranscriptMessage.at >= around - CONVERSATION_BEFORE,
        TranscriptMessage.at <= around + CONVERSATION_AFTER)
    if source is not None:
        query = query.where(TranscriptMessage.channel == source.channel,
                            TranscriptMessage.chat_id == source.chat_id)
    else:
        replies = select(TranscriptMessage.id).where(
            TranscriptMessage.person_id == ticket.reporter_id)
        query = query.where(or_(TranscriptMessage.person_id == ticket.reporter_id,
                                TranscriptMessage.reply_to_id.in_(replies)))
    rows = session.scalars(query.order_by(TranscriptMessage.at.desc(),
                                          TranscriptMessage.id.desc())
                           .limit(CONVERSATION_ROWS)).all()
    return list(reversed(rows))
