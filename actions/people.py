"""Language, human handoff, suggestions and the replies that need nothing but a response."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.location import place_text
from actions.notify import notify
from store.models import Person, Role
from store.people import on_duty_staff

_LANGUAGE_WORDS = {"en": ("英", "english", "eng"), "zh": ("中", "汉", "普通话", "chinese",
                                                          "mandarin")}


class SetLanguage(LinliAction):
    """Switch the resident's language (saved on their profile)."""

    def name(self) -> str:
        return "action_set_language"

    def act(self, turn: Turn) -> Events:
        text = str(turn.tracker.latest_message.get("text", "")).lower()
        wanted = turn.entity("language") or next(
            (code for code, words in _LANGUAGE_WORDS.items() if any(w in text for w in words)),
            None)
        if wanted is None:
            turn.dispatcher.utter_message(
                response="utter_ask_language",
                buttons=[{"title": "中文", "payload": "/set_language{\"language\": \"zh\"}"},
                         {"title": "English", "payload": "/set_language{\"language\": \"en\"}"}])
            return []
        turn.person.language = wanted
        turn.dispatcher.utter_message(response="utter_language_set", language=wanted)
        return [SlotSet("language", wanted)]


class RequestHuman(LinliAction):
    """Hand the resident over to the staff on duty."""

    def name(self) -> str:
        return "action_request_human"

    def act(self, turn: Turn) -> Events:
        staff = on_duty_staff(turn.session, turn.person.community_id)
        home = turn.person.household
        place = place_text(home.building.number, home.unit, home.room,
                           turn.language) if home else ""
        text = str(turn.tracker.latest_message.get("text", ""))
        message_id = turn.tracker.latest_message.get("message_id") or turn.runtime.now()
        for person in staff:
            notify(turn, person, "utter_notify_handoff",
                   f"handoff:{turn.person.id}:{message_id}:{person.id}",
                   reporter=turn.person.name, place=place, message=text,
                   person_id=str(turn.person.id))
        if not turn.tracker.get_slot("handoff_quiet"):
            turn.say("utter_human_handoff", staff="、".join(p.name for p in staff))
        return []


class RelayReply(LinliAction):
    """Staff answer a resident who asked for a person: ``/reply 15 text`` reaches them."""

    def name(self) -> str:
        return "action_relay_reply"

    def act(self, turn: Turn) -> Events:
        if not turn.person.has_role(Role.STAFF):
            raise ActionRefusedError("utter_not_allowed")
        target, text = turn.entity("person"), turn.entity("note")
        resident = turn.session.get(Person, int(target)) if target and target.isdigit() else None
        if resident is None or resident.community_id != turn.person.community_id or not text:
            raise ActionRefusedError("utter_ask_reply")
        message_id = turn.tracker.latest_message.get("message_id") or turn.runtime.now()
        notify(turn, resident, "utter_staff_reply", f"reply:{turn.person.id}:{message_id}",
               urgent=True, staff=turn.person.name, message=text)  # answers their own message
        turn.say("utter_reply_sent", resident=resident.name)
        return []
