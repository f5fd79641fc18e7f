"""Language, and the human handoff: a resident talks to staff through Linli until staff end
it, the resident does, or it falls silent; staff answer with /reply and close with /end."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from rasa_sdk.events import Restarted, SlotSet
from sqlalchemy.orm import Session

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.help import asks_about_me
from actions.location import place_text
from actions.names import person_name
from actions.notify import notify, notify_person
from actions.runtime import Runtime
from nlu.intents import sure
from nlu.text import clean
from store import handoffs
from store.masking import mask_sensitive
from store.models import Handoff, Person, Role
from store.people import on_duty_staff, with_role
from store.tickets import reported_by

_LANGUAGE_WORDS = {"en": ("英", "english", "eng"), "zh": ("中", "汉", "普通话", "chinese",
                                                          "mandarin")}
#: "sorry no chinese", "我看不懂英文", "不要中文": the language named is the one not wanted.
_NOT_BEFORE = re.compile(r"(?:不|没|别|\bno\b|\bnot\b|n't|\bdont\b|\bcant\b|\bcannot\b)"
                         r"[^,，.。!！?？]{0,8}$")


class SetLanguage(LinliAction):
    """Switch the resident's language (saved on their profile)."""

    def name(self) -> str:
        return "action_set_language"

    def act(self, turn: Turn) -> Events:
        text = str(turn.tracker.latest_message.get("text", "")).lower()
        wanted = turn.entity("language") or _language_wanted(text)
        if wanted is None:
            turn.dispatcher.utter_message(
                response="utter_ask_language",
                buttons=[{"title": "中文", "payload": "/set_language{\"language\": \"zh\"}"},
                         {"title": "English", "payload": "/set_language{\"language\": \"en\"}"}])
            return []
        turn.person.language = wanted
        turn.dispatcher.utter_message(response="utter_language_set", language=wanted)
        return [SlotSet("language", wanted)]


def _language_wanted(text: str) -> str | None:
    """The language a request in words asks for: the one it names, or the other one when it
    names the one the resident cannot read."""
    named = [(text.find(word), code) for code, words in _LANGUAGE_WORDS.items()
             for word in words if word in text]
    if not named:
        return None
    at, code = min(named)
    if _NOT_BEFORE.search(text[:at]):
        return next(other for other in _LANGUAGE_WORDS if other != code)
    return code


def _staff(session: Session, community_id: int) -> Sequence[Person]:
    """Who gets a handoff: the staff on duty, else every staff member."""
    return on_duty_staff(session, community_id) or with_role(session, community_id, Role.STAFF)


def staff_back(runtime: Runtime, now: dt.datetime, language: str) -> str | None:
    """When staff next work, as people say it ("明天8:30", "at 8:30 on Monday"); None in
    working time."""
    back = runtime.policy.work_calendar(runtime.timezone).next_working(now)
    if back <= now:
        return None
    local, today = runtime.local(back), runtime.local(now).date()
    days = (local.date() - today).days
    values = {"time": f"{local.hour}:{local.minute:02d}", "month": str(local.month),
              "day": str(local.day),
              "weekday": runtime.responses.label("weekday", str(local.weekday()), language),
              "month_name": runtime.responses.label("month", str(local.month), language)}
    response = ("utter_back_today" if days == 0 else "utter_back_tomorrow" if days == 1 else
                "utter_back_weekday" if days < 7 else "utter_back_date")
    return runtime.responses.render(response, language, **values).text


def _relay(turn: Turn, handoff: Handoff, people: Sequence[Person], text: str) -> None:
    """Pass one of the resident's lines to ``people``, each in their own language; phone and
    ID numbers masked for all but the handler of one of the resident's open tickets."""
    resident = turn.person
    home = resident.household
    message_id = turn.tracker.latest_message.get("message_id") or turn.runtime.now()
    handlers = {t.assignee_id for t in reported_by(turn.session, resident, open_only=True)}
    for person in people:
        language = person.language or "zh"
        place = place_text(home.building.number, home.unit, home.room, language) if home else ""
        notify(turn, person, "utter_notify_relay", f"handoff:{handoff.id}:{message_id}:{person.id}",
               reporter=person_name(turn.runtime, resident, language), place=place,
               message=text if person.id in handlers else mask_sensitive(text),
               person_id=str(resident.id))


def tell_staff_over(session: Session, runtime: Runtime, handoff: Handoff,
                    response: str) -> None:
    """The handoff is over: whoever was answering it hears so."""
    people = [handoff.staff] if handoff.staff else _staff(session, handoff.community_id)
    for person in people:
        notify_person(session, runtime, person, response,
                      f"handoff:{handoff.id}:ended:{person.id}",
                      resident=person_name(runtime, handoff.resident, person.language or "zh"),
                      minutes=minutes(runtime))


def time_out(session: Session, runtime: Runtime, handoff: Handoff) -> None:
    """A handoff fell silent (the scheduler ended it): both sides hear so at once."""
    notify_person(session, runtime, handoff.resident, "utter_handoff_timed_out",
                  f"handoff:{handoff.id}:timed-out", minutes=minutes(runtime))
    tell_staff_over(session, runtime, handoff, "utter_notify_handoff_timed_out")


def minutes(runtime: Runtime) -> str:
    return str(round(runtime.policy.handoff.timeout.total_seconds() / 60))


# A resident who says only these (and thanks) is done with the person: "不用了，谢谢", "ok bye".
_ENDING = ("不用了", "不需要了", "算了", "没事了", "结束", "结束对话", "结束人工", "再见", "拜拜",
           "不聊了", "就这样", "bye", "goodbye", "bye bye", "byebye", "end", "end chat", "stop",
           "never mind", "nevermind", "nvm", "forget it", "no need", "that's all", "that's it",
           "i'm done", "all done", "cancel", "cancel that", "no longer needed",
           "i found it", "found it", "got it sorted",
           # ... and the matter sorted meanwhile: "算了没事了 我自己弄好了", "I figured it out"
           "我自己弄好了", "自己弄好了", "自己解决了", "已经解决了",
           "i figured it out", "figured it out", "i fixed it", "fixed it", "i sorted it",
           "sorted", "it's fine now", "all good", "all sorted")
_POLITE = ("好的", "好", "谢谢", "谢谢你", "谢谢您", "谢了", "多谢", "了", "啦", "吧", "哈", "嗯",
           "那", "那就", "先", "哦", "其实", "还是", "行", "收到", "知道了", "ok", "okay", "k",
           "sure", "yes", "yeah", "yep", "thanks", "thank you", "thank", "thx", "cheers", "then",
           "for now", "actually", "oh", "wait", "ah", "um", "sorry")


def _alternatives(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_ENDS = re.compile(rf"(?:(?:{_alternatives(_POLITE)})\s*)*(?:{_alternatives(_ENDING)})"
                   rf"(?:\s*(?:{_alternatives((*_ENDING, *_POLITE))}))*")


#: "算了 我自己问机器人吧 结束": giving up on the person, ended in so many words.
_GIVES_UP = re.compile(r"算了|不用了|不等了|\bnever ?mind\b|\bforget it\b|\bnvm\b", re.IGNORECASE)
_ENDS_WITH = re.compile(rf"(?:{_alternatives(_ENDING)})\s*$", re.IGNORECASE)
#: "还在吗", "anyone there?": the resident wonders whether the line is open.
_NUDGE = re.compile(r"^(?:还)?在吗|有人吗|怎么(?:还)?没人(?:回|理)|还要等多久|人呢|"
                    r"\banyone there\b|\bhello\?+|\bstill there\b|\bare you there\b|"
                    r"\bany(?:one|body) (?:reading|answering)\b", re.IGNORECASE)


_NOD = re.compile(rf"(?:(?:{_alternatives(_POLITE)})[\s,，.。!！~]*)+")


def is_nod(text: str) -> bool:
    """"好的", "ok thanks", "收到": a nod or thanks, which needs no word back."""
    return bool(_NOD.fullmatch(clean(text).text.strip()))


def ends_handoff(text: str) -> bool:
    """True if ``text`` says the resident no longer needs the person: nothing else, or giving
    up and ending ("算了 我自己问机器人吧 结束")."""
    said = re.sub(r"\s+", " ", re.sub(r"[^\w\s']+", " ", clean(text).text)).strip()
    return bool(_ENDS.fullmatch(said)) or bool(
        _GIVES_UP.search(said) and _ENDS_WITH.search(said))


class RequestHuman(LinliAction):
    """Hand the resident over to the staff: from now on their lines go to a person."""

    def name(self) -> str:
        return "action_request_human"

    def act(self, turn: Turn) -> Events:
        if asks_about_me(str(turn.tracker.latest_message.get("text", ""))):
            turn.say("utter_about_me")  # "你是真人吗": an answer, not a person called over
            return []
        staff = _staff(turn.session, turn.person.community_id)
        if not staff:
            raise ActionRefusedError("utter_human_unavailable")
        now = turn.runtime.now()
        handoff = handoffs.start(turn.session, turn.person, now)
        _relay(turn, handoff, staff, str(turn.tracker.latest_message.get("text", "")))
        if not turn.tracker.get_slot("handoff_quiet"):
            names = [p.name for p in staff]
            # after hours the person on call is named once, with when the office is back:
            # never "on duty now, reply soon" beside "closed until Monday"
            if back := staff_back(turn.runtime, now, turn.language):
                turn.say("utter_human_handoff_after_hours", staff=names, back=back)
            else:
                turn.say("utter_human_handoff", staff=names)
            turn.say("utter_handoff_how_to_end")
        return [Restarted()]  # a question the bot was asking is left to the person


#: Readings that ask nothing of Linli: in a handoff they stay the staff's.
_SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "out_of_scope"})


class RelayToStaff(LinliAction):
    """A line from a resident in a handoff: to the staff (or back to the bot when the resident
    says they are done, or when the handoff fell silent). Sets ``taken`` when the line needs
    nothing more from the bot."""

    def name(self) -> str:
        return "action_relay_to_staff"

    @staticmethod
    def _back_in_our_language(turn: Turn, handoff: Handoff) -> bool:
        """"sorry english ok? water leak in my bathroom" after a message in Spanish was handed
        over, before anyone took it up: a request Linli can serve, so the handoff ends."""
        message = turn.tracker.latest_message
        reading = message.get("intent", {})
        return bool(turn.tracker.get_slot("foreign_handoff")) and handoff.staff is None \
            and message.get("language") in ("zh", "en") \
            and reading.get("name") not in _SMALL_TALK \
            and sure(reading)

    def act(self, turn: Turn) -> Events:
        handoff = handoffs.open_handoff(turn.session, turn.person)
        if handoff is None:
            return [SlotSet("taken", False)]
        now = turn.runtime.now()
        intent = turn.tracker.latest_message.get("intent", {}).get("name")
        if handoffs.expired(handoff, now, turn.runtime.policy.handoff.timeout):
            handoffs.end(handoff, now, handoffs.TIMEOUT)
            tell_staff_over(turn.session, turn.runtime, handoff, "utter_notify_handoff_timed_out")
            if intent != "request_human":  # asking again: the new handoff says it all
                turn.say("utter_handoff_timed_out", minutes=minutes(turn.runtime))
            return [SlotSet("taken", False)]
        text = str(turn.tracker.latest_message.get("text", ""))
        if self._back_in_our_language(turn, handoff):
            handoffs.end(handoff, now, handoffs.RESIDENT)
            tell_staff_over(turn.session, turn.runtime, handoff, "utter_notify_handoff_left")
            return [SlotSet("taken", False), SlotSet("foreign_handoff", None)]
        if ends_handoff(text):
            handoffs.end(handoff, now, handoffs.RESIDENT)
            tell_staff_over(turn.session, turn.runtime, handoff, "utter_notify_handoff_left")
            turn.say("utter_handoff_ended")
            return [SlotSet("taken", True)]
        staff = [handoff.staff] if handoff.staff else _staff(turn.session,
                                                             handoff.community_id)
        handoff.relayed += 1
        handoff.last_activity_at = now
        _relay(turn, handoff, staff, text)
        # whom it went to, once and when asked whether anyone is there; until someone takes
        # the chat up (then it is a chat with a person), a short word that each line arrived
        if (handoff.relayed == 1 and handoff.staff is None) or _NUDGE.search(text):
            names = [p.name for p in staff]
            if back := staff_back(turn.runtime, now, turn.language):
                turn.say("utter_handoff_relayed_after_hours", staff=names, back=back)
            else:
                turn.say("utter_handoff_relayed", staff=names)
        elif handoff.staff is None and (phone := turn.entity("phone")):
            turn.say("utter_handoff_callback", phone=phone)  # "打我电话吧 138…"
        elif handoff.staff is None and not is_nod(text):
            turn.say("utter_handoff_line_passed")
        return [SlotSet("taken", True)]


def _resident_for_staff(turn: Turn) -> Person:
    """The resident a staff command names (/reply 15 …, /end 15)."""
    if not turn.person.has_role(Role.STAFF):
        raise ActionRefusedError("utter_not_allowed")
    target = turn.entity("person")
    # A number past the id column's range names nobody (PostgreSQL would refuse the query).
    resident = turn.session.get(Person, int(target)) \
        if target and target.isdigit() and int(target) < 2**31 else None
    if resident is None or resident.community_id != turn.person.community_id:
        raise ActionRefusedError("utter_ask_reply")
    return resident


class RelayReply(LinliAction):
    """Staff answer a resident: ``/reply 15 text`` (or a Telegram reply to a relayed line)
    reaches them and keeps the handoff open, or opens it again, so their answer comes back."""

    def name(self) -> str:
        return "action_relay_reply"

    def act(self, turn: Turn) -> Events:
        resident, text = _resident_for_staff(turn), turn.entity("note")
        if not text:
            raise ActionRefusedError("utter_ask_reply")
        now = turn.runtime.now()
        opens = handoffs.open_handoff(turn.session, resident) is None
        handoffs.start(turn.session, resident, now, staff=turn.person)
        message_id = turn.tracker.latest_message.get("message_id") or now
        notify(turn, resident, "utter_staff_reply", f"reply:{turn.person.id}:{message_id}",
               urgent=True, staff=turn.person.name, message=text)  # answers their own message
        if opens:  # they did not ask for a person just now: say how the chat works
            notify(turn, resident, "utter_handoff_reply_opens",
                   f"reply:{turn.person.id}:{message_id}:opens", urgent=True)
        turn.say("utter_reply_sent",
                 resident=person_name(turn.runtime, resident, turn.language))
        return []


class EndHandoff(LinliAction):
    """Staff close a handoff (``/end 15``, or the button on a relayed line): the resident is
    told they are back with Linli."""

    def name(self) -> str:
        return "action_end_handoff"

    def act(self, turn: Turn) -> Events:
        resident = _resident_for_staff(turn)
        name = person_name(turn.runtime, resident, turn.language)
        handoff = handoffs.open_handoff(turn.session, resident)
        now = turn.runtime.now()
        if handoff is None:
            raise ActionRefusedError("utter_handoff_not_open", resident=name)
        handoffs.end(handoff, now, handoffs.STAFF)
        notify(turn, resident, "utter_handoff_ended_by_staff", f"handoff:{handoff.id}:closed",
               urgent=True, staff=turn.person.name)
        turn.say("utter_handoff_end_done", resident=name)
        return []
