"""The base of every Linli action: one transaction per run, errors become polite replies."""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.runtime import Runtime, current
from nlu.intents import sure
from store.community import home
from store.database import transaction
from store.models import ChatIdentity, Person, PersonRole, Role
from store.people import placeholder_name

log = logging.getLogger(__name__)
RASA_CHANNEL = "rasa"
Events = list[dict[str, Any]]


class ActionRefusedError(Exception):
    """A step that cannot be done for a reason the user should hear: ``response`` says it."""

    def __init__(self, response: str, **values: Any) -> None:
        super().__init__(response)
        self.response = response
        self.values = values


class Turn:
    """What an action works with during one run: the session, the person, their language."""

    def __init__(self, runtime: Runtime, session: Session, tracker: Tracker,
                 dispatcher: CollectingDispatcher) -> None:
        self.runtime = runtime
        self.session = session
        self.tracker = tracker
        self.dispatcher = dispatcher
        self.language: str = tracker.get_slot("language") or str(
            (tracker.latest_message or {}).get("language") or "zh")
        person_id = tracker.get_slot("person_id")
        person = session.get(Person, int(person_id)) if person_id is not None else \
            self._by_sender(tracker.sender_id)
        if person is None:
            raise ActionRefusedError("utter_internal_error")
        self.person: Person = person

    def _by_sender(self, sender_id: str | None) -> Person | None:
        """Under Rasa itself (no Linli runner to set person_id) the sender is the resident on
        Rasa's channel; a new sender is registered as a resident of the first community."""
        if not sender_id:
            return None
        person = self.session.scalar(select(Person).join(ChatIdentity).where(
            ChatIdentity.channel == RASA_CHANNEL, ChatIdentity.external_id == sender_id))
        if person is not None:
            return person
        community = home(self.session)
        if community is not None:
            person = Person(community_id=community.id, name="",
                            roles=[PersonRole(role=Role.RESIDENT)])
            self.session.add(person)
            self.session.flush()
            person.name = placeholder_name(person.id)  # never the sender id
            self.session.add(ChatIdentity(person_id=person.id, channel=RASA_CHANNEL,
                                          external_id=sender_id))
        return person

    def say(self, response: str, **values: Any) -> None:
        # The language travels with the message: an action may answer in another language
        # than the slot's (a bilingual notice's author gets their own language back).
        self.dispatcher.utter_message(response=response, language=self.language, **values)

    def sure(self) -> bool:
        """Whether the NLU was sure of what this message asks."""
        return sure((self.tracker.latest_message or {}).get("intent") or {})

    def entity(self, name: str) -> str | None:
        value = next(self.tracker.get_latest_entity_values(name), None)
        return str(value) if value is not None else None


class LinliAction(Action, metaclass=ABCMeta):
    """Subclasses implement ``act``; this runs it in one transaction and translates failures.

    Abstract, so rasa_sdk's executor registers only the concrete actions.
    """

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def act(self, turn: Turn) -> Events: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> Events:
        runtime = current()
        try:
            with transaction(runtime.sessions) as session:
                return self.act(Turn(runtime, session, tracker, dispatcher))
        except ActionRefusedError as failure:
            dispatcher.utter_message(response=failure.response, **failure.values)
            return []
