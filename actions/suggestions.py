"""Residents' ideas for the community (共谋)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rasa_sdk.events import SlotSet
from sqlalchemy.orm import Session

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.notify import notify_person
from actions.runtime import Runtime
from store import suggestions
from store.models import Person, Role, Suggestion

_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]+")


def says_enough(text: str) -> bool:
    """False for "我有个建议" / "I have a suggestion": ask for the suggestion itself."""
    return len(_HAN.findall(text)) >= 7 or len(_WORD.findall(text)) >= 5


class PrefillSuggestion(LinliAction):
    """The first message is the suggestion when it says enough."""

    def name(self) -> str:
        return "action_prefill_suggestion"

    def act(self, turn: Turn) -> Events:
        text = str(turn.tracker.get_slot("report_text") or "").strip()
        return [SlotSet("suggestion", text)] if says_enough(text) else []


class RecordSuggestion(LinliAction):
    """Keep the suggestion for the residents' committee."""

    def name(self) -> str:
        return "action_record_suggestion"

    def act(self, turn: Turn) -> Events:
        text = str(turn.tracker.get_slot("suggestion") or "").strip()
        turn.session.add(Suggestion(community_id=turn.person.community_id,
                                    person_id=turn.person.id, text=text[:4000],
                                    language=turn.language, created_at=turn.runtime.now()))
        turn.say("utter_suggestion_recorded")
        return [SlotSet("suggestion", None)]


#: A quotation of the suggestion in the status message: enough to recognise it.
QUOTE = 60


def decide(session: Session, runtime: Runtime, actor: Person, suggestion_id: int,
           status: str, reply: str | None) -> Sequence[Person]:
    """Staff set a suggestion's status (and public reply); its author and supporters are
    told in their language, in this transaction. Returns who was told. The chat and the
    console both come here."""
    if not (actor.has_role(Role.STAFF) or actor.has_role(Role.ADMIN)):
        raise ActionRefusedError("utter_not_allowed")
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.community_id != actor.community_id:
        raise ActionRefusedError("utter_suggestion_not_found")
    return announce(session, runtime, suggestion, status, reply, actor)


def quoted(suggestion: Suggestion) -> str:
    return suggestion.text if len(suggestion.text) <= QUOTE else suggestion.text[:QUOTE] + "…"


def announce(session: Session, runtime: Runtime, suggestion: Suggestion, status: str,
             reply: str | None, actor: Person | None) -> Sequence[Person]:
    """``decide`` once the caller's right to decide is checked (the console checks its
    account's roles; ``actor`` is the account's person, if it is one)."""
    now = runtime.now()
    try:
        told = suggestions.decide(session, suggestion, status, reply=reply, actor=actor,
                                  now=now)
    except suggestions.SuggestionError:
        raise ActionRefusedError("utter_suggestion_not_found") from None
    quote = quoted(suggestion)
    for person in told:
        notify_person(session, runtime, person, "utter_suggestion_status",
                      f"suggestion:{suggestion.id}:{status}:{now.isoformat()}:{person.id}",
                      suggestion=quote, suggestion_status_code=status,
                      reply=suggestion.reply or "")
    return told


class SupportSuggestion(LinliAction):
    """A resident backs a suggestion (附议): ``/support 12`` or a button carrying
    ``{"suggestion": "12"}``; they are then told, with its author, what became of it."""

    def name(self) -> str:
        return "action_support_suggestion"

    def act(self, turn: Turn) -> Events:
        said = (turn.entity("suggestion") or turn.entity("note") or "").strip().lstrip("#")
        suggestion = turn.session.get(Suggestion, int(said)) if said.isdigit() else None
        if suggestion is None or suggestion.community_id != turn.person.community_id:
            raise ActionRefusedError("utter_suggestion_not_found")
        if not suggestions.support(turn.session, suggestion, turn.person, turn.runtime.now()):
            turn.say("utter_suggestion_support_already", suggestion=quoted(suggestion))
            return []
        turn.session.flush()
        turn.say("utter_suggestion_supported", suggestion=quoted(suggestion),
                 supporters=str(suggestions.supporters(turn.session, suggestion)))
        return []
