"""Inline buttons: a payload stored per recipient, referenced by a short id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from store.models import Button


def register(session: Session, person_id: int, payload: str, now: dt.datetime) -> int:
    button = Button(person_id=person_id, payload=payload, created_at=now)
    session.add(button)
    session.flush()
    return button.id


def payload_for(session: Session, button_id: int, person_id: int) -> str | None:
    """The payload of a button, only if it was sent to ``person_id``."""
    button = session.get(Button, button_id)
    if button is None or button.person_id != person_id:
        return None
    return button.payload
