"""Reporting problems and following them up: repairs, complaints, emergencies, status, cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk.events import SlotSet

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.location import building_by_number, place_text
from actions.notify import notify
from actions.runtime import Runtime
from store.models import (
    Person,
    Ticket,
    TicketAttachment,
    TicketKind,
    TicketStatus,
)
from store.people import on_duty_staff
from store.tickets import OPEN, Opened, TicketError, by_number, change_status, open_ticket
from store.tickets import reported_by as tickets_reported_by

KINDS = {"report_repair": TicketKind.REPAIR, "file_complaint": TicketKind.COMPLAINT,
         "report_emergency": TicketKind.EMERGENCY}
KIND_NAMES = {TicketKind.REPAIR: {"zh": "报修", "en": "repair request"},
              TicketKind.COMPLAINT: {"zh": "投诉", "en": "complaint"},
              TicketKind.EMERGENCY: {"zh": "紧急情况", "en": "emergency"}}
RESET = [SlotSet("building", None), SlotSet("unit", None), SlotSet("room", None),
         SlotSet("category", None), SlotSet("attachments", None)]
#: A photo sent on its own within this long after a report belongs to that report.
PHOTO_WINDOW = dt.timedelta(minutes=30)


def _open(turn: Turn, kind: TicketKind) -> Opened:
    slots = turn.tracker.get_slot
    building = building_by_number(turn.session, turn.person, slots("building"))
    text = turn.tracker.get_slot("report_text") or turn.tracker.latest_message.get("text", "")
    opened = open_ticket(turn.session, reporter=turn.person, kind=kind,
                         category=slots("category") or "other", text=text[:2000],
                         language=turn.language, building=building, unit=slots("unit"),
                         room=slots("room"), now=turn.runtime.now(),
                         deadlines=turn.runtime.deadlines,
                         duplicate_window=turn.runtime.duplicate_window)
    attach(turn, opened.ticket, list(slots("attachments") or []))
    return opened


def attach(turn: Turn, ticket: Ticket, file_ids: list[str]) -> None:
    channel = str(turn.tracker.get_slot("channel") or "telegram")
    for file_id in file_ids:
        turn.session.add(TicketAttachment(ticket_id=ticket.id, channel=channel,
                                          file_id=file_id, created_at=turn.runtime.now()))


def first_photo(turn: Turn) -> str | None:
    photos = turn.tracker.get_slot("attachments") or []
    return str(photos[0]) if photos else None


def ticket_values(runtime: Runtime, ticket: Ticket, language: str) -> dict[str, Any]:
    """A ticket's fields as response placeholders, in ``language``."""
    local = runtime.local
    place = place_text(ticket.building.number if ticket.building else None, ticket.unit,
                       ticket.room, language)
    category = runtime.responses.label("category", ticket.category, language)
    return {
        "summary": f"{place} · {category}" if place else category,
        "ticket": ticket.number,
        "place": place_text(ticket.building.number if ticket.building else None, ticket.unit,
                            ticket.room, language),
        "category_name": runtime.responses.label("category", ticket.category, language),
        "kind_name": KIND_NAMES[ticket.kind][language if language in ("zh", "en") else "zh"],
        "grid_member": ticket.assignee.name if ticket.assignee else "",
        "respond_by": local(ticket.respond_by).strftime("%m-%d %H:%M") if ticket.respond_by
        else "",
        "status": runtime.responses.label("status", ticket.status.value, language),
        "report": ticket.text, "reporter": ticket.reporter.name,
        "phone": ticket.reporter.phone or "",
    }


def _tell_handlers(turn: Turn, ticket: Ticket, response: str, people: list[Person]) -> None:
    photo = first_photo(turn)
    for person in dict.fromkeys(people):
        notify(turn, person, response, f"ticket:{ticket.number}:{response}:{person.id}",
               photo=photo, urgent=ticket.kind == TicketKind.EMERGENCY,
               **ticket_values(turn.runtime, ticket, person.language or "zh"))


class OpenTicket(LinliAction):
    """Open a repair or complaint ticket routed to the building's grid member."""

    def name(self) -> str:
        return "action_open_ticket"

    def act(self, turn: Turn) -> Events:
        kind = KINDS.get(turn.tracker.get_slot("flow_intent") or "", TicketKind.REPAIR)
        opened = _open(turn, kind)
        ticket = opened.ticket
        values = ticket_values(turn.runtime, ticket, turn.language)
        if opened.duplicate:
            turn.say("utter_ticket_duplicate", **values)
            return RESET
        turn.say("utter_ticket_created" if ticket.assignee else "utter_ticket_created_unassigned",
                 **values)
        handlers = [ticket.assignee] if ticket.assignee else list(
            on_duty_staff(turn.session, turn.person.community_id))
        _tell_handlers(turn, ticket, "utter_notify_new_ticket", handlers)
        return RESET


class Emergency(LinliAction):
    """Safety first: the instruction and numbers, then alert grid member, supervisor, staff."""

    def name(self) -> str:
        return "action_emergency"

    def act(self, turn: Turn) -> Events:
        category = turn.tracker.get_slot("category") or "other"
        advice_name = f"utter_emergency_advice_{category}"
        if not turn.runtime.responses.has(advice_name):
            advice_name = "utter_emergency_advice_other"
        advice = turn.runtime.responses.render(advice_name, turn.language).text
        turn.say("utter_emergency_safety", advice=advice)
        opened = _open(turn, TicketKind.EMERGENCY)
        ticket = opened.ticket
        grid = ticket.building.grid if ticket.building else None
        people = [p for p in (grid.grid_member if grid else None,
                              grid.supervisor if grid else None) if p is not None]
        _tell_handlers(turn, ticket, "utter_notify_emergency",
                       people + list(on_duty_staff(turn.session, turn.person.community_id)))
        turn.say("utter_emergency_logged", **ticket_values(turn.runtime, ticket, turn.language))
        return RESET


class TicketStatusAction(LinliAction):
    """Where the resident's tickets stand; someone else's number is never revealed."""

    def name(self) -> str:
        return "action_ticket_status"

    def act(self, turn: Turn) -> Events:
        number = turn.entity("ticket_id")
        mine = tickets_reported_by(turn.session, turn.person, limit=50)
        if number:
            mine = [t for t in mine if t.number == number]
            if not mine:
                raise ActionRefusedError("utter_ticket_not_found")
        if not mine:
            raise ActionRefusedError("utter_no_tickets")
        for ticket in mine[:3]:
            last = ticket.events[-1].at if ticket.events else ticket.created_at
            turn.say("utter_ticket_status", **ticket_values(turn.runtime, ticket, turn.language),
                     updated=turn.runtime.local(last).strftime("%m-%d %H:%M"))
        return []


class CancelTicket(LinliAction):
    """Withdraw one of the resident's own open tickets."""

    def name(self) -> str:
        return "action_cancel_ticket"

    def act(self, turn: Turn) -> Events:
        number = turn.entity("ticket_id")
        if number:
            ticket = by_number(turn.session, number)
            if ticket is None or ticket.reporter_id != turn.person.id:
                raise ActionRefusedError("utter_ticket_not_found")
        else:
            own_open = [t for t in tickets_reported_by(turn.session, turn.person, open_only=True)
                        if t.reporter_id == turn.person.id and t.status in OPEN]
            if not own_open:
                raise ActionRefusedError("utter_no_tickets")
            if len(own_open) > 1:
                turn.dispatcher.utter_message(
                    response="utter_ask_which_ticket",
                    buttons=[{"title": t.number, "payload": f"/ticket_cancel{{\"ticket_id\": "
                              f"\"{t.number}\"}}"} for t in own_open[:5]])
                return []
            ticket = own_open[0]
        values = ticket_values(turn.runtime, ticket, turn.language)
        try:
            change_status(turn.session, ticket, TicketStatus.CANCELLED, actor=turn.person,
                          now=turn.runtime.now(), note="withdrawn by the resident")
        except TicketError:
            raise ActionRefusedError("utter_ticket_cannot_cancel", **values) from None
        turn.say("utter_ticket_cancelled", **values)
        if ticket.assignee is not None:
            notify(turn, ticket.assignee, "utter_notify_status",
                   f"ticket:{ticket.number}:cancelled:{ticket.assignee.id}",
                   **ticket_values(turn.runtime, ticket, ticket.assignee.language or "zh"))
        return []


class AttachPhoto(LinliAction):
    """A photo without words: add it to the report just made, or keep it for the next one."""

    def name(self) -> str:
        return "action_attach_photo"

    def act(self, turn: Turn) -> Events:
        photos = list(turn.tracker.get_slot("attachments") or [])
        recent = [t for t in tickets_reported_by(turn.session, turn.person, open_only=True)
                  if t.reporter_id == turn.person.id
                  and turn.runtime.now() - _aware(t.created_at) <= PHOTO_WINDOW]
        if not recent or not photos:
            turn.say("utter_received_photo")
            return []
        ticket = recent[0]
        attach(turn, ticket, photos)
        if ticket.assignee is not None:
            notify(turn, ticket.assignee, "utter_notify_photo",
                   f"ticket:{ticket.number}:photo:{photos[0]}", photo=photos[0],
                   **ticket_values(turn.runtime, ticket, ticket.assignee.language or "zh"))
        turn.say("utter_photo_attached", ticket=ticket.number)
        return [SlotSet("attachments", None)]


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they are UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
