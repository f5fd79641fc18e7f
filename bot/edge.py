"""What comes in from outside is made safe to store before anything else sees it.

Every channel (REST, web chat, Telegram) passes strings through here: JSON allows lone UTF-16
surrogates that no database can encode, PostgreSQL text cannot hold NUL, and ids longer than
their columns would fail the insert. A failed insert is a lost message, so the edge repairs what
it can (surrogates, NUL, over-long text) and refuses with a clear 4xx what it cannot (an id that
does not fit).
"""

from __future__ import annotations

from typing import Any

#: Longest sender, chat or message id Linli stores (the columns hold 100 characters).
MAX_ID = 100
#: Longest message text kept; a resident's essay is cut, never refused.
MAX_TEXT = 10_000
#: How deep and how large client metadata may be before the rest is dropped.
_MAX_DEPTH = 5
_MAX_ITEMS = 50

REPLACEMENT = "\ufffd"


class IdTooLongError(ValueError):
    """An id longer than Linli can store: the client must be told, not the message lost."""

    def __init__(self, field: str, length: int) -> None:
        super().__init__(f"{field} is {length} characters long; at most {MAX_ID} are allowed")
        self.field = field


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` with lone surrogates replaced, NUL removed and at most ``limit`` characters."""
    # Round-tripping through UTF-16 joins valid surrogate pairs and replaces lone halves.
    if any("\ud800" <= char <= "\udfff" for char in value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value.replace("\x00", "")[:limit]


def clean_id(value: str | int, field: str = "id") -> str:
    """An id as stored: cleaned like text; too long for its column is :class:`IdTooLongError`."""
    cleaned = clean_text(str(value), limit=len(str(value)))
    if len(cleaned) > MAX_ID:
        raise IdTooLongError(field, len(cleaned))
    return cleaned


def clean_json(value: Any, depth: int = 0) -> Any:
    """Client metadata with every string cleaned; nesting and size are bounded."""
    if isinstance(value, str):
        return clean_text(value)
    if depth >= _MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {clean_text(str(key), MAX_ID): clean_json(item, depth + 1)
                for key, item in list(value.items())[:_MAX_ITEMS]}
    if isinstance(value, list):
        return [clean_json(item, depth + 1) for item in value[:_MAX_ITEMS]]
    if value is None or isinstance(value, bool | int | float):
        return value
    return clean_text(str(value))
