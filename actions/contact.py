"""Reaching the resident: someone the community file does not know (a web chat, a new sender)
is asked once, optionally, for a name and phone when somebody will have to come round; the
answer is kept on the person and the ticket's handler is told."""

from __future__ import annotations

import re

from rasa_sdk.events import SlotSet
from sqlalchemy import exists, select

from actions.base import Events, LinliAction, Turn
from actions.names import person_name
from actions.notify import notify
from store.conflict import staff_told
from store.models import Person, Ticket, TicketEvent, TicketKind
from store.parts import Place
from store.tickets import by_number

#: The ``contact`` slot when there is nothing to ask, and the "skip" button's answer.
NOT_NEEDED, SKIPPED = "none", "skip"
# A refusal: "不留了", "不用", "没必要", "别了", "no thanks", "rather not" (a number given with
# it — "不是，电话是…" — is an answer all the same).
REFUSAL = re.compile(r"^\s*(?:不|没|别|免了|算了|skip\b|no\b(?!\s*problem)|nope\b|nah\b|"
                   r"rather not\b)",
                   re.IGNORECASE)
# Words around a name that are not the name: "我叫王小明，电话是…", "my name is Li, phone…".
_NAME_AFTER = re.compile(r"(?:我叫|我是|我姓|叫我|称呼我?|姓名|名字|联系人|my name is|my name's|"
                         r"i am|i'm|this is|call me|name)\s*[:：是]?\s*", re.IGNORECASE)
_NOT_NAME = re.compile(r"电话|手机|号码|联系方式|phone|mobile|number|tel\b|[:：,，。.!！;；、]",
                       re.IGNORECASE)
_TITLES = "先生|女士|阿姨|叔叔|大爷|大妈|奶奶|爷爷|老师|师傅|姐|哥"
_CJK_NAME = re.compile(rf"^[\u4e00-\u9fff]{{1,4}}({_TITLES})?$")
_CJK_TITLED = re.compile(rf"^[\u4e00-\u9fff]{{1,2}}({_TITLES})$")  # 王阿姨, 李先生
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z.'-]*(?: [A-Za-z][A-Za-z.'-]*){0,2}$")
#: What a short answer means when it is not a name ("好的", "ok", "谢谢").
_SURNAME_ONLY = re.compile(r"[\u4e00-\u9fff]")
_NOT_A_NAME_INTENTS = frozenset({"affirm", "deny", "thank", "greet", "goodbye"})


def parse_name(text: str, *, with_phone: bool = False) -> str | None:
    """The name in an answer to "how should we call you?": one introduced as such ("我姓李",
    "叫我王阿姨", "my name is Anna"), given beside a phone number ("王小明 139…"), or one that
    reads as a name on its own ("王阿姨", "Tom Lee"). Anything else ("随便", "hmm") is none."""
    found = _NAME_AFTER.search(text)
    words = _NOT_NAME.sub(" ", text[found.end():] if found else text).split()
    if not words:
        return None
    if found:
        name = words[0] if _CJK_NAME.match(words[0]) else " ".join(words[:3])
        plain = bool(_CJK_NAME.match(name) or _LATIN_NAME.match(name))
    else:
        name = " ".join(words)
        plain = bool((with_phone and _CJK_NAME.match(name)) or _CJK_TITLED.match(name) or (
            _LATIN_NAME.match(name) and name[0].isupper()))
    return name[:40] if plain else None


def readable_phone(phone: str | None) -> str | None:
    """A landline with its area code set apart, as people write it: 010-62345678."""
    if phone is None or not phone.startswith("0"):
        return phone
    area = 3 if phone[1] in "12" else 4  # 010 and 02x: three digits; the rest four
    return f"{phone[:area]}-{phone[area:]}"


def needs_contact(reporter: Person, ticket: Ticket, place: Place) -> bool:
    """Whether to ask (unless asked before, see ``was_asked``): someone will have to come
    round (a problem inside a flat, or where nobody knows; a complaint about a worker) and
    nobody has the resident's phone."""
    if ticket.kind == TicketKind.EMERGENCY or reporter.phone:
        return False
    return ticket.accused_id is not None or not place.shared


def was_asked(turn: Turn) -> bool:
    return bool(turn.session.scalar(select(exists().where(
        TicketEvent.actor_id == turn.person.id, TicketEvent.kind == "contact_asked"))))


def handlers_of(turn: Turn, ticket: Ticket) -> list[Person]:
    """Who handles a ticket: its assignee — and, for a complaint about a worker, the staff
    on duty as well; the staff on duty when nobody holds it."""
    people = [ticket.assignee] if ticket.assignee is not None else []
    if ticket.assignee is None or ticket.accused_id is not None:
        people += staff_told(turn.session, ticket)
    return list(dict.fromkeys(people))


class AskContact(LinliAction):
    """"方便留个称呼和电话吗？" with a skip button; the handler named as the one who sees it."""

    def name(self) -> str:
        return "action_ask_contact"

    def act(self, turn: Turn) -> Events:
        number = turn.tracker.get_slot("last_ticket")
        ticket = by_number(turn.session, number) if number else None
        private = ticket is not None and ticket.accused_id is not None
        turn.say("utter_ask_contact_private" if private else "utter_ask_contact")
        return []


class SaveContact(LinliAction):
    """The answer: a phone (mobile or landline) and a name, kept on the person and told to
    the ticket's handler; "skip" is respected; anything else is asked again, once more."""

    def name(self) -> str:
        return "action_save_contact"

    def act(self, turn: Turn) -> Events:
        said = str(turn.tracker.get_slot("contact") or "")
        if said in (NOT_NEEDED, "saved"):
            return []
        number = turn.tracker.get_slot("last_ticket")
        ticket = by_number(turn.session, number) if number else None
        intent = str((turn.tracker.latest_message.get("intent") or {}).get("name", ""))
        now = turn.runtime.now()
        phone = readable_phone(turn.entity("phone"))
        if said == SKIPPED or (phone is None and (REFUSAL.search(said) or intent == "deny")):
            if ticket is not None:
                turn.session.add(TicketEvent(ticket_id=ticket.id, at=now,
                                             actor_id=turn.person.id, kind="contact_declined"))
            turn.say("utter_contact_skipped")
            return [SlotSet("contact", NOT_NEEDED)]
        name = None if intent in _NOT_A_NAME_INTENTS and not phone else parse_name(
            self._without_phone(turn), with_phone=phone is not None)
        if phone is None and name is None:
            turn.say("utter_ask_contact_again")
            return [SlotSet("contact", None)]
        person = turn.person
        if name:
            person.name = name
        if phone:
            person.phone = phone
        # "我姓王": 王 is kept, but "谢谢王！" is no way to thank anyone
        thanked = name if name and not _SURNAME_ONLY.fullmatch(name) else ""
        turn.say("utter_contact_saved", name=thanked, phone=phone or "")
        if ticket is not None:
            turn.session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=person.id,
                                         kind="contact_given"))
            for handler in handlers_of(turn, ticket):
                language = handler.language or "zh"
                notify(turn, handler, "utter_notify_contact",
                       f"ticket:{ticket.number}:contact:{person.id}:{handler.id}",
                       ticket=ticket.number, reporter=person_name(turn.runtime, person, language),
                       phone=person.phone or "")
        return [SlotSet("contact", "saved")]

    @staticmethod
    def _without_phone(turn: Turn) -> str:
        said = str(turn.tracker.latest_message.get("text", ""))
        for entity in turn.tracker.latest_message.get("entities") or []:
            if entity.get("entity") == "phone" and "start" in entity and "end" in entity:
                return said[:int(entity["start"])] + " " + said[int(entity["end"]):]
        return said
