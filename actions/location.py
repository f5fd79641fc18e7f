"""Where a problem is: from the message, the resident's registered household, or asked."""

from __future__ import annotations

import json
import re

from rasa_sdk.events import SlotSet
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.names import person_name
from actions.notify import notify
from actions.spots import shared_spot_in
from store.claims import holders, register
from store.community import household
from store.database import remembered
from store.models import Building, Person, Ticket, TicketSubscriber
from store.people import on_duty_staff
from store.tickets import OPEN, by_number


def building_by_number(session: Session, person: Person, number: str | None) -> Building | None:
    if not number:
        return None
    wanted = number.lstrip("0")
    return remembered(session, ("building", person.community_id, wanted), lambda: session.scalar(
        select(Building).where(Building.community_id == person.community_id,
                               Building.number == wanted)))


def building_numbers(session: Session, person: Person) -> str:
    numbers = session.scalars(select(Building.number).where(
        Building.community_id == person.community_id)).all()
    ordered = sorted(numbers, key=lambda n: int(n) if n.isdigit() else 10**6)
    return f"{ordered[0]}–{ordered[-1]}" if ordered else ""


def place_text(building: str | None, unit: str | None, room: str | None, language: str) -> str:
    """"3号楼2单元501" / "Building 3, unit 2, flat 501"."""
    if not building:
        return ""
    if language == "en":
        parts = [f"Building {building}"] + ([f"unit {unit}"] if unit else []) + (
            [f"flat {room}"] if room else [])
        return ", ".join(parts)
    return f"{building}号楼" + (f"{unit}单元" if unit else "") + (room or "")


def last_report(turn: Turn) -> Ticket | None:
    """The resident's own open report made earlier in this conversation (``last_ticket``,
    which goes when the conversation goes stale), if it says where; one they joined, a
    neighbour having reported it first, is theirs too."""
    number = turn.tracker.get_slot("last_ticket")
    ticket = by_number(turn.session, number) if number else None
    if ticket is None or ticket.building is None or ticket.status not in OPEN:
        return None
    if ticket.reporter_id != turn.person.id and turn.session.get(
            TicketSubscriber, (ticket.id, turn.person.id)) is None:
        return None
    return ticket


def place_of(ticket: Ticket) -> dict[str, str | None]:
    """Building, unit and flat of ``ticket`` as slots; no flat for a shared part."""
    assert ticket.building is not None
    return {"building": ticket.building.number, "unit": ticket.unit,
            "room": ticket.room if ticket.scope != "shared" else None}


class PrefillLocation(LinliAction):
    """Take building/unit/room from the message, else from the registered household."""

    def name(self) -> str:
        return "action_prefill_location"

    def act(self, turn: Turn) -> Events:
        if turn.tracker.get_slot("building") or turn.person.household is None:
            return []
        home = turn.person.household
        return [SlotSet("building", home.building.number), SlotSet("unit", home.unit),
                SlotSet("room", home.room)]


class PrefillHomeBuilding(LinliAction):
    """"2单元1001" after "3号楼" was registered: the rest of that home, in its building."""

    def name(self) -> str:
        return "action_prefill_home_building"

    def act(self, turn: Turn) -> Events:
        home = turn.person.household
        if turn.tracker.get_slot("building") or home is None or not (
                turn.tracker.get_slot("unit") or turn.tracker.get_slot("room")):
            return []
        return [SlotSet("building", home.building.number)]


class ValidateBuilding(LinliAction):
    """Accept the building slot only if that building is in the community."""

    def name(self) -> str:
        return "action_validate_building"

    def act(self, turn: Turn) -> Events:
        number = turn.tracker.get_slot("building")
        if building_by_number(turn.session, turn.person, number) is not None:
            return []
        turn.say("utter_ask_building_again",
                 buildings=building_numbers(turn.session, turn.person))
        return [SlotSet("building", None)]


#: Words that say where one lives: a registered home changes on these without asking.
_LIVES = re.compile(r"我住|住在|我家在|我家是|家住|搬|新家|新地址|改地址|地址改|"
                    r"\bi live\b|\bi'?ve moved\b|\bmoved\b|\bmy (?:new )?(?:address|flat|"
                    r"apartment|home) is\b|\bi'?m (?:in|at) (?:building|block|bldg|flat)\b",
                    re.IGNORECASE)


#: Words that say the home is someone else's, or was once theirs: "我朋友住8号楼", "我女儿家是
#: 7号楼", "去年我住过9号楼", "my friend lives in building 4". Asked about, never registered.
_SOMEONE_ELSES = re.compile(
    r"(?:朋友|同学|同事|亲戚|邻居|女儿|儿子|闺女|孙子|孙女|外孙|爸|妈|爹|娘|父母|老人|公公|婆婆|"
    r"岳父|岳母|丈母娘|姐|哥|弟|妹|舅|姨|姑|叔|伯|他|她|别人|人家)们?(?:的)?(?:家|住)|"
    r"以前|之前|原来|曾经|去年|住过|老家|"
    r"\b(?:my|our) (?:friend|daughter|son|mum|mom|mother|dad|father|parents|sister|brother|"
    r"aunt|uncle|neighbou?r|colleague|grand(?:ma|pa|mother|father|son|daughter)|kids?)'?s?\b|"
    r"\b(?:he|she|they) lives?\b|\b(?:his|her|their) (?:home|flat|place|address|apartment)\b|"
    r"\bused to live\b|\bpreviously\b|\blast year\b", re.IGNORECASE)
#: Words that say a place is not where one lives: near it, outside it, something lost there.
_NOT_A_HOME = re.compile(r"附近|旁边|门口|那边|对面|楼下|丢|看到|看见|捡到|\bnear\b|\bnext to\b|"
                         r"\boutside\b|\bopposite\b|\blost\b|\bfound\b|\bsaw\b",
                         re.IGNORECASE)


def _new_home(turn: Turn) -> tuple[str, str | None, str | None]:
    slots = turn.tracker.get_slot
    return str(slots("building")), slots("unit"), slots("room")


class CheckMove(LinliAction):
    """A registered home is changed only when the words say the resident lives there (or
    they confirm): a place said in passing is no move."""

    def name(self) -> str:
        return "action_check_move"

    def act(self, turn: Turn) -> Events:
        home = turn.person.household
        said = str(turn.tracker.latest_message.get("text", ""))
        building, unit, room = _new_home(turn)
        if said.startswith("/"):
            return [SlotSet("move_ok", True)]
        if _SOMEONE_ELSES.search(said):
            return []
        if _LIVES.search(said):
            return [SlotSet("move_ok", True)]
        if home is None:  # a first home, unless the words point elsewhere ("在11号楼附近丢的")
            return [] if _NOT_A_HOME.search(said) else [SlotSet("move_ok", True)]
        if (home.building.number, home.unit, home.room) == (building, unit, room) or (
                home.building.number == building and (home.unit in (None, unit))
                and (home.room in (None, room))):  # the same home, told more fully
            return [SlotSet("move_ok", True)]
        return []


class AskMove(LinliAction):
    """"您搬到13号楼2单元了吗？", naming the home registered now."""

    def name(self) -> str:
        return "action_ask_move"

    def act(self, turn: Turn) -> Events:
        home = turn.person.household
        place = place_text(*_new_home(turn), turn.language)
        if home is None:
            turn.dispatcher.utter_message(response="utter_confirm_home", place=place)
            return []
        turn.dispatcher.utter_message(
            response="utter_confirm_move", place=place,
            home=place_text(home.building.number, home.unit, home.room, turn.language))
        return []


class RegisterHousehold(LinliAction):
    """Bind the resident to building/unit/room; a flat someone else is registered in waits
    for the building's grid member to confirm (store/claims.py), who is asked with buttons."""

    def name(self) -> str:
        return "action_register_household"

    def act(self, turn: Turn) -> Events:
        slots = turn.tracker.get_slot
        building = building_by_number(turn.session, turn.person, slots("building"))
        if building is None:
            raise ActionRefusedError("utter_ask_household")
        home = household(turn.session, building, slots("unit"), slots("room"))
        registration = register(turn.session, turn.person, home, turn.runtime.now())
        place = place_text(building.number, home.unit, home.room, turn.language)
        if registration.bound:
            turn.say("utter_household_registered", place=place)
            return []
        claim = registration.claim
        assert claim is not None
        grid_member = building.grid.grid_member
        if not registration.new:
            turn.say("utter_household_claim_still_pending", place=place)
            return []
        deciders = [grid_member] if grid_member is not None else list(
            on_duty_staff(turn.session, turn.person.community_id))
        others = holders(turn.session, home, turn.person)
        for person in deciders:
            language = person.language or "zh"
            notify(turn, person, "utter_notify_household_claim", f"claim:{claim.id}:{person.id}",
                   claim=str(claim.id), phone=turn.person.phone or "",
                   claimant=person_name(turn.runtime, turn.person, language),
                   place=place_text(building.number, home.unit, home.room, language),
                   holders=[person_name(turn.runtime, h, language) for h in others])
        turn.say("utter_household_claim_pending", place=place,
                 grid_member=grid_member.name if grid_member is not None else "")
        return []


class AskBuilding(LinliAction):
    """Which building? With a button for each, so nobody has to type (elderly residents)."""

    def name(self) -> str:
        return "action_ask_building"

    def act(self, turn: Turn) -> Events:
        buttons = building_buttons(turn.session, turn.person, turn.language)
        # "北门的道闸坏了", or "中心花园" when asked: no building, so the nearest one (its grid
        # member looks after it), never the same question again
        said = str(turn.tracker.latest_message.get("text", ""))
        report = str(turn.tracker.get_slot("report_text") or "")
        spot = shared_spot_in(said) or shared_spot_in(report)
        # the place said in answer goes on the report, for whoever goes there
        noted = [SlotSet("report_text", f"{report} {said}")] \
            if report and spot and spot in said and said not in report else []
        earlier = last_report(turn)
        if earlier is not None:  # a second report just after one: the same place, one tap
            place = place_of(earlier)
            buttons.insert(0, {
                "title": turn.runtime.responses.render(
                    "utter_same_place", turn.language,
                    place=place_text(place["building"], place["unit"], place["room"],
                                     turn.language)).text,
                "payload": "/choose" + json.dumps({k: v for k, v in place.items() if v},
                                                  ensure_ascii=False)})
        if spot is not None:
            turn.say("utter_ask_building_near", spot=spot, buttons=buttons)
        else:
            turn.dispatcher.utter_message(response="utter_ask_building", buttons=buttons)
        return noted


def building_buttons(session: Session, person: Person, language: str) -> list[dict[str, str]]:
    """A button per building of the person's community, in number order."""
    numbers = sorted(session.scalars(select(Building.number).where(
        Building.community_id == person.community_id)),
        key=lambda n: int(n) if n.isdigit() else 10**6)
    label = "Building {}" if language == "en" else "{}号楼"
    return [{"title": label.format(n), "payload": n} for n in numbers[:40]]
