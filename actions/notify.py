"""Telling other people: a rendered response written to the outbox in the current transaction."""

from __future__ import annotations

from typing import Any

from actions.base import Turn
from store.models import Person
from store.outbox import enqueue


def notify(turn: Turn, person: Person, response: str, key: str, /, *,
           photo: str | None = None, **values: Any) -> None:
    """Queue ``response`` for ``person`` in their language, once per ``key``."""
    language = person.language or "zh"
    labelled = {k: turn.runtime.responses.label(k.removesuffix("_code"), v, language)
                for k, v in values.items() if k.endswith("_code")}
    rendered = turn.runtime.responses.render(
        response, language, **{k: v for k, v in values.items() if not k.endswith("_code")},
        **{k.removesuffix("_code") + "_name": v for k, v in labelled.items()})
    enqueue(turn.session, person=person, text=rendered.text, key=key, now=turn.runtime.now(),
            buttons=rendered.buttons or None, photo=photo)
