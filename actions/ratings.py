"""The resident's satisfaction rating (效果共评): 4–5 closes the ticket, 1–2 also alerts the
supervisor, 0 (not solved) reopens it and puts it back with the grid member. Given by the
poll's buttons (gridwork.RecordRating) or said in words while a poll waits (RateInWords)."""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk.events import SlotSet

from actions.base import Events, LinliAction, Turn
from actions.notify import notify
from actions.tickets import ticket_values
from nlu.intents import sure
from nlu.rating import read_rating
from store.conflict import may_know
from store.models import Ticket, TicketStatus
from store.ratings import open_polls, rateable, recently_closed
from store.tickets import change_status

#: A message the NLU confidently reads as one of these is that, not praise or blame for a
#: repair ("这个活动不错，我想报名"); a score or "still broken" is a rating all the same.
OTHER_BUSINESS = frozenset({"report_repair", "file_complaint", "report_emergency",
                            "event_list", "event_signup", "event_cancel", "ticket_cancel",
                            "make_suggestion", "register_household", "set_language", "ask_faq"})
#: At most this many tickets are offered as buttons.
CHOICES = 5


def record_rating(turn: Turn, ticket: Ticket, rating: int) -> None:
    """Record ``rating`` (0–5) on a resolved ticket and do what it means."""
    values = ticket_values(turn.runtime, ticket, turn.language)
    now = turn.runtime.now()
    ticket.rating = min(max(rating, 0), 5)
    if rating == 0:
        change_status(turn.session, ticket, TicketStatus.REOPENED, actor=turn.person, now=now,
                      note="not solved")
        change_status(turn.session, ticket, TicketStatus.ASSIGNED, actor=None, now=now)
        if ticket.assignee is not None:
            notify(turn, ticket.assignee, "utter_notify_reopened",
                   f"ticket:{ticket.number}:reopened:{now.isoformat()}",
                   **ticket_values(turn.runtime, ticket, ticket.assignee.language or "zh"))
        turn.say("utter_rating_reopened", **values)
        return
    change_status(turn.session, ticket, TicketStatus.CLOSED, actor=turn.person, now=now,
                  note=f"rating {rating}")
    grid = ticket.building.grid if ticket.building else None
    if rating <= 2 and grid is not None and grid.supervisor is not None and may_know(
            ticket, grid.supervisor):
        notify(turn, grid.supervisor, "utter_notify_low_rating",
               f"ticket:{ticket.number}:low-rating", rating=str(rating),
               **ticket_values(turn.runtime, ticket, grid.supervisor.language or "zh"))
    turn.say("utter_rating_thanks", rating=str(rating), **values)


def ask_score(turn: Turn, ticket: Ticket) -> None:
    """The poll's question again, for a resident who wants to rate but gave no score."""
    turn.say("utter_ask_rating", note="", **ticket_values(turn.runtime, ticket, turn.language))


def _choices(turn: Turn, tickets: Sequence[Ticket], rating: int | None) -> list[dict[str, str]]:
    """A button per ticket, carrying the score already said."""
    score = f', "rating": "{rating}"' if rating is not None else ""
    return [{"title": f"{t.number} {ticket_values(turn.runtime, t, turn.language)['summary']}",
             "payload": f'/rate{{"ticket_id": "{t.number}"{score}}}'}
            for t in tickets[:CHOICES]]


class RateInWords(LinliAction):
    """"很满意", "5分", "还是没修好", "not fixed", "👍": a rating for the ticket whose poll waits;
    which one, when several wait; which ticket at all, when none does. Sets ``taken`` when the
    message was a rating, so that nothing else answers it."""

    def name(self) -> str:
        return "action_rate_in_words"

    def act(self, turn: Turn) -> Events:
        message = turn.tracker.latest_message
        reading = read_rating(str(message.get("text", "")))
        if reading is None:
            return [SlotSet("taken", False)]
        intent = message.get("intent") or {}
        if not reading.stands_alone and intent.get("name") in OTHER_BUSINESS \
                and sure(intent):
            return [SlotSet("taken", False)]
        building = turn.entity("building")
        polls = [t for t in open_polls(turn.session, turn.person)
                 if building is None or (t.building is not None and t.building.number == building)]
        if len(polls) == 1:
            if reading.value is None:
                ask_score(turn, polls[0])
            else:
                record_rating(turn, polls[0], reading.value)
            return [SlotSet("taken", True)]
        if polls:
            turn.dispatcher.utter_message(response="utter_rating_which", language=turn.language,
                                          count=str(len(polls)),
                                          buttons=_choices(turn, polls, reading.value))
            return [SlotSet("taken", True)]
        # No poll waits. Praise in passing is not a rating; a place named is a new report.
        if reading.kind == "tone" or building is not None:
            return [SlotSet("taken", False)]
        resolved = rateable(turn.session, turn.person)
        if resolved:
            turn.dispatcher.utter_message(response="utter_rating_pick", language=turn.language,
                                          buttons=_choices(turn, resolved, reading.value))
            return [SlotSet("taken", True)]
        if reading.kind == "unsolved":
            return [SlotSet("taken", False)]  # nothing was resolved: a report, or a question
        closed = recently_closed(turn.session, turn.person)
        turn.say("utter_rating_nothing", closed="\n".join(
            self._closed_line(turn, ticket) for ticket in closed))
        return [SlotSet("taken", True)]

    @staticmethod
    def _closed_line(turn: Turn, ticket: Ticket) -> str:
        values = ticket_values(turn.runtime, ticket, turn.language)
        response = "utter_rating_closed_rated" if ticket.rating else "utter_rating_closed"
        return turn.runtime.responses.render(response, turn.language,
                                             rating=str(ticket.rating or ""), **values).text
