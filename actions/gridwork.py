"""What grid members and staff do with tickets, and the resident's rating that closes them."""

from __future__ import annotations

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.notify import notify
from actions.tickets import ticket_values
from store.models import Person, Role, Ticket, TicketStatus
from store.people import with_role
from store.tickets import (
    TicketError,
    add_note,
    by_number,
    change_status,
    escalate,
    queue,
    subscribers,
)

_TARGET = {"accept": TicketStatus.ACKNOWLEDGED, "progress": TicketStatus.IN_PROGRESS,
           "resolve": TicketStatus.RESOLVED}


def _may_handle(person: Person, ticket: Ticket) -> bool:
    return ticket.assignee_id == person.id or person.has_role(Role.STAFF) or (
        ticket.building is not None and ticket.building.grid.supervisor_id == person.id)


def _ticket_for_work(turn: Turn) -> Ticket:
    number = turn.entity("ticket_id")
    if not number:
        raise ActionRefusedError("utter_ask_ticket_number")
    ticket = by_number(turn.session, number)
    if ticket is None or not _may_handle(turn.person, ticket):
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
        try:
            if command == "note":
                if not note:
                    raise ActionRefusedError("utter_ask_ticket_number")
                add_note(turn.session, ticket, actor=turn.person, now=now, note=note)
                turn.say("utter_note_added", ticket=ticket.number)
                return []
            if command == "escalate":
                level = escalate(turn.session, ticket, actor=turn.person, now=now, note=note)
                self._escalated(turn, ticket, level)
                return []
            change_status(turn.session, ticket, _TARGET[command], actor=turn.person, now=now,
                          note=note)
        except TicketError:
            raise ActionRefusedError("utter_ticket_cannot_cancel",
                                     **ticket_values(turn.runtime, ticket, turn.language)) from None
        turn.say("utter_ticket_updated", **ticket_values(turn.runtime, ticket, turn.language))
        # A resolution is told now; the satisfaction poll follows from the scheduler.
        for person in subscribers(turn.session, ticket):
            notify(turn, person, "utter_notify_status",
                   f"ticket:{ticket.number}:{ticket.status}:{ticket.resolved_at}:{person.id}",
                   **ticket_values(turn.runtime, ticket, person.language or "zh"),
                   note=note or "")
        return []

    @staticmethod
    def _escalated(turn: Turn, ticket: Ticket, level: int) -> None:
        grid = ticket.building.grid if ticket.building else None
        if level == 1:
            targets = [grid.supervisor] if grid and grid.supervisor else []
        else:
            targets = list(with_role(turn.session, ticket.community_id, Role.STREET_CONTACT))
        for person in targets:
            notify(turn, person, "utter_notify_escalated",
                   f"ticket:{ticket.number}:escalated:{level}:{person.id}",
                   **ticket_values(turn.runtime, ticket, person.language or "zh"))
        turn.say("utter_ticket_escalated", ticket=ticket.number,
                 level_name=turn.runtime.responses.label("level", str(level), turn.language))


class RecordRating(LinliAction):
    """The resident's satisfaction answer: 4–5 closes, 1–2 also alerts the supervisor, 0 (not
    solved) reopens the ticket and puts it back with the grid member."""

    def name(self) -> str:
        return "action_record_rating"

    def act(self, turn: Turn) -> Events:
        number, rating_text = turn.entity("ticket_id"), turn.entity("rating")
        ticket = by_number(turn.session, number) if number else None
        if ticket is None or turn.person.id not in {p.id for p in subscribers(turn.session,
                                                                              ticket)}:
            raise ActionRefusedError("utter_ticket_not_found")
        values = ticket_values(turn.runtime, ticket, turn.language)
        if ticket.status != TicketStatus.RESOLVED or not (rating_text or "").isdigit():
            raise ActionRefusedError("utter_rating_not_needed", **values)
        rating = int(rating_text or 0)
        now = turn.runtime.now()
        ticket.rating = min(max(rating, 0), 5)
        grid = ticket.building.grid if ticket.building else None
        if rating == 0:
            change_status(turn.session, ticket, TicketStatus.REOPENED, actor=turn.person,
                          now=now, note="not solved")
            change_status(turn.session, ticket, TicketStatus.ASSIGNED, actor=None, now=now)
            if ticket.assignee is not None:
                notify(turn, ticket.assignee, "utter_notify_reopened",
                       f"ticket:{ticket.number}:reopened:{now.isoformat()}",
                       **ticket_values(turn.runtime, ticket, ticket.assignee.language or "zh"))
            turn.say("utter_rating_reopened", **values)
            return []
        change_status(turn.session, ticket, TicketStatus.CLOSED, actor=turn.person, now=now,
                      note=f"rating {rating}")
        if rating <= 2 and grid is not None and grid.supervisor is not None:
            notify(turn, grid.supervisor, "utter_notify_low_rating",
                   f"ticket:{ticket.number}:low-rating", rating=str(rating),
                   **ticket_values(turn.runtime, ticket, grid.supervisor.language or "zh"))
        turn.say("utter_rating_thanks", **values)
        return []
