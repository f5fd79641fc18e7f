"""Cleaning raw message text while keeping a map back to the original character offsets."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

#: The model only ever sees this many characters; longer text is truncated, never rejected.
MAX_MODEL_CHARS = 1000
#: Texts up to this long are cleaned once and remembered (see :func:`clean`).
_REMEMBERED_UP_TO = 400

# Zero-width and bidi controls are invisible but break tokenisation and regexes.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    # Emoji presentation selectors and skin tones: 👍🏽 means 👍.
    "\ufe0e\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"
)


@dataclass(frozen=True, slots=True)
class CleanText:
    """Normalised text plus, for every character of it, its offset in the original text."""

    text: str
    offsets: tuple[int, ...]
    original_length: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the clean text back to the original text."""
        if start >= len(self.offsets):
            return self.original_length, self.original_length
        last = self.offsets[end - 1] + 1 if end > start else self.offsets[start]
        return self.offsets[start], last


def clean(raw: str, limit: int | None = None) -> CleanText:
    """NFKC-fold, lower-case and strip control and zero-width characters from ``raw``.

    Full-width digits and letters become ASCII (３栋 → 3栋), line breaks and tabs become spaces,
    runs of spaces collapse to one. ``limit`` truncates the *clean* text.
    """
    # One turn cleans its message about seven times (the featurizer, the runner's checks, the
    # actions): short texts, nearly all, are cleaned once. Long ones are not kept, so the
    # cache stays small.
    if len(raw) <= _REMEMBERED_UP_TO:
        return _remembered(raw, limit)
    return _clean(raw, limit)


def _clean(raw: str, limit: int | None) -> CleanText:
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(raw):
        if char in _INVISIBLE:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or char.isspace():
            folded = " "
        elif category in ("Cs", "Co", "Cn"):
            continue
        else:
            folded = unicodedata.normalize("NFKC", char).lower()
        for piece in folded:
            if piece == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(piece)
            offsets.append(index)
        if limit is not None and len(chars) >= limit:
            del chars[limit:], offsets[limit:]
            break
    while chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return CleanText("".join(chars), tuple(offsets), len(raw))


_remembered = functools.lru_cache(maxsize=2048)(_clean)


def rewrite(cleaned: CleanText, edits: Iterable[tuple[int, int, str]]) -> CleanText:
    """``cleaned`` with each [start, end) span replaced, keeping the map to the original text.

    Spans must not overlap. A replacement's characters map onto the characters it replaces, in
    proportion, so an entity found in it spans the whole original word (咋整 → 怎么办). An empty
    replacement drops the span; the spaces around it collapse.
    """
    text, offsets = cleaned.text, cleaned.offsets
    chars: list[str] = []
    mapped: list[int] = []
    position = 0
    changed = False
    for start, end, replacement in edits:
        if start < position or text[start:end] == replacement:
            continue
        changed = True
        chars.extend(text[position:start])
        mapped.extend(offsets[position:start])
        width = end - start
        for i, char in enumerate(replacement):
            chars.append(char)
            mapped.append(offsets[start + min(i * width // len(replacement), width - 1)])
        if replacement and width:  # the last character ends where the replaced text ended
            mapped[-1] = offsets[end - 1]
        position = end
    if not changed:
        return cleaned
    chars.extend(text[position:])
    mapped.extend(offsets[position:])
    out_chars: list[str] = []
    out_offsets: list[int] = []
    for char, offset in zip(chars, mapped, strict=True):
        if char == " " and (not out_chars or out_chars[-1] == " "):
            continue
        out_chars.append(char)
        out_offsets.append(offset)
    while out_chars and out_chars[-1] == " ":
        out_chars.pop()
        out_offsets.pop()
    return CleanText("".join(out_chars), tuple(out_offsets), cleaned.original_length)


def alternation(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """A regex matching any of ``phrases`` (clean text), longest first, never inside a Latin
    word or number ("bye" not in "byebye123", but 拜拜 anywhere)."""
    words = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    if not words:
        return None
    body = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")
