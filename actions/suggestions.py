"""Residents' ideas for the community (共谋)."""

from __future__ import annotations

import re

from rasa_sdk.events import SlotSet

from actions.base import Events, LinliAction, Turn
from store.models import Suggestion

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
