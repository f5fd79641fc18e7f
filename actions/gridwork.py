"""What grid members and staff do with tickets, and the resident's rating that closes them."""

from __future__ import annotations

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.ratings import ask_score, record_rating
from actions.ticket_work import perform
from actions.tickets import ticket_values
from store import board
from store.board import Viewer
from store.models import Role, TicketKind, TicketStatus
from store.tickets import by_number, subscribers

#: Who has a queue: everyone whose work is tickets.
QUEUE_ROLES = (Role.GRID_MEMBER, Role.SUPERVISOR, Role.STREET_CONTACT, Role.STAFF)
#: A chat shows this many; the console shows the rest.
QUEUE_SHOWN = 10


class GridQueue(LinliAction):
    """/queue: the open tickets of the asker's board (store/board.py) — staff all, supervisors
    the grids they supervise, grid members theirs — emergencies and overdue first, each with
    its buttons, under a headline of how many there are."""

    def name(self) -> str:
        return "action_grid_queue"

    def act(self, turn: Turn) -> Events:
        if not any(turn.person.has_role(role) for role in QUEUE_ROLES):
            raise ActionRefusedError("utter_not_allowed")
        viewer, now = Viewer.of(turn.person), turn.runtime.now()
        page = board.board(turn.session, viewer, as_of=now, limit=QUEUE_SHOWN)
        if not page.items:
            raise ActionRefusedError("utter_queue_empty")
        headline = board.counts(turn.session, viewer, as_of=now)
        turn.say("utter_queue_head", open=str(headline.open),
                 emergencies=str(headline.emergencies), overdue=str(headline.overdue),
                 escalated=str(headline.escalated), shown=str(len(page.items)))
        for item in page.items:
            ticket = by_number(turn.session, item.number)
            assert ticket is not None
            flag = "🚨" if item.kind == TicketKind.EMERGENCY else "⏰" if item.overdue else \
                "⬆️" if item.escalation_level else ""
            turn.say("utter_queue_item", flag=flag,
                     **ticket_values(turn.runtime, ticket, turn.language))
        return []


class UpdateTicket(LinliAction):
    """Accept, start, resolve, annotate or escalate a ticket (actions/ticket_work.py, the same
    rules as the console's); tell whoever should know."""

    def name(self) -> str:
        return "action_update_ticket"

    def act(self, turn: Turn) -> Events:
        command = str(turn.tracker.latest_message.get("intent", {}).get("name", ""))
        done = perform(turn.session, turn.runtime, turn.person, turn.entity("ticket_id"),
                       command, language=turn.language, note=turn.entity("note"))
        turn.say(done.response, **done.values)
        return []


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
