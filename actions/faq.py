"""Answering residents' questions from the FAQ, or keeping them for staff."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rasa_sdk.events import SlotSet

from actions.base import Events, LinliAction, Turn
from actions.faq_index import FaqEntry
from actions.help import asks_about_me
from actions.names import person_name
from actions.notify import notify
from nlu import danger, outside
from nlu.danger import PLACE_ENTITIES
from nlu.followups import follows_up, points_back
from nlu.intents import SURE
from nlu.text import clean
from store.models import Question
from store.people import on_duty_staff

#: Where a clause ends: punctuation, and in Chinese a space too (voice transcripts have no
#: commas); in English a space only parts words.
_CLAUSES_ZH = re.compile(r"[\s,，。.!！;；?？]+")
_CLAUSES_EN = re.compile(r"\s*[,，。.!！;；?？]+\s*")
#: A sentence and the mark that ends it.
_SENTENCES = re.compile(r"[^?？!！。.;；\n]+[?？!！。.;；]*")
#: Characters a Chinese clause has at least to be asked on its own; words, an English one.
_CLAUSE_AT_LEAST = 4
_CLAUSE_WORDS_AT_LEAST = 3
#: Clauses of a long message tried on their own, from the last, at most.
_CLAUSES_TRIED = 3


def _questions(text: str) -> list[str]:
    """The sentences of ``text`` that ask ("…? Only asking"), when it has more than one."""
    sentences = [s.strip() for s in _SENTENCES.findall(text) if s.strip()]
    return [s for s in sentences if s[-1] in "?？"] if len(sentences) > 1 else []


def _clauses(text: str) -> list[str]:
    """The clauses of ``text`` that may be asked on their own, last first."""
    english = text.isascii()
    parts = [c.strip() for c in (_CLAUSES_EN if english else _CLAUSES_ZH).split(text)]
    long_enough = [c for c in parts if (len(c.split()) >= _CLAUSE_WORDS_AT_LEAST if english
                                        else len(c) >= _CLAUSE_AT_LEAST)]
    return long_enough[::-1][:_CLAUSES_TRIED] if len([p for p in parts if p]) > 1 else []


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
    # "What should I do if I smell gas? Only asking, we just moved in": the question asked,
    # before the whole; "我家小孩发烧了 社区医院几点开门": then its clauses, last first
    tried = [*([f"{before} {text}"] if follows else []), *_questions(text), text, *_clauses(text)]
    # "tax office open on saturdays?": only an entry that speaks of that office answers
    elsewhere = outside.office(clean(text).text)
    for asked in tried:
        found = faq.best(asked)
        if found is not None and (elsewhere is None or _speaks_of(found[0], elsewhere)):
            return found[0], [SlotSet("last_faq", asked[-200:])]
    return None, []


def _speaks_of(entry: FaqEntry, place: str) -> bool:
    return any(place in answer.lower() for answer in entry.answers.values())


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
        if _in_passing(text, turn.tracker.latest_message):
            turn.say("utter_ack")  # "开吧开吧": nothing asked, nothing for staff to answer
            return []
        if outside.office(clean(text).text) is not None:
            turn.say("utter_ask_that_office")  # staff know its hours no better than Linli
            return []
        keep_for_staff(turn, text)
        turn.say("utter_faq_no_answer")
        return []


def keep_for_staff(turn: Turn, text: str) -> None:
    """A question Linli cannot answer, kept and sent to the staff on duty, who answer here."""
    question = Question(community_id=turn.person.community_id, person_id=turn.person.id,
                        text=text[:2000], language=turn.language, created_at=turn.runtime.now())
    turn.session.add(question)
    turn.session.flush()
    for staff in on_duty_staff(turn.session, turn.person.community_id):
        language = staff.language or "zh"
        notify(turn, staff, "utter_notify_handoff", f"question:{question.id}:{staff.id}",
               reporter=person_name(turn.runtime, turn.person, language), message=text,
               person_id=str(turn.person.id))


#: How short a message said in passing is (characters, emoji and punctuation left out).
_IN_PASSING_AT_MOST = 6
_WORDY = re.compile(r"[\w']+")


def _in_passing(text: str, parse: Mapping[str, Any]) -> bool:
    """A few words the NLU read as out of scope without conviction, asking nothing: a nod or
    an exclamation in a conversation ("关了关了", "吓我一跳", "oh wow ok")."""
    said = "".join(_WORDY.findall(clean(text).text))
    return len(said) <= _IN_PASSING_AT_MOST * (2 if said.isascii() else 1) \
        and float(parse.get("intent", {}).get("confidence", 1.0)) < SURE \
        and not re.search(r"[?？吗呢]", text)



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
        # "我妈在别的区的房子漏气了": not for this community's staff; 119 / 120 / 110 there
        if danger.away_now(clean(text).text):
            turn.say("utter_danger_elsewhere")
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
        # "关了关了", "开吧开吧": a word in passing the NLU could not place, not a request
        if outside.office(clean(text).text) is not None:
            turn.say("utter_ask_that_office")
            return []
        turn.say("utter_ack" if _in_passing(text, turn.tracker.latest_message) else
                 "utter_out_of_scope")
        return []
