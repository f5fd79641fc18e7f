"""Which help each role gets (the journeys in tests/journeys/texts.yml play it in the chat)."""

from __future__ import annotations

import pytest

from actions.help import help_responses
from store.models import Role


@pytest.mark.parametrize(("roles", "said"), [
    ({Role.RESIDENT}, ["utter_bot_help"]),
    (set(), ["utter_bot_help"]),
    ({Role.GRID_MEMBER}, ["utter_help_grid_member", "utter_help_also_resident"]),
    ({Role.GRID_MEMBER, Role.RESIDENT}, ["utter_help_grid_member", "utter_bot_help"]),
    ({Role.SUPERVISOR}, ["utter_help_supervisor", "utter_help_also_resident"]),
    ({Role.STREET_CONTACT}, ["utter_help_street_contact", "utter_help_also_resident"]),
    ({Role.STAFF, Role.OPERATOR}, ["utter_help_staff", "utter_help_operator",
                                   "utter_help_also_resident"]),
    ({Role.ADMIN, Role.STAFF}, ["utter_help_staff", "utter_help_operator",
                                "utter_help_also_resident"]),
])
def test_each_role_is_told_its_own_work(roles: set[Role], said: list[str]) -> None:
    assert help_responses(roles) == said
