"""Working a ticket: accept, progress, resolve, note, escalate, assign (reassign) and reply to the
resident — one rule set for the chat's work commands (actions/gridwork.py) and the staff
console (``POST /console/api/tickets/{number}/actions``).

``perform`` changes the ticket, writes its events and the outbox rows telling whoever should
know, in the caller's transaction, and returns the answer for the one who acted (a response
name and its values, rendered by the chat or the console). A refusal is an
``ActionRefusedError`` naming the response that says why. A resolution is told to the
resident at once; the satisfaction poll follows from the scheduler (bot/scheduler/jobs.py,
``polls``), whichever way the ticket was resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from actions.base import ActionRefusedError
from actions.names import person_name
from actions.notify import notify_person
from actions.runtime import Runtime
from actions.tickets import ticket_values
from store.conflict import escalation_targets, may_know
from store.models import Person, Role, Ticket, TicketEvent, TicketKind, TicketStatus
from store.tickets import (
    OPEN,
    TicketError,
    add_note,
    assign,
    by_number,
    change_status,
    escalate,
    subscribers,
)

#: What can be done to a ticket, by name (the chat's commands, the console's ``action``).
ACTIONS = ("accept", "progress", "resolve", "note", "escalate", "assign", "reply")
_TARGET = {"accept": TicketStatus.ACKNOWLEDGED, "progress": TicketStatus.IN_PROGRESS,
           "resolve": TicketStatus.RESOLVED}
_FINISHED = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.CANCELLED,
                       TicketStatus.DUPLICATE})


@dataclass(frozen=True, slots=True)
class Done:
    """What the one who acted is told: ``response`` with ``values``."""

    ticket: Ticket
    response: str
    values: dict[str, Any]


def may_handle(person: Person, ticket: Ticket) -> bool:
    """Whether ``person`` may work ``ticket``: its assignee, staff, its grid's member or
    supervisor, or the grid member on duty for an emergency or a ticket nobody holds; never
    the one a complaint is about."""
    if not may_know(ticket, person):
        return False  # a complaint about them is never theirs to see or work
    if ticket.assignee_id == person.id or person.has_role(Role.STAFF):
        return True
    grid = ticket.building.grid if ticket.building is not None else None
    if grid is not None and person.id in (grid.supervisor_id, grid.grid_member_id):
        return True
    # The grid member on duty is alerted to every emergency, before anyone knows where it is,
    # and may take it (or a ticket nobody holds) as the first to get there.
    return person.on_duty and person.has_role(Role.GRID_MEMBER) and (
        ticket.assignee_id is None or ticket.kind == TicketKind.EMERGENCY)


def may_reassign(person: Person, ticket: Ticket) -> bool:
    """Giving a ticket to someone else is for staff and the grid's supervisor."""
    if not may_know(ticket, person):
        return False
    grid = ticket.building.grid if ticket.building is not None else None
    return person.has_role(Role.STAFF) or (grid is not None and grid.supervisor_id == person.id)


def ticket_for_work(session: Session, actor: Person, number: str | None) -> Ticket:
    """The ticket ``number`` if ``actor`` may work it; else the refusal that says why."""
    if not number:
        raise ActionRefusedError("utter_ask_ticket_number")
    ticket = by_number(session, number)
    if ticket is None or ticket.community_id != actor.community_id:
        raise ActionRefusedError("utter_work_ticket_not_found", ticket=number)
    if not may_handle(actor, ticket):
        raise ActionRefusedError("utter_not_allowed")
    return ticket


def perform(session: Session, runtime: Runtime, actor: Person, number: str | None,
            action: str, *, language: str, note: str | None = None,
            to: Person | None = None, reference: str | None = None) -> Done:
    """Do ``action`` (one of ``ACTIONS``) to ticket ``number`` as ``actor``. ``note`` is the
    resolution note, the note, the escalation reason or the reply; ``to`` whom ``assign``
    gives it to; ``reference`` tells one reply from another (the chat's message id)."""
    if action not in ACTIONS:
        raise ActionRefusedError("utter_not_allowed")
    ticket = ticket_for_work(session, actor, number)
    note = (note or "").strip() or None
    values = ticket_values(runtime, ticket, language)
    if action == "note" or (action in _TARGET and ticket.status == _TARGET[action]
                            and note):  # "/progress JJ-… 消防车到了" again: news, kept
        if not note:
            raise ActionRefusedError("utter_ask_note_text", **values)
        add_note(session, ticket, actor=actor, now=runtime.now(), note=note)
        return Done(ticket, "utter_note_added", {"ticket": ticket.number})
    if action == "escalate":
        return _escalate(session, runtime, actor, ticket, note, language, values)
    if action == "assign":
        return _reassign(session, runtime, actor, ticket, to, language, values)
    if action == "reply":
        return _reply(session, runtime, actor, ticket, note, language, values, reference)
    _move(session, runtime, actor, ticket, _TARGET[action], note, language, values)
    # A resolution is told now; the satisfaction poll follows from the scheduler.
    for person in subscribers(session, ticket):
        notify_person(session, runtime, person, "utter_notify_status",
                      f"ticket:{ticket.number}:{ticket.status}:{ticket.resolved_at}:{person.id}",
                      **ticket_values(runtime, ticket, person.language or "zh"),
                      note=note or "")
    return Done(ticket, "utter_ticket_updated", ticket_values(runtime, ticket, language))


def _move(session: Session, runtime: Runtime, actor: Person, ticket: Ticket,
          target: TicketStatus, note: str | None, language: str,
          values: dict[str, Any]) -> None:
    """Change the state, or say in plain words why not (each refusal its own answer);
    ``values`` are the ticket's as it stands."""
    if ticket.status == target:
        raise ActionRefusedError("utter_ticket_already", **values)
    if ticket.status in _FINISHED:
        raise ActionRefusedError("utter_ticket_finished", **values)
    now = runtime.now()
    try:
        if ticket.assignee is None or ticket.status == TicketStatus.REOPENED:
            # Nobody holds it yet (an emergency before its place was known): whoever works
            # it takes it, assigned first so that the events tell who did.
            assign(session, ticket, ticket.assignee or actor, actor=actor, now=now)
        change_status(session, ticket, target, actor=actor, now=now, note=note)
    except TicketError:
        raise ActionRefusedError("utter_ticket_cannot_move", **values, target=runtime
                                 .responses.label("status", target.value, language)
                                 ) from None


def _escalate(session: Session, runtime: Runtime, actor: Person, ticket: Ticket,
              note: str | None, language: str, values: dict[str, Any]) -> Done:
    try:
        level = escalate(session, ticket, actor=actor, now=runtime.now(), note=note)
    except TicketError:
        raise ActionRefusedError("utter_ticket_already_escalated", **values) from None
    for person in escalation_targets(session, ticket, level):
        notify_person(session, runtime, person, "utter_notify_escalated",
                      f"ticket:{ticket.number}:escalated:{level}:{person.id}",
                      **ticket_values(runtime, ticket, person.language or "zh"))
    return Done(ticket, "utter_ticket_escalated", {
        "ticket": ticket.number,
        "level_name": runtime.responses.label("level", str(level), language)})


def _reassign(session: Session, runtime: Runtime, actor: Person, ticket: Ticket,
              to: Person | None, language: str, values: dict[str, Any]) -> Done:
    """Give an open ticket to another grid member (staff or the grid's supervisor), who is
    told as of a new ticket; never to the one a complaint is about."""
    if not may_reassign(actor, ticket):
        raise ActionRefusedError("utter_not_allowed")
    if ticket.status not in OPEN:
        raise ActionRefusedError("utter_ticket_finished", **values)
    if to is None or to.community_id != ticket.community_id or not may_know(ticket, to) \
            or not (to.has_role(Role.GRID_MEMBER) or to.has_role(Role.SUPERVISOR)
                    or to.has_role(Role.STAFF)):
        raise ActionRefusedError("utter_not_allowed")
    if ticket.assignee_id == to.id:
        raise ActionRefusedError("utter_ticket_already", **values)
    now = runtime.now()
    if ticket.status in (TicketStatus.NEW, TicketStatus.REOPENED):
        assign(session, ticket, to, actor=actor, now=now)
    else:
        # Assigned, accepted or in progress: the work goes on with someone else, in the same
        # state (the deadlines stay: the resident waits no longer for the change).
        ticket.assignee = to
        session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor.id,
                                kind="assigned", from_status=ticket.status,
                                to_status=ticket.status, note=to.name))
    notify_person(session, runtime, to, "utter_notify_new_ticket",
                  f"ticket:{ticket.number}:assigned:{to.id}:{now.isoformat()}",
                  urgent=ticket.kind == TicketKind.EMERGENCY,
                  **ticket_values(runtime, ticket, to.language or "zh"))
    return Done(ticket, "utter_ticket_updated", ticket_values(runtime, ticket, language))


def _reply(session: Session, runtime: Runtime, actor: Person, ticket: Ticket,
           text: str | None, language: str, values: dict[str, Any],
           reference: str | None) -> Done:
    """A message to the reporter (and the households that joined the ticket) about it, kept
    on the ticket as a ``reply`` event."""
    if not text:
        raise ActionRefusedError("utter_ask_reply")
    now = runtime.now()
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor.id, kind="reply",
                            note=text))
    session.flush()
    key = reference or now.isoformat()
    for person in subscribers(session, ticket):
        notify_person(session, runtime, person, "utter_staff_reply",
                      f"ticket:{ticket.number}:reply:{key}:{person.id}", staff=actor.name,
                      message=f"{ticket.number} {text}")
    names = ", ".join(person_name(runtime, p, language) for p in subscribers(session, ticket))
    return Done(ticket, "utter_reply_sent", {**values, "resident": names})
