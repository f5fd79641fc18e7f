"""Conflicts of interest: a complaint about a grid member, a supervisor or a staff member never
goes to that person; it goes one level up and to the staff (DESIGN.md: Tickets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.database import remembered
from store.models import Building, Grid, Person, PersonRole, Role, Ticket
from store.parts import Parts
from store.people import on_duty_staff, with_role

#: Who stands above whom, the higher first: the highest person a complaint names decides.
_RANK = ("street_contact", "supervisor", "grid_member", "staff")
_ROLES = (Role.GRID_MEMBER, Role.SUPERVISOR, Role.STAFF, Role.STREET_CONTACT)


@dataclass(frozen=True, slots=True)
class Accused:
    """Whom a complaint is about (``person`` None: the office's staff in general) and who
    handles it instead, at which escalation level."""

    role: str
    person: Person | None
    handler: Person | None
    level: int


def _role_of(session: Session, person: Person) -> tuple[str, Grid | None]:
    grid = session.scalar(select(Grid).where(Grid.supervisor_id == person.id).limit(1))
    if grid is not None:
        return "supervisor", grid
    grid = session.scalar(select(Grid).where(Grid.grid_member_id == person.id).limit(1))
    if grid is not None:
        return "grid_member", grid
    if person.has_role(Role.STREET_CONTACT):
        return "street_contact", None
    return "staff", None


def _named(session: Session, text: str, community_id: int) -> Sequence[Person]:
    """The community's workers whose names the text says (two characters at least)."""
    lowered = text.lower()
    # Names only: every complaint asks, and nearly always nobody is named, so loading every
    # worker as a Person (with their roles) would be most of the complaint's cost.
    names = remembered(session, ("workers", community_id), lambda: session.execute(
        select(Person.id, Person.name).join(PersonRole).where(
            Person.community_id == community_id, PersonRole.role.in_(_ROLES))
        .distinct().order_by(Person.id)).all())
    named = [id_ for id_, name in names if len(name) >= 2 and name.lower() in lowered]
    return [person for id_ in named if (person := session.get(Person, id_)) is not None]


def _first(people: Sequence[Person], but: Person | None) -> Person | None:
    return next((p for p in people if but is None or p.id != but.id), None)


def complained_about(session: Session, parts: Parts, text: str, building: Building | None,
                     community_id: int) -> Accused | None:
    """Whom a complaint's words are about, by name or by role ("网格员", "the supervisor",
    "工作人员": the building's own), and who handles it instead; None if nobody."""
    grid = building.grid if building is not None else None
    found: list[tuple[str, Person | None, Grid | None]] = []
    for named in _named(session, text, community_id):
        role, their_grid = _role_of(session, named)
        found.append((role, named, their_grid))
    for role in parts.roles_named(text):
        person = None
        if grid is not None and role in ("grid_member", "supervisor"):
            person = grid.grid_member if role == "grid_member" else grid.supervisor
        found.append((role, person, grid))
    if not found:
        return None
    role, person, their_grid = min(found, key=lambda f: (_RANK.index(f[0]), f[1] is None))
    street = list(with_role(session, community_id, Role.STREET_CONTACT))
    home_grid = their_grid or grid
    supervisor = home_grid.supervisor if home_grid is not None else None
    if role == "street_contact":
        return Accused(role, person, None, 2)
    if role == "supervisor":
        return Accused(role, person, _first(street, person), 2)
    if supervisor is not None and (person is None or supervisor.id != person.id):
        return Accused(role, person, supervisor, 1)
    return Accused(role, person, _first(street, person), 2)


def may_know(ticket: Ticket, person: Person) -> bool:
    """Whether ``person`` may be told about, see and work ``ticket``: not the one it is
    about."""
    return ticket.accused_id is None or ticket.accused_id != person.id


def staff_told(session: Session, ticket: Ticket) -> list[Person]:
    """The staff on duty, but never the person the ticket is about."""
    return [p for p in on_duty_staff(session, ticket.community_id) if may_know(ticket, p)]


def escalation_targets(session: Session, ticket: Ticket, level: int) -> list[Person]:
    """Who hears of a ticket going to ``level``: 1, the building's supervisor (the street
    when the complaint is about that supervisor); 2, the street contacts; the staff on duty
    when there is nobody. Never the person a complaint is about."""
    grid = ticket.building.grid if ticket.building is not None else None
    supervisor = grid.supervisor if grid is not None else None
    if level <= 1 and supervisor is not None and may_know(ticket, supervisor):
        return [supervisor]
    if level >= 2 or supervisor is not None:
        street = [p for p in with_role(session, ticket.community_id, Role.STREET_CONTACT)
                  if may_know(ticket, p)]
        if street:
            return street
    return staff_told(session, ticket)
