"""Intent names: the contract in DESIGN.md that flows, tests and other tools rely on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INTENTS = ("greet", "goodbye", "thank", "affirm", "deny", "bot_help", "report_repair",
           "file_complaint", "report_emergency", "ticket_status", "ticket_cancel", "event_list",
           "event_signup", "event_cancel", "ask_faq", "make_suggestion", "request_human",
           "register_household", "set_language", "out_of_scope")
OUT_OF_SCOPE = "out_of_scope"
#: How sure the NLU must be of a reading for it to steer the conversation (the flow runner)
#: or for an action to act on it unasked; a button's reading always is.
SURE = 0.6


def sure(reading: Mapping[str, Any]) -> bool:
    """Whether the NLU was sure of ``reading`` (a parse's ``intent``)."""
    return float(reading.get("confidence", 0.0)) >= SURE


#: Intents that carry a ``category`` entity.
CATEGORY_INTENTS = frozenset({"report_repair", "file_complaint", "report_emergency"})
