"""What grid members and staff do with tickets, and the resident's rating that closes them."""

from __future__ import annotations

from typing import Any

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.notify import notify
from actions.ratings import ask_score, record_rating
from actions.tickets import ticket_values
from store.conflict import escalation_targets, may_know
from store.models import Person, Role, Ticket, TicketKind, TicketStatus
from store.tickets import (
    TicketError,
    add_note,
    assign,
    by_number,
    change_status,
    escalate,
    queue,
    subscribers,
)

_TARGET = {"accept": TicketStatus.ACKNOWLEDGED, "progress": TicketStatus.IN_PROGRESS,
           "resolve": TicketStatus.RESOLVED}
_FINISHED = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.CANCELLED,
                       TicketStatus.DUPLICATE})


def _may_handle(person: Person, ticket: Ticket) -> bool:
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


def _ticket_for_work(turn: Turn) -> Ticket:
    number = turn.entity("ticket_id")
    if not number:
        raise ActionRefusedError("utter_ask_ticket_number")
    ticket = by_number(turn.session, number)
    if ticket is None:
        raise ActionRefusedError("utter_work_ticket_not_found", ticket=number)
    if not _may_handle(turn.person, ticket):
        raise ActionRefusedError("utter_not_allowed")
    return ticket


class GridQueue(LinliAction):
    """A grid member's open tickets, oldest deadline first, each with its buttons."""

    def name(self) -> str:
        return "action_grid_queue"

    def act(self, turn: Turn) -> Events:
        if not (turn.person.has_role(Role.GRID_MEMBER) or turn.person.has_role(Role.STAFF)):
            raise ActionRefusedError("utter_not_allowed")
        tickets = queue(turn.session, turn.person)
        if not tickets:
            raise ActionRefusedError("utter_queue_empty")
        for ticket in tickets[:10]:
            turn.say("utter_queue_item", **ticket_values(turn.runtime, ticket, turn.language))
        return []


class UpdateTicket(LinliAction):
    """Accept, start, resolve, annotate or escalate a ticket; tell whoever should know."""

    def name(self) -> str:
        return "action_update_ticket"

    def act(self, turn: Turn) -> Events:
        command = str(turn.tracker.latest_message.get("intent", {}).get("name", ""))
        ticket = _ticket_for_work(turn)
        now = turn.runtime.now()
        note = turn.entity("note")
        values = ticket_values(turn.runtime, ticket, turn.language)
        if command == "note" or (command in _TARGET and ticket.status == _TARGET[command]
                                 and note):  # "/progress JJ-… 消防车到了" again: news, kept
            if not note:
                raise ActionRefusedError("utter_ask_note_text", **values)
            add_note(turn.session, ticket, actor=turn.person, now=now, note=note)
            turn.say("utter_note_added", ticket=ticket.number)
            return []
        if command == "escalate":
            try:
                level = escalate(turn.session, ticket, actor=turn.person, now=now, note=note)
            except TicketError:
                raise ActionRefusedError("utter_ticket_already_escalated", **values) from None
            self._escalated(turn, ticket, level)
            return []
        self._move(turn, ticket, _TARGET[command], note, values)
        turn.say("utter_ticket_updated", **ticket_values(turn.runtime, ticket, turn.language))
        # A resolution is told now; the satisfaction poll follows from the scheduler.
        for person in subscribers(turn.session, ticket):
            notify(turn, person, "utter_notify_status",
                   f"ticket:{ticket.number}:{ticket.status}:{ticket.resolved_at}:{person.id}",
                   **ticket_values(turn.runtime, ticket, person.language or "zh"),
                   note=note or "")
        return []

    @staticmethod
    def _move(turn: Turn, ticket: Ticket, target: TicketStatus, note: str | None,
              values: dict[str, Any]) -> None:
        """Change the state, or say in plain words why not (each refusal its own answer);
        ``values`` are the ticket's as it stands."""
        if ticket.status == target:
            raise ActionRefusedError("utter_ticket_already", **values)
        if ticket.status in _FINISHED:
            raise ActionRefusedError("utter_ticket_finished", **values)
        now = turn.runtime.now()
        try:
            if ticket.assignee is None or ticket.status == TicketStatus.REOPENED:
                # Nobody holds it yet (an emergency before its place was known): whoever
                # works it takes it, assigned first so that the events tell who did.
                assign(turn.session, ticket, ticket.assignee or turn.person, actor=turn.person,
                       now=now)
            change_status(turn.session, ticket, target, actor=turn.person, now=now, note=note)
        except TicketError:
            raise ActionRefusedError("utter_ticket_cannot_move", **values, target=turn.runtime
                                     .responses.label("status", target.value, turn.language)
                                     ) from None

    @staticmethod
    def _escalated(turn: Turn, ticket: Ticket, level: int) -> None:
        for person in escalation_targets(turn.session, ticket, level):
            notify(turn, person, "utter_notify_escalated",
                   f"ticket:{ticket.number}:escalated:{level}:{person.id}",
                   **ticket_values(turn.runtime, ticket, person.language or "zh"))
        turn.say("utter_ticket_escalated", ticket=ticket.number,
                 level_name=turn.runtime.responses.label("level", str(level), turn.language))


class RecordRating(LinliAction):
    """The resident's answer to the satisfaction poll from its buttons
    (``/rate{"ticket_id": …, "rating": …}``; without a rating, the question is asked again)."""

    def name(self) -> str:
        return "action_record_rating"

    def act(self, turn: Turn) -> Events:
        number, rating_text = turn.entity("ticket_id"), turn.entity("rating")
        ticket = by_number(turn.session, number) if number else None
        if ticket is None or turn.person.id not in {p.id for p in subscribers(turn.session,
                                                                              ticket)}:
            raise ActionRefusedError("utter_ticket_not_found")
        if ticket.status != TicketStatus.RESOLVED or (
                rating_text and rating_text not in ("0", "1", "2", "3", "4", "5")):
            raise ActionRefusedError("utter_rating_not_needed",
                                     **ticket_values(turn.runtime, ticket, turn.language))
        if not rating_text:
            ask_score(turn, ticket)
        else:
            record_rating(turn, ticket, int(rating_text))
        return []
