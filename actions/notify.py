"""Telling other people: a rendered response written to the outbox in the current transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from store.models import Person
from store.outbox import enqueue

if TYPE_CHECKING:
    from actions.base import Turn
    from actions.runtime import Runtime


def notify(turn: Turn, person: Person, response: str, key: str, /, *,
           photo: str | None = None, urgent: bool = False, **values: Any) -> None:
    """Queue ``response`` for ``person`` in their language, once per ``key``."""
    notify_person(turn.session, turn.runtime, person, response, key, photo=photo,
                  urgent=urgent, **values)


def notify_person(session: Session, runtime: Runtime, person: Person, response: str, key: str,
                  /, *, photo: str | None = None, urgent: bool = False,
                  batch: str | None = None, **values: Any) -> bool:
    """``notify`` for code outside a conversation turn (the scheduler); True if queued now."""
    language = person.language or "zh"
    labelled = {k: runtime.responses.label(k.removesuffix("_code"), v, language)
                for k, v in values.items() if k.endswith("_code")}
    rendered = runtime.responses.render(
        response, language, **{k: v for k, v in values.items() if not k.endswith("_code")},
        **{k.removesuffix("_code") + "_name": v for k, v in labelled.items()})
    return enqueue(session, person=person, text=rendered.text, key=key, now=runtime.now(),
                   buttons=rendered.buttons or None, photo=photo, urgent=urgent,
                   batch=batch) is not None
