"""Where a reported problem is (config/parts.yml): a shared part of a building or something
inside a flat. Read from the words; asked ("在您家里，还是楼道/公共区域？") only when the answer
decides whether the report joins an open one."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.base import Events, LinliAction, Turn
from actions.location import building_by_number
from store.conflict import Accused, complained_about
from store.models import Building, TicketKind
from store.parts import SHARED, UNKNOWN, Place
from store.tickets import find_open_duplicate

KINDS = {"report_repair": TicketKind.REPAIR, "file_complaint": TicketKind.COMPLAINT,
         "report_emergency": TicketKind.EMERGENCY}
#: The ``scope`` slot: "flat", "shared", or "unknown" (decided: nobody knows); unset: ask.
DECIDED = ("flat", "shared", "unknown")


def report_kind(turn: Turn) -> TicketKind:
    return KINDS.get(turn.tracker.get_slot("flow_intent") or "", TicketKind.REPAIR)


def report_text(turn: Turn) -> str:
    return str(turn.tracker.get_slot("report_text")
               or turn.tracker.latest_message.get("text", ""))


def report_location(turn: Turn) -> tuple[Building | None, str | None, str | None]:
    """Building, unit and flat of the report. A report about the resident's own building
    ("12栋电梯坏了") is about their own unit and flat unless it says another."""
    slots = turn.tracker.get_slot
    building = building_by_number(turn.session, turn.person, slots("building"))
    unit, room = slots("unit"), slots("room")
    home = turn.person.household
    if building is not None and home is not None and home.building_id == building.id:
        unit = unit or home.unit
        if room is None and unit == home.unit:
            room = home.room
    return building, unit, room


def accused_in(turn: Turn, building: Building | None) -> Accused | None:
    """Whom a complaint is about, if it is about one of the community's workers."""
    if report_kind(turn) != TicketKind.COMPLAINT:
        return None
    return complained_about(turn.session, turn.runtime.parts, report_text(turn), building,
                            turn.person.community_id)


def report_place(turn: Turn) -> Place | None:
    """The place the conversation settled on (the ``scope`` and ``part`` slots), else what
    the words say; None when neither tells."""
    scope, part = turn.tracker.get_slot("scope"), turn.tracker.get_slot("part")
    if scope in DECIDED:
        return turn.runtime.parts.stored(scope, part)
    return turn.runtime.parts.place(report_text(turn), turn.tracker.get_slot("category"))


def _settled(place: Place) -> Events:
    return [SlotSet("scope", place.scope or "unknown"), SlotSet("part", place.part)]


class PlaceReport(LinliAction):
    """Settle where the problem is before the ticket is opened. Words that do not tell are
    asked about only if an open problem in a shared part of the building could be this one;
    otherwise the place stays unknown and the report is merged only within the same flat."""

    def name(self) -> str:
        return "action_place_report"

    def act(self, turn: Turn) -> Events:
        building, unit, room = report_location(turn)
        if accused_in(turn, building) is not None:
            return _settled(UNKNOWN)  # a complaint about a person is about no place
        place = turn.runtime.parts.place(report_text(turn), turn.tracker.get_slot("category"))
        if place is not None:
            return _settled(place)
        shared = find_open_duplicate(
            turn.session, building, turn.tracker.get_slot("category") or "other",
            turn.runtime.now() - turn.runtime.duplicate_window, parts=turn.runtime.parts,
            place=SHARED, unit=unit, room=room, reporter=turn.person)
        if shared is None:
            return _settled(UNKNOWN)
        return [SlotSet("scope", None), SlotSet("part", None)]


class ValidateScope(LinliAction):
    """The answer to "in your flat, or in a shared area?": a button, or words ("楼道里",
    "at home", "不知道"); anything else is asked again, with the buttons."""

    def name(self) -> str:
        return "action_validate_scope"

    def act(self, turn: Turn) -> Events:
        said = str(turn.tracker.get_slot("scope") or "")
        if said in DECIDED:
            return []
        answer = turn.runtime.parts.answer(said)
        if answer is None:
            turn.say("utter_ask_scope_again")
            return [SlotSet("scope", None)]
        return _settled(answer)
