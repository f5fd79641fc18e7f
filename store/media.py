"""Images Linli makes (digest charts), kept in the database so every process can serve them."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Media

PREFIX = "media:"  # an outbox photo reference to a Media row rather than a channel file id


def save(session: Session, data: bytes, content_type: str, now: dt.datetime) -> str:
    """Store an image; returns its outbox photo reference ``media:<token>``."""
    token = secrets.token_urlsafe(18)
    session.add(Media(token=token, content_type=content_type, data=data, created_at=now))
    return PREFIX + token


def load(session: Session, token: str) -> Media | None:
    return session.scalar(select(Media).where(Media.token == token.removeprefix(PREFIX)))
