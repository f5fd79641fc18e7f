"""How a person is named to others: their own name, or a readable stand-in when their channel
gave none (never a sender id like "web-xfqn50f94d")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.models import Person
from store.people import has_real_name

if TYPE_CHECKING:
    from actions.runtime import Runtime


def person_name(runtime: Runtime, person: Person, language: str) -> str:
    """"王阿姨", or "居民#12" / "Resident #12" for someone who never said their name."""
    if has_real_name(person):
        return person.name
    return runtime.responses.label("person", "placeholder", language).replace(
        "{value}", str(person.id))
