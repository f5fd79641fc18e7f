"""Answering residents' questions from the FAQ, or keeping them for staff."""

from __future__ import annotations

import re

from rasa_sdk.events import SlotSet

from actions.base import Events, LinliAction, Turn
from actions.faq_index import FaqEntry
from actions.help import asks_about_me
from actions.names import person_name
from actions.notify import notify
from nlu import outside
from nlu.danger import PLACE_ENTITIES
from nlu.followups import follows_up, points_back
from nlu.text import clean
from store.models import Question
from store.people import on_duty_staff

_CLAUSES = re.compile(r"[\s,，。.!！;；]+")
#: Characters a last clause has at least to be asked on its own.
_CLAUSE_AT_LEAST = 4


def _faq_entry(turn: Turn) -> tuple[FaqEntry | None, Events]:
    """The entry that answers the message, asked with the question answered just before when
    it follows that one up; and the event that remembers the question answered now."""
    text = str(turn.tracker.latest_message.get("text", ""))
    faq = turn.runtime.live_faq.index(turn.runtime.faq, turn.session)
    if faq is None:
        return None, []
    before = turn.tracker.get_slot("faq_before")
    # "垃圾几点收" names its own topic; "要带什么材料", "那电池呢" lean on the last one
    follows = bool(before) and follows_up(text) and (
        points_back(text) or not faq.names_a_topic(text))
    asked = f"{before} {text}" if follows else text
    found = faq.best(asked) if follows else None
    if found is None:
        asked, found = text, faq.best(text)
    clauses = [c for c in _CLAUSES.split(text) if c]
    if found is None and len(clauses) > 1 and len(clauses[-1]) >= _CLAUSE_AT_LEAST:
        # "我家小孩发烧了 社区医院几点开门": the question comes last, after why it is asked
        asked, found = clauses[-1], faq.best(clauses[-1])
    if found is None:
        return None, []
    return found[0], [SlotSet("last_faq", asked[-200:])]


def _answer(turn: Turn, entry: FaqEntry) -> None:
    turn.dispatcher.utter_message(
        text=entry.answers.get(turn.language) or next(iter(entry.answers.values())))


#: Entries that say what to do in a danger: the only ones a question asked during an
#: emergency is answered from ("should I knock on doors?" is no question about door cards).
SAFETY_ENTRIES = frozenset({"shutoff_valves_where", "fire_extinguisher_where", "fire_what_to_do",
                            "gas_smell_what_to_do", "lift_trapped_what_to_do"})


def answer_from_faq(turn: Turn, only: frozenset[str] | None = None) -> bool:
    """Answer the message from the FAQ if an entry answers it (one of ``only``, if given);
    whether one did."""
    entry, _ = _faq_entry(turn)
    if entry is None or (only is not None and entry.id not in only):
        return False
    _answer(turn, entry)
    return True


class AnswerFaq(LinliAction):
    """Answer from the FAQ, or keep the question for staff and say so."""

    def name(self) -> str:
        return "action_answer_faq"

    def act(self, turn: Turn) -> Events:
        entry, remembered = _faq_entry(turn)
        if entry is not None:
            _answer(turn, entry)
            return remembered
        text = str(turn.tracker.latest_message.get("text", ""))
        question = Question(community_id=turn.person.community_id, person_id=turn.person.id,
                            text=text[:2000], language=turn.language,
                            created_at=turn.runtime.now())
        turn.session.add(question)
        turn.session.flush()
        for staff in on_duty_staff(turn.session, turn.person.community_id):
            language = staff.language or "zh"
            notify(turn, staff, "utter_notify_handoff", f"question:{question.id}:{staff.id}",
                   reporter=person_name(turn.runtime, turn.person, language), message=text,
                   person_id=str(turn.person.id))
        turn.say("utter_faq_no_answer")
        return []


class OutOfScope(LinliAction):
    """Not something Linli handles, unless the FAQ answers it after all.

    The intent classifier sometimes reads a community question as out of scope ("怎么吃低保");
    the FAQ index only answers when an entry explains most of the question, and answers none
    of the out-of-scope training messages it was measured on, so asking it costs nothing.
    """

    def name(self) -> str:
        return "action_out_of_scope"

    def act(self, turn: Turn) -> Events:
        text = str(turn.tracker.latest_message.get("text", ""))
        if asks_about_me(text):
            turn.say("utter_about_me")  # "who made you"
            return []
        # "地铁站电梯坏了好几天了": not the community's, and the resident is told whose
        if outside.request_elsewhere(turn.tracker.latest_message, clean(text).text,
                                     any(turn.entity(name) for name in PLACE_ENTITIES)):
            turn.say("utter_outside_community")
            return []
        entry, remembered = _faq_entry(turn)
        if entry is not None:
            _answer(turn, entry)
            return remembered
        turn.say("utter_out_of_scope")
        return []
