"""/help, "帮助", "what can you do": what this person can do here, by their roles, in their
own language."""

from __future__ import annotations

from actions.base import Events, LinliAction, Turn
from store.models import Role

#: What each working role is told, in this order (a person may hold several roles).
SECTIONS = ((Role.GRID_MEMBER, "utter_help_grid_member"),
            (Role.SUPERVISOR, "utter_help_supervisor"),
            (Role.STREET_CONTACT, "utter_help_street_contact"),
            (Role.STAFF, "utter_help_staff"),
            (Role.OPERATOR, "utter_help_operator"))


def help_responses(roles: set[Role]) -> list[str]:
    """The responses that explain Linli to someone with ``roles``."""
    if Role.ADMIN in roles:
        roles = roles | {Role.OPERATOR}  # an admin works in the console too
    work = [response for role, response in SECTIONS if role in roles]
    if Role.RESIDENT in roles or not work:
        return [*work, "utter_bot_help"]
    return [*work, "utter_help_also_resident"]


class Help(LinliAction):
    """The help for the person's roles. In their saved language first: a Chinese-speaking
    operator typing /help (which carries no language) is answered in Chinese."""

    def name(self) -> str:
        return "action_help"

    def act(self, turn: Turn) -> Events:
        turn.language = turn.person.language or turn.language
        for response in help_responses({role.role for role in turn.person.roles}):
            turn.say(response)
        return []
