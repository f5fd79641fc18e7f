"""Reporting problems and following them up: repairs, complaints, emergencies, status, cancel."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from rasa_sdk.events import SlotSet

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.contact import handlers_of, needs_contact, was_asked
from actions.faq import SAFETY_ENTRIES, answer_from_faq
from actions.location import (
    building_buttons,
    building_by_number,
    last_report,
    place_of,
    place_text,
)
from actions.names import person_name
from actions.notify import notify
from actions.people import is_nod
from actions.places import accused_in, report_kind, report_location, report_place
from actions.runtime import Runtime
from actions.spots import SPOT, spot_in
from nlu import danger
from nlu.hedges import asks_what_to_do
from nlu.intents import sure
from nlu.mood import exasperated
from nlu.text import clean
from store.conflict import Accused
from store.models import (
    Building,
    Person,
    Role,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from store.parts import UNKNOWN
from store.people import on_duty_staff, with_role
from store.tickets import (
    OPEN,
    Opened,
    TicketError,
    add_note,
    assign,
    by_number,
    change_status,
    last_changed,
    locate,
    open_ticket,
    subscribers,
)
from store.tickets import card as ticket_card
from store.tickets import reported_by as tickets_reported_by

KIND_NAMES = {TicketKind.REPAIR: {"zh": "报修", "en": "repair request"},
              TicketKind.COMPLAINT: {"zh": "投诉", "en": "complaint"},
              TicketKind.EMERGENCY: {"zh": "紧急情况", "en": "emergency"}}
RESET = [SlotSet("building", None), SlotSet("unit", None), SlotSet("room", None),
         SlotSet("category", None), SlotSet("attachments", None), SlotSet("scope", None),
         SlotSet("part", None)]
#: A photo sent on its own within this long after a report belongs to that report.
PHOTO_WINDOW = dt.timedelta(minutes=30)
#: Words by which an emergency points back at what was just reported ("里面好像有人被困了"
#: after "4号楼2单元电梯不动了"): it is in the same place.
_BACK_THERE = re.compile(r"里面|里头|里边|那里|那边|那儿|这里|这边|这儿|楼里|\binside\b|"
                         r"\bin (?:there|it|here)\b|\bthere\b|\bsame\b", re.IGNORECASE)
#: A report said again rather than added to: "还是不亮", "still leaking".
_SAID_AGAIN = re.compile(r"还是|仍然|依然|又|照样|still|again|keeps?|yet", re.IGNORECASE)
#: Words that put an emergency somewhere else than the report before, whatever its kind.
_ELSEWHERE = re.compile(r"邻居|隔壁|对门|对面|楼上|楼下|楼道|走廊|车库|地下室|门口|小区|路上|"
                        r"\bneighbou?r|\bnext door\b|\bupstairs\b|\bdownstairs\b|\bstair|"
                        r"\bcorridor\b|\bhallway\b|\bgarage\b|\bcar ?park\b|\bbasement\b|"
                        r"\boutside\b|\bgate\b", re.IGNORECASE)
#: "Also" beside a danger after a report ("电梯坏了", then "对了 楼道里也有股煤气味"): in the
#: same building, unless it is said to be out of it.
_ALSO = re.compile(r"也|\balso\b|\btoo\b|\bas well\b", re.IGNORECASE)
_OUT_OF_BUILDING = re.compile(r"楼下|车库|地下室|门口|小区|路上|院里|\bgarage\b|\bcar ?park\b|"
                              r"\bbasement\b|\boutside\b|\bgate\b|\bdownstairs\b",
                              re.IGNORECASE)


def _open(turn: Turn, kind: TicketKind) -> Opened:
    """Open the ticket the conversation reports, or join the open one about the same
    problem."""
    return _report(turn, kind)[0]


def _report(turn: Turn, kind: TicketKind) -> tuple[Opened, Accused | None]:
    """``_open``, and whom a complaint is about. An emergency is where the resident says,
    never assumed from their household; a repair or complaint about their own building is
    about their own unit and flat, and its place decides which open ticket it joins."""
    slots = turn.tracker.get_slot
    if kind == TicketKind.EMERGENCY:
        building = building_by_number(turn.session, turn.person, slots("building"))
        unit, room, place, accused = slots("unit"), slots("room"), UNKNOWN, None
    else:
        building, unit, room = report_location(turn)
        accused = accused_in(turn, building)
        place = UNKNOWN if accused is not None else report_place(turn) or UNKNOWN
    text = turn.tracker.get_slot("report_text") or turn.tracker.latest_message.get("text", "")
    opened = open_ticket(turn.session, reporter=turn.person, kind=kind,
                         category=slots("category") or "other", text=text[:2000],
                         language=turn.language, building=building, unit=unit, room=room,
                         now=turn.runtime.now(), deadlines=turn.runtime.deadlines,
                         duplicate_window=turn.runtime.duplicate_window, place=place,
                         parts=turn.runtime.parts, accused=accused,
                         source=_inbound_id(turn))
    if not opened.repeated:
        attach(turn, opened.ticket, list(slots("attachments") or []))
    return opened, accused


def _inbound_id(turn: Turn) -> int | None:
    inbound = turn.tracker.latest_message.get("inbound_id")
    return inbound if isinstance(inbound, int) else None


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
        "place": place,
        "category_name": category,
        "kind_name": KIND_NAMES[ticket.kind][language if language in ("zh", "en") else "zh"],
        "grid_member": ticket.assignee.name if ticket.assignee else "",
        "respond_by": local(ticket.respond_by).strftime("%m-%d %H:%M") if ticket.respond_by
        else "",
        "status": runtime.responses.label("status", ticket.status.value, language),
        "report": ticket.text, "reporter": person_name(runtime, ticket.reporter, language),
        "phone": ticket.reporter.phone or "",
    }


def _tell_handlers(turn: Turn, ticket: Ticket, response: str, people: list[Person],
                   key: str = "", **values: Any) -> None:
    """``response`` to each of ``people`` in their language; ``values`` may name anything the
    ticket's own values do not (``key`` tells one such notice from the next)."""
    photo = first_photo(turn)
    for person in dict.fromkeys(people):
        notify(turn, person, response, f"ticket:{ticket.number}:{response}:{key}{person.id}",
               photo=photo, urgent=ticket.kind == TicketKind.EMERGENCY,
               **{**ticket_values(turn.runtime, ticket, person.language or "zh"), **values})


class OpenTicket(LinliAction):
    """Open a repair or complaint ticket routed to the building's grid member (a complaint
    about a worker one level above them), or join the open ticket about the same problem and
    tell its handler that one more household reported it. Someone nobody can call is then
    asked, once, how to reach them."""

    def name(self) -> str:
        return "action_open_ticket"

    def act(self, turn: Turn) -> Events:
        opened, accused = _report(turn, report_kind(turn))
        ticket = opened.ticket
        values = ticket_values(turn.runtime, ticket, turn.language)
        # the report's words, not this turn's: "到底管不管" may have come before "12号楼"
        _sorry_if_exasperated(turn, ticket.text)
        if opened.duplicate:
            if opened.joined:
                _, _, room = report_location(turn)
                same_flat = ticket.scope != "shared" and room is not None and ticket.room == room
                turn.say("utter_ticket_duplicate_household" if same_flat
                         else "utter_ticket_duplicate", **values)
                self._tell_more(turn, ticket)
            elif self._adds_to(turn, ticket):
                turn.say("utter_ticket_detail_added", **values)
            else:
                turn.say("utter_ticket_already_yours", **values)
            # "能不能今天就来" next is for the ticket they now follow too
            return [*RESET, SlotSet("contact", "none"), SlotSet("last_ticket", ticket.number)]
        if accused is not None:
            labels = turn.runtime.responses
            turn.say("utter_ticket_created_conflict", **values,
                     role=labels.label("role", accused.role, turn.language),
                     handler=self._handler(turn, ticket, turn.language))
            _tell_handlers(turn, ticket, "utter_notify_conflict", handlers_of(turn, ticket),
                           accused=accused.person.name if accused.person else "",
                           role_code=accused.role)
        else:
            turn.say("utter_ticket_created" if ticket.assignee
                     else "utter_ticket_created_unassigned", **values)
            _tell_handlers(turn, ticket, "utter_notify_new_ticket", handlers_of(turn, ticket))
        ask = needs_contact(turn.person, ticket, report_place(turn) or UNKNOWN) and \
            not was_asked(turn)
        if ask:
            turn.session.add(TicketEvent(ticket_id=ticket.id, at=turn.runtime.now(),
                                         actor_id=turn.person.id, kind="contact_asked"))
        return [*RESET, SlotSet("contact", None if ask else "none"),
                SlotSet("last_ticket", ticket.number)]

    @staticmethod
    def _adds_to(turn: Turn, ticket: Ticket) -> bool:
        """The resident's own open report of the same problem, told in other words ("还有
        水是黄的"): the words go on the ticket as a note and to its handlers."""
        words = str(turn.tracker.get_slot("report_text") or "").strip()[:500]
        if not words or clean(words).text == clean(ticket.text).text or _SAID_AGAIN.search(
                words):
            return False  # said again ("楼道灯还是不亮"): on record, nobody bothered twice
        pass_on(turn, ticket, words)
        return True

    @staticmethod
    def _tell_more(turn: Turn, ticket: Ticket) -> None:
        """One more household reported the problem: the handler hears who, and how many."""
        count = len(subscribers(turn.session, ticket))
        for person in handlers_of(turn, ticket):
            language = person.language or "zh"
            _tell_handlers(turn, ticket, "utter_notify_more_reports", [person],
                           key=f"{turn.person.id}:", count=str(count),
                           reporter=person_name(turn.runtime, turn.person, language),
                           phone=turn.person.phone or "",
                           report=str(turn.tracker.get_slot("report_text") or ""))

    @staticmethod
    def _handler(turn: Turn, ticket: Ticket, language: str) -> str:
        """"督导员李娜" / "supervisor 李娜": who took a complaint about a worker."""
        if ticket.assignee is None:
            return ""
        return turn.runtime.responses.label("handler", str(ticket.escalation_level),
                                            language).replace("{value}", ticket.assignee.name)


class Emergency(LinliAction):
    """Safety first: the instruction and numbers, then the ticket and the alerts at once, even
    before anyone knows where: the grid member and staff on duty, and the building's grid
    member and supervisor when the message says where. The household is never assumed."""

    def name(self) -> str:
        return "action_emergency"

    def act(self, turn: Turn) -> Events:
        said = str(turn.tracker.get_slot("report_text") or
                   turn.tracker.latest_message.get("text", ""))
        category = _kind_of_danger(turn.tracker.get_slot("category") or "other", said)
        turn.tracker.slots["category"] = category  # the ticket's too
        carried = self._place_just_reported(turn, category)
        near_home, said_back = ([], None) if carried else _place_near_home(turn)
        turn.say("utter_emergency_safety", advice=_advice(turn, category, said))
        ticket = _open(turn, TicketKind.EMERGENCY).ticket
        grid = ticket.building.grid if ticket.building else None
        people = _on_duty(turn, [grid.grid_member, grid.supervisor] if grid else [])
        _alert(turn, ticket, "utter_notify_emergency", people)
        values = ticket_values(turn.runtime, ticket, turn.language)
        turn.say("utter_emergency_logged" if people else "utter_emergency_logged_nobody", **{
            **values, "grid_member": [p.name for p in people if p.has_role(Role.GRID_MEMBER)]})
        if carried or said_back:
            turn.say("utter_emergency_place_carried" if carried else said_back or "",
                     place=values["place"])
            # a place taken from the report before, or from where the resident lives, may be
            # wrong: "不对，是5号楼" corrects the emergency then (``CorrectPlace``)
            carried = [*carried, *near_home, SlotSet("last_ticket", ticket.number),
                       SlotSet("place_assumed", bool(near_home))]
        elif ticket.building is None and (spot := spot_in(said)):
            # "北门口有人晕倒了": where it is, in the words those alerted were sent; "where is
            # it?" again would only cost the resident time
            turn.say("utter_emergency_spot_passed_on", words=spot)
            carried = [SlotSet("emergency_spot", spot)]
        return [*carried, SlotSet("category", category), SlotSet("emergency_ticket", ticket.number),
                SlotSet("live_emergency", ticket.number), SlotSet("attachments", None)]

    @staticmethod
    def _place_just_reported(turn: Turn, category: str) -> Events:
        """An emergency that says no place but follows the resident's own report of the same
        thing ("4号楼2单元电梯不动了", then "里面好像有人被困了") is in that report's place: the
        place is taken (never the household), and the report quoted for those alerted."""
        slots = turn.tracker.slots
        earlier = last_report(turn) if slots.get("building") is None else None
        said = str(turn.tracker.latest_message.get("text", ""))
        also = _ALSO.search(said) is not None and not _OUT_OF_BUILDING.search(said)
        if earlier is None or not (_BACK_THERE.search(said) or also or (
                earlier.category == category and not _ELSEWHERE.search(said))):
            return []
        place = place_of(earlier)
        if also and _ELSEWHERE.search(said):  # the stairwell or next door: not the same flat
            place["room"] = None
        slots.update(place)
        text = slots.get("report_text") or said
        quoted = f"{earlier.number}: {earlier.text[:100]}"
        slots["report_text"] = f"{text}（{quoted}）" if turn.language == "zh" \
            else f"{text} ({quoted})"
        return [SlotSet(name, value) for name, value in place.items()]


class SafetyAdvice(LinliAction):
    """What to do, for a danger not known to be one ("is that dangerous?" while the bot asks
    whether it is): the FAQ's answer when it has one ("总阀在哪"), else keep away and when to
    call 119 - never "leave now", which only a danger alerted would warrant."""

    def name(self) -> str:
        return "action_safety_advice"

    def act(self, turn: Turn) -> Events:
        if not answer_from_faq(turn):
            turn.say("utter_safety_precaution")
        return []


#: Smoke or flames, named: what makes a danger a fire whatever else the place suggests.
#: Narrower than ``_NAMED``'s fire cue, which only keeps advice from going beyond the words:
#: 抽烟 or 焦急 beside a flood make no fire.
_SMOKE_OR_FLAMES = re.compile(r"冒烟|着火|起火|失火|烟雾|浓烟|黑烟|火苗|火星|火光|明火|烧起来|"
                              r"焦糊味|焦味|糊味|烧焦|"
                              r"\b(?:on fire|fire|smok(?:e|ing)|flames?|sparks?|burning smell|"
                              r"smell(?:s|ing)? (?:of )?burning)\b", re.IGNORECASE)
#: Kinds of danger that smoke or flames named beside them make a fire: "地下车库有个电动车在
#: 冒烟" read as a flooded garage got advice to move the car to higher ground, and "电梯里有股
#: 焦糊味" was told what to do when trapped.
_FIRE_OUTRANKS = frozenset({"water", "drainage", "other", "elevator"})
#: Someone shut in: then a lift's own advice (the alarm button, don't force the doors) leads.
_SHUT_IN = re.compile(r"困|卡在|关在|出不来|里面有人|"
                      r"\b(?:trapped|stuck (?:in|inside)|can'?t get out|"
                      r"(?:someone|somebody|people) (?:is |are )?inside)\b", re.IGNORECASE)


def _kind_of_danger(category: str, said: str) -> str:
    """The kind of danger ``said`` tells of, given the classifier's ``category``."""
    if category == "elevator" and _SHUT_IN.search(said):
        return category
    outranked = category in _FIRE_OUTRANKS or (  # "厨房里一股焦糊味 锅烧干了": no wires in it
        category == "electricity" and not _ELECTRICAL.search(said))
    return "fire" if outranked and _SMOKE_OR_FLAMES.search(said) else category


def _advice(turn: Turn, category: str, said: str) -> str:
    """The safety advice for a danger of ``category`` told in the words ``said``; advice that
    sends people out ("leave now", "no switches") only when the words name fire or gas, not
    for a bare "help!!" the classifier guessed a kind for."""
    cue = _NAMED.get(category)
    if cue is not None and not cue.search(said):
        category = "other"
    name = f"utter_emergency_advice_{category}"
    if category == "medical" and _MYSELF_UNWELL.search(said):
        name = "utter_emergency_advice_self"  # "我头好晕 站不住了": sit down, not "roll them over"
    elif _AT_RISK.search(said):
        name = "utter_emergency_advice_person_at_risk"  # not "lock your door"
    elif _LOCKED_IN.search(said):
        name = "utter_emergency_advice_locked_in"  # nor this
    elif _MISSING.search(said):
        name = "utter_emergency_advice_missing"  # search and call 110, not "lock your door"
    elif category == "medical" and _WOUND.search(said) and not _UNRESPONSIVE.search(said):
        name = "utter_emergency_advice_wound"  # not "roll them onto their side"
    elif _CARBON_MONOXIDE.search(said) or (
            _HEATER.search(said) and danger.someone_unwell(clean(said).text)):
        name = "utter_emergency_advice_carbon_monoxide"  # air, and who feels unwell
    elif category in ("water", "drainage") and _WET_ELECTRICS.search(said):
        name = "utter_emergency_advice_electricity"  # water on a live lamp: not the valve
    if not turn.runtime.responses.has(name):
        name = "utter_emergency_advice_other"
    return turn.runtime.responses.render(name, turn.language).text


def _place_near_home(turn: Turn) -> tuple[Events, str | None]:
    """Where the danger is, from where it is said to be from the resident's home, and the
    response that says it back (to be put right if wrong):

    - "隔壁303有煤气味", "楼道里好大的烟", "the flat upstairs is on fire": a neighbour's home or
      the stairwell, so in the resident's own building and unit (the flat if said);
    - "我老伴在厕所摔了", "my kitchen is full of smoke": at home, said of no other place.

    The registered home is never assumed from nothing said: a gas smell may be anywhere."""
    slots = turn.tracker.slots
    home = turn.person.household
    said = str(turn.tracker.latest_message.get("text", ""))
    if slots.get("building") is not None or home is None:
        return [], None
    if _AT_HOME.search(said) and not _AWAY.search(said):
        place = {"building": home.building.number, "unit": home.unit, "room": home.room}
        response = "utter_emergency_place_home"
    elif (_NEXT_DOOR.search(said) or _OWN_STAIRWELL.search(said)) \
            and not _AT_HOME.search(said) and not _elsewhere_just_now(turn, home.building):
        place = {"building": home.building.number, "unit": home.unit, "room": slots.get("room")}
        response = "utter_emergency_place_next_door"
    else:
        return [], None
    slots.update(place)
    return [SlotSet(name, value) for name, value in place.items()], response


def _elsewhere_just_now(turn: Turn, building: Building) -> bool:
    """The resident's last report was in another building than ``building``: a stairwell
    they speak of now may be that one's."""
    number = turn.tracker.get_slot("last_ticket")
    ticket = by_number(turn.session, number) if number else None
    return ticket is not None and ticket.building is not None and ticket.building != building


class AskEmergencyPlace(LinliAction):
    """Where is the danger? A button per building, and the registered home offered first but
    never assumed: a gas smell in the stairwell is not at home."""

    def name(self) -> str:
        return "action_ask_emergency_place"

    def act(self, turn: Turn) -> Events:
        buttons = []
        home = turn.person.household
        if home is not None:
            place = place_text(home.building.number, home.unit, home.room, turn.language)
            chosen = {"building": home.building.number, "unit": home.unit, "room": home.room}
            buttons.append({
                "title": turn.runtime.responses.render("utter_emergency_at_home", turn.language,
                                                       place=place).text,
                "payload": "/choose" + json.dumps({k: v for k, v in chosen.items() if v},
                                                  ensure_ascii=False)})
        buttons += building_buttons(turn.session, turn.person, turn.language)
        turn.dispatcher.utter_message(response="utter_ask_emergency_place", buttons=buttons)
        return []


class EmergencyPlace(LinliAction):
    """The answer to "where is it?" goes on the emergency ticket (never into the household),
    routes it to that building's grid member, and tells them, the supervisor and the staff on
    duty again, now with the place and the resident's own words."""

    def name(self) -> str:
        return "action_emergency_place"

    def act(self, turn: Turn) -> Events:
        slots = turn.tracker.get_slot
        number = slots("emergency_ticket")
        ticket = by_number(turn.session, number) if number else None
        building = building_by_number(turn.session, turn.person, slots("building"))
        if ticket is None or building is None or ticket.building_id == building.id:
            return []  # the first message said where, and the first alerts said so too
        place_emergency(turn, ticket, building, slots("unit"), slots("room"))
        return []


#: Someone who may take their own life: the advice is to stay with them, not to lock a door.
_AT_RISK = re.compile(r"跳楼|要跳|想跳|轻生|自杀|寻死|不想活|割腕|"
                      r"\b(?:jump|jumping)\b|\bsuicid\w*|\bkill (?:him|her|them)sel(?:f|ves)\b|"
                      r"\bend (?:his|her|their) life\b", re.IGNORECASE)
#: Someone shut in a room or a car ("孩子把自己反锁在卫生间里了").
_LOCKED_IN = re.compile(r"反锁|(?:锁|关)(?:在)?.{0,4}(?:车|屋|家|卫生间|房间|厕所|浴室)里|"
                        r"\blocked (?:himself|herself|themselves|in|inside)\b|"
                        r"\bshut (?:in|inside)\b", re.IGNORECASE)
#: Someone missing ("孩子走丢了", "我妈出去买菜一直没回来", "my son is missing").
_PERSON = (r"(?:孩子|小孩|娃|儿子|女儿|闺女|孙子|孙女|外孙|老人|老太太|老爷子|老伴|我妈|我爸|"
           r"我爷爷|我奶奶)")
_MISSING = re.compile(r"走丢|走失|" + _PERSON + r".{0,8}(?:不见了|找不到|丢了|没回来|联系不上)|"
                      r"(?:找不到|不见了).{0,4}" + _PERSON + "|"
                      r"\b(?:is|has gone|went) missing\b|\bwandered off\b|"
                      r"\bcan'?t find (?:my |our )?(?:child|kid|son|daughter|mum|mom|dad|"
                      r"grand\w+|husband|wife)\b|\blost (?:my |our )?(?:child|kid|son|daughter)\b",
                      re.IGNORECASE)
#: A neighbour's home ("隔壁", "对门", "楼上那家", "next door"): in the resident's building.
_NEXT_DOOR = re.compile(r"隔壁|对门|对面那?[户家]|楼上|楼下那?[户家]|邻居家|"
                        r"\bnext door\b|\bupstairs\b|\bacross the (?:hall|landing)\b|"
                        r"\bneighbou?r'?s (?:flat|place|apartment|home|house)\b|"
                        r"\bthe (?:flat|apartment) (?:above|below|opposite)\b", re.IGNORECASE)
#: The resident unwell themselves ("我头好晕", "I feel faint"): advice for them, not a bystander.
_MYSELF_UNWELL = re.compile(
    r"我(?:的)?(?:头|心口|胸口|肚子)?(?:好|很|有点|特别|突然)?(?:晕|疼|难受|喘不上)|我站不住|我站不稳|"
    r"\bi(?:'m| am)? (?:feel(?:ing)? )?(?:so |really |very )?(?:dizzy|faint|lightheaded)\b|"
    r"\bi can'?t (?:stand|breathe)\b", re.IGNORECASE)
#: A wound or a bite: press on it, wash a bite, and 120 if it will not stop ("狗把我咬了 流血了").
_WOUND = re.compile(r"流血|出血|血止不住|伤口|咬伤|咬了|划破|割破|割伤|划伤|"
                    r"\b(?:bleed\w*|bitten|bit (?:me|my|him|her)|(?:a |the )?wound|"
                    r"cut (?:myself|himself|herself|my|his|her))\b", re.IGNORECASE)
#: Someone who does not respond: breathing and 120 come before any wound.
_UNRESPONSIVE = re.compile(r"叫不醒|没反应|不省人事|昏迷|晕倒|晕过去|昏过去|没呼吸|没气了|不喘气|"
                           r"\b(?:unconscious|unresponsive|not breathing|won'?t wake|passed out|"
                           r"collapsed|fainted)\b", re.IGNORECASE)
#: Electrics that water has reached ("水顺着吊灯往下滴", "water through the ceiling light").
_WET_ELECTRICS = re.compile(r"灯|电线|插座|插头|电箱|电闸|配电|开关|电表|电器|滋滋|火花|"
                            r"\b(?:lights?|lamps?|sockets?|plugs?|wiring|wires?|fuse|switch|"
                            r"electric\w*|sparks?|sizzl\w*|outlets?)\b", re.IGNORECASE)
#: Electrics named at all: what makes smoke an electrical fault's ("配电箱冒烟"), whose advice
#: is to keep off the wires.
_ELECTRICAL = re.compile(rf"{_WET_ELECTRICS.pattern}|电|\bpower\b", re.IGNORECASE)
#: Words that name a kind of danger whose advice is to get out.
_NAMED = {"fire": re.compile(r"火|烟|烧|焦|着了|\bfire|\bsmok|\bburn|\bflame|\bspark|\balarm",
                             re.IGNORECASE),
          "gas": re.compile(r"煤气|燃气|天然气|液化气|一氧化碳|嘶嘶|\bgas\b|\bcarbon monoxide\b|"
                            r"\bco (?:alarm|detector)|\bhiss", re.IGNORECASE)}
#: Carbon monoxide, which no one smells: fresh air first, and a check on who feels unwell;
#: named, or guessed from someone unwell beside a water heater.
_CARBON_MONOXIDE = re.compile(r"一氧化碳|煤气中毒|炭火|烧炭|煤炉|\bco (?:alarm|detector)|"
                              r"\bcarbon monoxide\b|\bcharcoal\b", re.IGNORECASE)
_HEATER = re.compile(r"热水器|\bheater\b|\bboiler\b", re.IGNORECASE)
#: Where a resident at home says a danger is: "在厨房", "at home", "in my kitchen".
#: The resident's own stairwell, said without a building ("楼道里好大的烟", "our landing").
_OWN_STAIRWELL = re.compile(r"楼道|楼梯间|楼梯口|我们楼|我们单元|本单元|"
                            r"\bour (?:stairwell|stairs|hallway|corridor|landing|floor)\b|"
                            r"\bthe (?:stairwell|hallway|corridor|landing)\b", re.IGNORECASE)
#: Places other than a home or its stairwell: a danger there is asked where it is.
_AWAY = re.compile(r"门口|小区|广场|花园|车库|地库|地下室|停车|外面|外边|路上|马路|街上|"
                   r"公园|超市|商场|医院|学校|电梯|大堂|大厅|楼下(?!那?[户家])|楼顶|天台|"
                   r"\b(?:lobby|outside|street|road|park|garage|car ?park|parking|shop|mall|"
                   r"school|lift|elevator|gate|entrance|square|garden|roof)\b", re.IGNORECASE)
_AT_HOME = re.compile(r"在家|家里|我家|屋里|屋头|厨房|卧室|客厅|卫生间|厕所|阳台|"
                      r"浴霸|浴缸|马桶|灶台|"
                      r"\bat home\b|\bat my place\b|\bmy (?:flat|apartment|home|kitchen|bedroom|"
                      r"bathroom|living room|balcony|ceiling)\b|\bin (?:the|my) (?:kitchen|bedroom|"
                      r"bathroom|living room)\b", re.IGNORECASE)


class EmergencyWords(LinliAction):
    """Words said while "where is it?" waits that name no building: an all-clear ("已经灭了
    没事了") stands the alert down, told to those alerted; a room of one's home ("在厨房") is
    the registered home; anything else ("5th floor", "很浓") goes on the ticket and to those
    alerted, and the question is not asked again in full."""

    def name(self) -> str:
        return "action_emergency_words"

    def act(self, turn: Turn) -> Events:
        number = turn.tracker.get_slot("emergency_ticket")
        ticket = by_number(turn.session, number) if number else None
        said = str(turn.tracker.latest_message.get("text", "")).strip()[:200]
        if ticket is None or not said or said.startswith("/"):
            return []
        home = turn.person.household
        if home is not None and _AT_HOME.search(said) and not _ELSEWHERE.search(said):
            return [SlotSet("building", home.building.number), SlotSet("unit", home.unit),
                    SlotSet("room", home.room)]
        if is_nod(said):  # "ok", "好的": heard, nothing to pass on
            turn.say("utter_emergency_place_waiting")
            return [SlotSet("taken", True)]
        if _hear(turn, ticket, said):
            return [SlotSet("taken", True), SlotSet("place_settled", True),
                    SlotSet("live_emergency", None)]
        if SPOT.search(said) and not asks_what_to_do(said):  # "就在小区门口": where, after all
            turn.say("utter_emergency_spot_noted", words=said)
            return [SlotSet("taken", True), SlotSet("place_settled", True)]
        # the building asked for once in so many words, not at every line ("我好怕")
        asked_before = bool(turn.tracker.get_slot("place_nagged"))
        turn.say("utter_emergency_update_passed" if asked_before
                 else "utter_emergency_words_passed", words=said)
        _advise(turn, ticket, said)
        return [SlotSet("taken", True), SlotSet("place_nagged", True)]


class EmergencyUpdate(LinliAction):
    """What the resident says once an emergency was raised and placed, while it is open
    ("我就在里面 手机快没电了", "消防车来了", "she's ok but scared"): more of the same danger,
    on its ticket and to those alerted, never a second alarm; an all-clear ("没事了 是邻居在
    烧烤") stands it down. Not taken: a place elsewhere (another danger), a report of another
    kind, or a ticket already closed."""

    def name(self) -> str:
        return "action_emergency_update"

    def act(self, turn: Turn) -> Events:
        number = turn.tracker.get_slot("live_emergency")
        ticket = by_number(turn.session, number) if number else None
        said = str(turn.tracker.latest_message.get("text", "")).strip()[:200]
        if number is None and turn.tracker.get_slot("stood_down"):
            if not _SORRY.search(said) and not danger.all_clear(clean(said).text):
                return [SlotSet("stood_down", None)]
            turn.say("utter_emergency_already_clear")  # "sorry, false alarm": once is enough
            return [SlotSet("taken", True), SlotSet("stood_down", None)]
        if ticket is None or ticket.status not in OPEN or not said or said.startswith("/"):
            return [SlotSet("live_emergency", None)] if number else []
        building = turn.entity("building")
        assumed = bool(turn.tracker.get_slot("place_assumed"))
        if building and (ticket.building is None or assumed):  # where it is, at last
            found = building_by_number(turn.session, turn.person, building)
            if found is not None:
                place_emergency(turn, ticket, found, turn.entity("unit"), turn.entity("room"))
                return [SlotSet("taken", True), SlotSet("place_assumed", None)]
        if building and (ticket.building is None or ticket.building.number != building):
            return []  # somewhere else: a danger (or a report) of its own
        reading = turn.tracker.latest_message.get("intent", {})
        intent = reading.get("name")
        category = turn.entity("category")
        asked = asks_what_to_do(said)  # "should I go and break up the fight?": about this one
        help_arrived = bool(_HELP_ARRIVED.search(said))
        over = danger.all_clear(clean(said).text) or help_arrived
        if intent in (danger.COMPLAINT, "report_repair") and not asked and not over \
                and category not in (None, "other", ticket.category) and (
                    _BESIDES.search(said) or turn.runtime.now() - _aware(ticket.created_at) > LIVE):
            # "btw the stairwell light is out": a report of its own ("楼上没人在家 电话也打不通"
            # while the water still pours is news of this one)
            return []
        if intent not in (danger.EMERGENCY, danger.OUT_OF_SCOPE, danger.COMPLAINT,
                          "report_repair") and sure(reading) \
                and not danger.all_clear(clean(said).text) \
                and turn.runtime.now() - _aware(ticket.created_at) > LIVE:
            return []  # a while later, a question is a question ("最近有什么活动")
        if _ANOTHER_MATTER.search(said) and intent != danger.EMERGENCY \
                and not danger.read(clean(said).text).here_now:
            return []  # "那投诉那个还算数吧": about the complaint, answered as such
        if _hear(turn, ticket, said):
            return [SlotSet("taken", True), SlotSet("live_emergency", None),
                    SlotSet("stood_down", True)]
        # "救护车到了", "the electrician is here": help is there, not just more news
        turn.say("utter_emergency_help_arrived" if help_arrived
                 else "utter_emergency_update_passed", words=said)
        _advise(turn, ticket, said)
        return [SlotSet("taken", True)]


#: How long after it was raised anything said is taken for news of an emergency ("should I
#: knock on doors?", "police are here now", however the NLU reads it).
LIVE = dt.timedelta(minutes=20)
#: "she is ok but scared", "人没事 但是还关在里面": not over yet.
_BUT = re.compile(r"\bbut\b|但是|不过|可是|就是还", re.IGNORECASE)
#: Words that bring up something besides ("btw", "另外", "还有个事").
_BESIDES = re.compile(r"另外|还有个|还有一|顺便|对了|\bbtw\b|\bby the way\b|\balso\b|"
                      r"\banother\b|\bseparate(?:ly)?\b", re.IGNORECASE)
#: Another matter of the resident's, named while an emergency is open ("那投诉那个还算数吧",
#: "did the movie signup go through?"): that matter, not news of the danger.
_ANOTHER_MATTER = re.compile(r"投诉|报修|工单|单号|报名|活动|义诊|"
                             r"(?:漏水|停电|噪音|装修)(?:那个|的事)|"
                             r"\b(?:complaint|repair|ticket|sign-?up|signed up|event|movie "
                             r"night)\b",
                             re.IGNORECASE)
#: Help has come ("救护车到了", "物业来了", "the fire brigade is here"): said back as such.
_HELP_ARRIVED = re.compile(
    r"(?:物业|电工|师傅|消防|消防车|消防员|救护车|急救|120|110|119|警察|民警|保安|维修工?|工作人员|网格员)"
    r"(?:的人)?(?:已经|都)?(?:来了|到了|赶到了|赶来了|上来了)|"
    # voices outside a stuck lift or a door: "外面有人说话了 是物业的人"
    r"(?:外面|门外|门口)有人(?:说话|喊|敲门|在弄|在撬|在开).{0,10}|有人来(?:救|开门|了)|"
    r"\b(?:ambulance|paramedics|fire (?:brigade|engine|truck|service)s?|firefighters|firemen|"
    r"police|security|technician|electrician|plumber|engineer)\b.{0,15}"
    r"\b(?:here|arrived|came|just got here|on (?:site|scene))\b|"
    r"\bi can hear (?:people|someone|voices)\b|"
    r"\bsomeone(?:'s| is) (?:outside|at the door|knocking)",
    re.IGNORECASE)
#: Someone hurt or unwell, told once the emergency is raised: first-aid advice then.
_SOMEONE_HURT = re.compile(
    r"流血|出血|血流|晕|昏|头晕|喘不上|呼吸困难|抽搐|没反应|叫不醒|摔|骨折|咬伤|咬了|烫伤|"
    r"\b(?:bleed\w*|blood|faint\w*|dizzy|unconscious|not breathing|can'?t breathe|"
    r"seizure|fell|broken|bitten|burn(?:ed|t)|hurt|injur\w*)\b", re.IGNORECASE)
#: Sorry for the fuss, once it is over ("不好意思", "sorry false alarm").
_SORRY = re.compile(r"不好意思|抱歉|对不起|打扰了|\bsorry\b|\bmy bad\b|\bapologi", re.IGNORECASE)


def _advise(turn: Turn, ticket: Ticket, said: str) -> None:
    """What to do, for words passed on about an emergency: "会不会有危险", "what should I do?"
    get the advice again (or the FAQ's, if it has a safety entry for the question: "总阀在
    哪"); someone hurt or unwell ("头上流血了", "she's feeling dizzy") first aid."""
    if asks_what_to_do(said):
        if not answer_from_faq(turn, only=SAFETY_ENTRIES):
            turn.say("utter_safety_advice", advice=_advice(turn, ticket.category or "other",
                                                           ticket.text))
    elif ticket.category != "medical" and _SOMEONE_HURT.search(said):
        turn.say("utter_safety_advice", advice=_advice(turn, "medical", said))


def _hear(turn: Turn, ticket: Ticket, said: str) -> bool:
    """The resident's words about an emergency on its ticket and to those alerted; True if
    they say it is over (then told so: "没事就好")."""
    over = danger.all_clear(clean(said).text) and not _BUT.search(said)
    add_note(turn.session, ticket, actor=turn.person, now=turn.runtime.now(), note=said)
    _alert(turn, ticket, "utter_notify_emergency_all_clear" if over
           else "utter_notify_emergency_words", _on_duty(turn, [ticket.assignee]),
           key=f"{_inbound_id(turn) or said}:", words=said)
    if over:
        turn.say("utter_emergency_all_clear")
    return over


def place_emergency(turn: Turn, ticket: Ticket, building: Building, unit: str | None,
                    room: str | None) -> None:
    """Put the emergency ``ticket`` at ``building`` (its first place, or a corrected one):
    its grid member takes it unless someone has accepted it or it went above them, and they,
    whoever had it, the supervisor and the staff on duty are alerted again with the place and
    the resident's words."""
    now = turn.runtime.now()
    said = str(turn.tracker.latest_message.get("text", "")).strip()
    words = "" if said.startswith("/") or said.isdigit() else said[:200]
    before = ticket.assignee
    locate(turn.session, ticket, building, unit, room, actor=turn.person, now=now, words=words)
    grid_member = building.grid.grid_member
    if before is None and grid_member is not None:
        assign(turn.session, ticket, grid_member, actor=None, now=now)
    elif grid_member is not None and grid_member != before and ticket.escalation_level == 0 \
            and ticket.status in (TicketStatus.NEW, TicketStatus.ASSIGNED):
        ticket.assignee = grid_member  # nobody has taken it on yet: the place's grid member
        turn.session.add(TicketEvent(ticket_id=ticket.id, at=now, kind="assigned",
                                     note=grid_member.name))
    _alert(turn, ticket, "utter_notify_emergency_place",
           _on_duty(turn, [grid_member, before, building.grid.supervisor]), words=words)
    turn.say("utter_emergency_place_noted",
             place=place_text(building.number, ticket.unit, ticket.room, turn.language),
             grid_member=grid_member.name if grid_member else "")


def _followed_report(turn: Turn) -> Ticket | None:
    """The report just made in this conversation (``last_ticket``), while open, if the
    resident reported it or joined it as one more household."""
    number = turn.tracker.get_slot("last_ticket")
    ticket = by_number(turn.session, number) if number else None
    if ticket is None or ticket.status not in OPEN or (
            ticket.reporter_id != turn.person.id
            and turn.person not in subscribers(turn.session, ticket)):
        return None
    return ticket


def pass_on(turn: Turn, ticket: Ticket, words: str) -> None:
    """The resident's words about their ticket, on it as a note and to its handlers."""
    add_note(turn.session, ticket, actor=turn.person, now=turn.runtime.now(), note=words)
    _tell_handlers(turn, ticket, "utter_notify_detail_added", handlers_of(turn, ticket),
                   key=f"{_inbound_id(turn) or words}:", words=words)


class ReportTiming(LinliAction):
    """"几天能修好" just after a report: who has it and by when they will be in touch; how
    long the work takes is theirs to say once they have seen it."""

    def name(self) -> str:
        return "action_report_timing"

    def act(self, turn: Turn) -> Events:
        ticket = _followed_report(turn)
        if ticket is None or ticket.assignee is None or ticket.respond_by is None:
            return []
        turn.say("utter_report_timing", **ticket_values(turn.runtime, ticket, turn.language))
        return [SlotSet("taken", True)]


class PassOnToHandler(LinliAction):
    """"能不能今天来修" just after a report was filed: a word for whoever handles it, passed
    on rather than read as a suggestion or a question for the FAQ."""

    def name(self) -> str:
        return "action_pass_on"

    def act(self, turn: Turn) -> Events:
        ticket = _followed_report(turn)
        words = str(turn.tracker.latest_message.get("text", "")).strip()[:500]
        if ticket is None or not words or not self.about(turn, ticket):
            return []
        pass_on(turn, ticket, words)
        _sorry_if_exasperated(turn, words)
        turn.say("utter_passed_on", **ticket_values(turn.runtime, ticket, turn.language),
                 words=words)
        return [SlotSet("taken", True)]

    def about(self, turn: Turn, ticket: Ticket) -> bool:
        """Whether the message is about ``ticket`` (the runner has judged so already)."""
        return True


class SameReport(PassOnToHandler):
    """The problem just reported, told again more exactly ("就是3楼那个灯 一直不亮" after "楼道
    灯坏了"): of the same kind, so a detail for its handler rather than a second ticket; or
    said to go on ("还是有味道"): on record, nobody bothered twice."""

    def name(self) -> str:
        return "action_same_report"

    def act(self, turn: Turn) -> Events:
        ticket = _followed_report(turn)
        said = clean(str(turn.tracker.latest_message.get("text", ""))).text
        category = turn.entity("category")
        # "楼道灯坏了" again is filed as a report (and found to be this one)
        # "3楼和4楼中间那段 地上一滩了" after "楼道里的水管在滴水": where, whatever it reads as
        if ticket is None or (category not in (None, ticket.category)
                              and not _WHERE_IN_IT.search(said)) \
                or said in clean(ticket.text).text:
            return []
        if _SAID_AGAIN.search(said):
            turn.say("utter_ticket_already_yours", **ticket_values(turn.runtime, ticket,
                                                                   turn.language))
            return [SlotSet("taken", True)]
        return super().act(turn) if category is not None else []


#: Where in the place just reported the problem is: between floors, "那段", "by the window".
_WHERE_IN_IT = re.compile(r"\d+楼(?:和|到|与|跟)\d+楼|中间|那段|那块|那截|那一段|拐角|"
                          r"\bbetween (?:floors?|the)\b|\bnear the\b|\bby the\b|"
                          r"\bon (?:the )?\d+(?:st|nd|rd|th)? floor\b", re.IGNORECASE)


class CorrectPlace(LinliAction):
    """"不对，是5号楼" just after a report was filed: the place was wrong (or, "对了 是2单元
    301", not all there). A ticket nobody has
    started on moves to that building and to its grid member, who is told, as is the one it
    left; one already being worked on keeps its handler, who is told the corrected place."""

    def name(self) -> str:
        return "action_correct_place"

    def act(self, turn: Turn) -> Events:
        number = turn.tracker.get_slot("last_ticket")
        ticket = by_number(turn.session, number) if number else None
        building = building_by_number(turn.session, turn.person, turn.entity("building"))
        if building is None and ticket is not None and (turn.entity("unit") or turn.entity(
                "room")):
            building = ticket.building  # "对了 是2单元301": the rest of the same place
        if ticket is None or building is None or ticket.reporter_id != turn.person.id \
                or ticket.status not in OPEN:
            return []  # not a correction of that report: the message is handled as itself
        if ticket.kind == TicketKind.EMERGENCY:  # its place was taken from the report before
            place_emergency(turn, ticket, building, turn.entity("unit"), turn.entity("room"))
            return [SlotSet("taken", True)]
        now = turn.runtime.now()
        words = str(turn.tracker.latest_message.get("text", "")).strip()[:200]
        unit, room = turn.entity("unit"), turn.entity("room")
        if building == ticket.building and unit in (None, ticket.unit) \
                and room in (None, ticket.room):  # "12号楼" of a report filed there: as it is
            turn.say("utter_ticket_place_unchanged", **ticket_values(turn.runtime, ticket,
                                                                     turn.language))
            return [SlotSet("taken", True)]
        before = ticket.assignee
        if ticket.status not in (TicketStatus.NEW, TicketStatus.ASSIGNED):
            add_note(turn.session, ticket, actor=turn.person, now=now, note=words)
            turn.say("utter_ticket_place_passed_on", **ticket_values(turn.runtime, ticket,
                                                                     turn.language))
            _tell_handlers(turn, ticket, "utter_notify_place_corrected", [p for p in [before]
                                                                          if p], words=words)
            return [SlotSet("taken", True)]
        locate(turn.session, ticket, building, unit, room, actor=turn.person, now=now,
               words=words)
        grid_member = building.grid.grid_member
        moves = ticket.escalation_level == 0 and grid_member is not None \
            and grid_member != before
        if moves and grid_member is not None:
            if before is None:
                assign(turn.session, ticket, grid_member, actor=None, now=now)
            else:
                ticket.assignee = grid_member
                turn.session.add(TicketEvent(ticket_id=ticket.id, at=now, kind="assigned",
                                             note=grid_member.name))
            _tell_handlers(turn, ticket, "utter_notify_new_ticket", [grid_member])
            if before is not None:
                _tell_handlers(turn, ticket, "utter_notify_ticket_moved", [before])
        elif before is not None:
            _tell_handlers(turn, ticket, "utter_notify_place_corrected", [before], words=words)
        turn.say("utter_ticket_place_corrected",
                 **ticket_values(turn.runtime, ticket, turn.language))
        return [SlotSet("taken", True)]


def _on_duty(turn: Turn, first: list[Person | None]) -> list[Person]:
    """``first`` (the people of the emergency's building), then the grid members and staff on
    duty, each once; not the reporter, who knows."""
    community = turn.person.community_id
    people = [*first, *(p for p in with_role(turn.session, community, Role.GRID_MEMBER)
                        if p.on_duty), *on_duty_staff(turn.session, community)]
    return list(dict.fromkeys(p for p in people if p is not None and p.id != turn.person.id))


def _alert(turn: Turn, ticket: Ticket, response: str, people: list[Person], key: str = "",
           **values: Any) -> None:
    """An urgent notification to each of ``people`` in their language, with the work
    buttons; a place not known yet is said so rather than left blank. ``key`` tells one
    such notification from the next."""
    photo = first_photo(turn)
    for person in people:
        language = person.language or "zh"
        found = ticket_values(turn.runtime, ticket, language)
        if not found["place"]:
            found["place"] = turn.runtime.responses.render("utter_emergency_place_pending",
                                                           language).text
        notify(turn, person, response, f"ticket:{ticket.number}:{response}:{key}{person.id}",
               photo=photo, urgent=True, **{**found, **values})


#: Tickets a status question without a number is answered with: the newest.
STATUS_SHOWN = 3


class TicketStatusAction(LinliAction):
    """Where the resident's tickets stand; someone else's number is never revealed."""

    def name(self) -> str:
        return "action_ticket_status"

    def act(self, turn: Turn) -> Events:
        number = turn.entity("ticket_id")
        mine = tickets_reported_by(turn.session, turn.person, number=number or None,
                                   limit=STATUS_SHOWN, options=ticket_card())
        if not mine:
            raise ActionRefusedError("utter_ticket_not_found" if number else "utter_no_tickets")
        _sorry_if_exasperated(turn, str(turn.tracker.latest_message.get("text", "")))
        changed = last_changed(turn.session, mine)
        for ticket in mine:
            turn.say("utter_ticket_status", **ticket_values(turn.runtime, ticket, turn.language),
                     updated=turn.runtime.local(changed[ticket.id]).strftime("%m-%d %H:%M"))
        return []


def _sorry_if_exasperated(turn: Turn, said: str) -> None:
    """An apology first when the resident is fed up with how their matter goes ("到底管不管")."""
    if exasperated(clean(said).text):
        turn.say("utter_sorry_for_the_wait")


def _own(turn: Turn, number: str | None) -> Ticket:
    """The resident's own ticket ``number``; anyone else's is not found."""
    ticket = by_number(turn.session, number) if number else None
    if ticket is None or ticket.reporter_id != turn.person.id:
        raise ActionRefusedError("utter_ticket_not_found")
    return ticket


def _said(ticket: Ticket) -> str:
    """The resident's words for a ticket, short enough for a question about it."""
    text = " ".join(ticket.text.split())
    return "" if text.startswith("/") else text if len(text) <= 20 else text[:19] + "…"


class ChooseTicketToCancel(LinliAction):
    """Which of the resident's own open tickets to withdraw: the one named, the only one, or
    a button for each. Only a ticket set here is asked about and withdrawn."""

    def name(self) -> str:
        return "action_choose_ticket_to_cancel"

    def act(self, turn: Turn) -> Events:
        number = turn.entity("ticket_id")
        if number:
            ticket = by_number(turn.session, number)
            if ticket is None or ticket.reporter_id != turn.person.id:
                turn.say("utter_ticket_not_found")
                return [SlotSet("ticket_id", None)]
        else:
            own_open = [t for t in tickets_reported_by(turn.session, turn.person, open_only=True)
                        if t.reporter_id == turn.person.id and t.status in OPEN]
            if own_open and all(t.kind == TicketKind.EMERGENCY for t in own_open):
                # "邻居帮我关了" read as a withdrawal: an emergency is stood down, not withdrawn
                turn.say("utter_emergency_not_withdrawn")
                return [SlotSet("ticket_id", None)]
            own_open = [t for t in own_open if t.kind != TicketKind.EMERGENCY]
            if not own_open:
                turn.say("utter_no_tickets" if turn.sure() else "utter_default")
                return [SlotSet("ticket_id", None)]
            if len(own_open) > 1:
                turn.dispatcher.utter_message(
                    response="utter_ask_which_ticket",
                    buttons=[{"title": t.number, "payload": f"/ticket_cancel{{\"ticket_id\": "
                              f"\"{t.number}\"}}"} for t in own_open[:5]])
                return [SlotSet("ticket_id", None)]
            ticket = own_open[0]
        if ticket.kind == TicketKind.EMERGENCY:
            turn.say("utter_emergency_not_withdrawn")
            return [SlotSet("ticket_id", None)]
        if ticket.status not in OPEN:
            turn.say("utter_ticket_cannot_cancel",
                     **ticket_values(turn.runtime, ticket, turn.language))
            return [SlotSet("ticket_id", None)]
        return [SlotSet("ticket_id", ticket.number)]


class AskTicketCancel(LinliAction):
    """"确定要撤销工单 BX-…（3号楼电梯坏了）吗？", with a yes and a no button."""

    def name(self) -> str:
        return "action_ask_ticket_cancel"

    def act(self, turn: Turn) -> Events:
        ticket = _own(turn, turn.tracker.get_slot("ticket_id"))
        values = ticket_values(turn.runtime, ticket, turn.language)
        if ticket.status not in OPEN:  # closed since it was chosen
            raise ActionRefusedError("utter_ticket_cannot_cancel", **values)
        turn.say("utter_confirm_ticket_cancel", **{**values, "report": _said(ticket)})
        return []


class CancelTicket(LinliAction):
    """Withdraw the ticket the resident chose and confirmed; its handler is told."""

    def name(self) -> str:
        return "action_cancel_ticket"

    def act(self, turn: Turn) -> Events:
        ticket = _own(turn, turn.tracker.get_slot("ticket_id"))
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
