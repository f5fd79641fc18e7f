"""Images Linli makes (digest charts) and files it makes (a resident's data export), kept in the
database so every process can serve them."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Media

PREFIX = "media:"  # an outbox photo reference to a Media row rather than a channel file id
#: A file to download rather than a picture to show: its content type and the name it is saved
#: under (a resident's data export, store/privacy.py).
FILES = {"application/json; charset=utf-8": "linli-data.json"}
#: How long such a file can be downloaded: a data export holds everything about someone.
FILE_LIFETIME = dt.timedelta(hours=24)


def save(session: Session, data: bytes, content_type: str, now: dt.datetime) -> str:
    """Store an image; returns its outbox photo reference ``media:<token>``."""
    token = secrets.token_urlsafe(18)
    session.add(Media(token=token, content_type=content_type, data=data, created_at=now))
    return PREFIX + token


def load(session: Session, token: str) -> Media | None:
    return session.scalar(select(Media).where(Media.token == token.removeprefix(PREFIX)))


def file_name(stored: Media) -> str | None:
    """The name ``stored`` downloads as when it is a file, not a picture; None for a picture."""
    return FILES.get(stored.content_type)


def expired(stored: Media, now: dt.datetime) -> bool:
    """A file past its lifetime (pictures do not expire)."""
    return stored.content_type in FILES and now - stored.created_at > FILE_LIFETIME
