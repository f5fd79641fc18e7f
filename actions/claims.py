"""The grid member's answer to a household claim (the buttons on "【住址确认】…"): confirm binds
the resident to the flat, refuse leaves them unbound; either way they are told."""

from __future__ import annotations

from typing import Any

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.location import place_text
from actions.names import person_name
from actions.notify import notify
from store.claims import ClaimError, decide, may_decide
from store.models import HouseholdClaim

#: The button's command and whether it confirms.
_CONFIRMS = {"claim_confirm": True, "claim_refuse": False}


class DecideClaim(LinliAction):
    """``/claim_confirm{"claim": "7"}`` or ``/claim_refuse{…}``, honoured only from the grid
    member of the flat's building or staff, whoever types or presses it."""

    def name(self) -> str:
        return "action_decide_claim"

    def act(self, turn: Turn) -> Events:
        command = str(turn.tracker.latest_message.get("intent", {}).get("name", ""))
        said = turn.entity("claim") or ""
        claim = turn.session.get(HouseholdClaim, int(said)) if said.isdigit() else None
        if claim is None or command not in _CONFIRMS:
            raise ActionRefusedError("utter_claim_not_found")
        if not may_decide(turn.person, claim):
            raise ActionRefusedError("utter_not_allowed")
        home = claim.household

        def values(language: str) -> dict[str, Any]:
            return {"place": place_text(home.building.number, home.unit, home.room, language),
                    "claimant": person_name(turn.runtime, claim.person, language)}

        confirmed = _CONFIRMS[command]
        try:
            decide(turn.session, claim, confirmed=confirmed, by=turn.person,
                   now=turn.runtime.now())
        except ClaimError:
            raise ActionRefusedError("utter_claim_already_decided", **values(turn.language),
                                     status=turn.runtime.responses.label(
                                         "claim", claim.status.value, turn.language)) from None
        outcome = "confirmed" if confirmed else "refused"
        turn.say(f"utter_claim_{outcome}", **values(turn.language))
        notify(turn, claim.person, f"utter_notify_claim_{outcome}", f"claim:{claim.id}:{outcome}",
               **values(claim.person.language or "zh"))
        return []
