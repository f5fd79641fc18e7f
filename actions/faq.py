"""Answering residents' questions from the FAQ, or keeping them for staff."""

from __future__ import annotations

from actions.base import Events, LinliAction, Turn
from actions.notify import notify
from store.models import Question
from store.people import on_duty_staff


class AnswerFaq(LinliAction):
    """Answer from the FAQ, or keep the question for staff and say so."""

    def name(self) -> str:
        return "action_answer_faq"

    def act(self, turn: Turn) -> Events:
        text = str(turn.tracker.latest_message.get("text", ""))
        found = turn.runtime.faq.best(text) if turn.runtime.faq else None
        if found is not None:
            entry, _ = found
            turn.dispatcher.utter_message(
                text=entry.answers.get(turn.language) or next(iter(entry.answers.values())))
            return []
        question = Question(community_id=turn.person.community_id, person_id=turn.person.id,
                            text=text[:2000], language=turn.language,
                            created_at=turn.runtime.now())
        turn.session.add(question)
        turn.session.flush()
        for staff in on_duty_staff(turn.session, turn.person.community_id):
            notify(turn, staff, "utter_notify_handoff", f"question:{question.id}:{staff.id}",
                   reporter=turn.person.name, place="FAQ", message=text,
                   person_id=str(turn.person.id))
        turn.say("utter_faq_no_answer")
        return []
