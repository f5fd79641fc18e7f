"""Answering residents' questions from the FAQ, or keeping them for staff."""

from __future__ import annotations

from actions.base import Events, LinliAction, Turn
from actions.faq_index import FaqEntry
from actions.names import person_name
from actions.notify import notify
from store.models import Question
from store.people import on_duty_staff


def _faq_entry(turn: Turn) -> FaqEntry | None:
    text = str(turn.tracker.latest_message.get("text", ""))
    faq = turn.runtime.live_faq.index(turn.runtime.faq, turn.session)
    found = faq.best(text) if faq else None
    return found[0] if found is not None else None


def _answer(turn: Turn, entry: FaqEntry) -> None:
    turn.dispatcher.utter_message(
        text=entry.answers.get(turn.language) or next(iter(entry.answers.values())))


class AnswerFaq(LinliAction):
    """Answer from the FAQ, or keep the question for staff and say so."""

    def name(self) -> str:
        return "action_answer_faq"

    def act(self, turn: Turn) -> Events:
        entry = _faq_entry(turn)
        if entry is not None:
            _answer(turn, entry)
            return []
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
        entry = _faq_entry(turn)
        if entry is not None:
            _answer(turn, entry)
        else:
            turn.say("utter_out_of_scope")
        return []
