"""A resident's data rights (PIPL): a file of everything held about them, and its erasure once
they confirm (store/privacy.py does the work; nlu/data_rights.py recognises the requests)."""

from __future__ import annotations

from rasa_sdk.events import Restarted, SlotSet

from actions.base import ActionRefusedError, Events, LinliAction, Turn
from actions.notify import notify
from actions.people import tell_staff_over
from store import handoffs, privacy
from store.media import PREFIX as MEDIA_PREFIX
from store.models import Role

#: Slots that tie a conversation to the person it was with; cleared with their data, so the
#: next message from the chat starts afresh.
_PERSONAL_SLOTS = ("last_ticket", "contact", "attachments", "emergency_ticket", "live_emergency",
                   "report_text", "phone", "building", "unit", "room", "last_faq", "faq_before")


class ExportData(LinliAction):
    """Everything held about the resident as a JSON file: sent as a document where the chat
    can take one (Telegram), else a download link that works for a day."""

    def name(self) -> str:
        return "action_export_data"

    def act(self, turn: Turn) -> Events:
        now = turn.runtime.now()
        reference = privacy.save_export(turn.session, turn.person, now)
        token = reference.removeprefix(MEDIA_PREFIX)
        if turn.tracker.get_slot("channel") == "telegram":
            notify(turn, turn.person, "utter_data_export_file", f"export:{token}",
                   photo=reference, urgent=True)
            turn.say("utter_data_export_sent")
        else:
            turn.say("utter_data_export_link", link=f"/media/{token}",
                     hours=str(int(privacy.EXPORT_LIFETIME.total_seconds() // 3600)))
        return []


def _kept_by_the_office(turn: Turn) -> bool:
    """Grid members and staff are named in the community's records; the office changes
    those, not a chat."""
    return any(role.role != Role.RESIDENT for role in turn.person.roles)


class CheckErasable(LinliAction):
    """Before "erase your data?" is asked: a worker hears at once that the office keeps
    their details, and the flow ends."""

    def name(self) -> str:
        return "action_check_erasable"

    def act(self, turn: Turn) -> Events:
        if _kept_by_the_office(turn):
            turn.say("utter_erase_not_for_staff")
            return [Restarted()]
        return []


class EraseData(LinliAction):
    """The resident said yes to "erase your data?" (the flow's confirm step): their personal
    data is erased in this one transaction and they hear what went."""

    def name(self) -> str:
        return "action_erase_data"

    def act(self, turn: Turn) -> Events:
        if _kept_by_the_office(turn):  # checked again: a role may have come since
            raise ActionRefusedError("utter_erase_not_for_staff")
        handoff = handoffs.open_handoff(turn.session, turn.person)
        erased = privacy.erase(turn.session, turn.person, turn.runtime.now())
        if handoff is not None:  # the staff answering them hear it is over
            tell_staff_over(turn.session, turn.runtime, handoff, "utter_notify_handoff_left")
        if not erased.anything:
            turn.say("utter_data_erased_nothing")
        else:
            labels = turn.runtime.responses
            items = [labels.label("erased", what, turn.language) for what, done in (
                ("name", erased.name), ("phone", erased.phone),
                ("identities", erased.identities), ("household", erased.household)) if done]
            if erased.messages:
                items.append(labels.label("erased", "messages", turn.language).replace(
                    "{value}", str(erased.messages)))
            if erased.masked:
                items.append(labels.label("erased", "masked", turn.language))
            turn.say("utter_data_erased", erased=items)
        return [*(SlotSet(slot, None) for slot in _PERSONAL_SLOTS), Restarted()]
