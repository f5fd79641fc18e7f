"""Reading text the way residents type it: 繁体, dialect words, typos, fillers, mixed zh-en.

Every step rewrites a :class:`~nlu.text.CleanText` and keeps its map back to the original
characters, so entities found in the normalised text still point into what the resident wrote.
The tables live in ``nlu/resources`` and are data, not code: extend them there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Protocol

from nlu.text import CleanText, alternation, rewrite

_RESOURCES = files("nlu") / "resources"
_TABLES = ("zh_rewrites.tsv", "mixed_en.tsv", "fillers.txt", "en_words.txt", "emoji.tsv")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z]+")
_LETTER = re.compile(r"[^\W\d_]")
_SYMBOL = re.compile(r"[\u2600-\u27bf\U0001f000-\U0001faff]")
# Markup pasted or typed into a message ("<img src=x onerror=…> 3栋停水") says nothing a
# resident means: its attribute words would outvote the request beside it.
_MARKUP = re.compile(r"</?[a-z][a-z0-9-]{0,20}(?:\s[^<>]{0,300}=[^<>]{0,300})?\s*/?>|"
                     r"<!--.{0,300}?-->")
# 就是 fills a pause anywhere but at the start, where it means "exactly" (就是就是 = yes).
_JIUSHI = re.compile(r"(?<=.)就是(?!说)")
# Shorter words are too often real words one slip from another (seek/week, bike/like).
_MIN_TYPO_LENGTH = 4
_MIN_TARGET_COUNT = 3


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


def _table(name: str) -> list[list[str]]:
    rows = []
    for line in (_RESOURCES / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def _deletes(word: str) -> Iterator[str]:
    yield word
    for i in range(len(word)):
        yield word[:i] + word[i + 1:]


class Speller:
    """Reads an English word one slip (a letter missing, doubled or swapped) away from a word
    residents use as that word; known words are left alone."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self._known = frozenset(counts)
        # Every word under each of its one-letter deletions: a typo shares one with it.
        by_key: dict[str, list[tuple[int, str]]] = {}
        for word, count in counts.items():
            if count >= _MIN_TARGET_COUNT and len(word) >= _MIN_TYPO_LENGTH:
                for key in set(_deletes(word)):
                    by_key.setdefault(key, []).append((count, word))
        self._by_key = by_key

    def looks_english(self, words: Iterable[str]) -> bool:
        """Whether most words are ones residents write in English: a French or pinyin message is
        not English with typos."""
        seen = list(words)
        return sum(w in self._known for w in seen) * 2 >= len(seen) > 0

    def correct(self, word: str) -> str:
        if len(word) < _MIN_TYPO_LENGTH or word in self._known:
            return word
        # People rarely miss the first letter; requiring it keeps nite from becoming unit.
        candidates = {(count, meant) for key in _deletes(word)
                      for count, meant in self._by_key.get(key, ())
                      if meant[0] == word[0] and _one_slip(word, meant)}
        # The word residents use most wins.
        return max(candidates)[1] if candidates else word


def _one_slip(typed: str, meant: str) -> bool:
    """Whether ``typed`` is ``meant`` with one letter dropped, one letter doubled or two
    neighbours swapped. A changed letter is not a slip here: it turns real words into other
    real words (brake → broke, bread → break, story → storm)."""
    prefix = 0
    while prefix < min(len(typed), len(meant)) and typed[prefix] == meant[prefix]:
        prefix += 1
    rest, meant_rest = typed[prefix:], meant[prefix:]
    if len(typed) + 1 == len(meant):
        return rest == meant_rest[1:]
    if len(typed) == len(meant) + 1:
        return rest[1:] == meant_rest and prefix > 0 and typed[prefix - 1] == typed[prefix]
    return (len(typed) == len(meant) and len(rest) >= 2 and rest[:2] == meant_rest[1::-1]
            and rest[2:] == meant_rest[2:])


@functools.cache
def _traditional_to_simplified() -> _Converter:
    import opencc

    converter: _Converter = opencc.OpenCC("t2s.json")  # the .json name works on every 1.x
    return converter


def simplified(text: str, converter: _Converter | None = None) -> str:
    """繁体 as 简体, letter for letter so offsets into ``text`` stay valid: a phrase whose
    conversion changes length is converted character by character. The FAQ search reads
    questions with it too (actions/faq_index.py)."""
    if not _HAN.search(text):
        return text
    converter = converter or _traditional_to_simplified()
    converted = converter.convert(text)
    if len(converted) != len(text):
        converted = "".join(converter.convert(c) if _HAN.match(c) else c for c in text)
    return converted if len(converted) == len(text) else text


@dataclass(frozen=True, slots=True)
class Normaliser:
    """繁体 → 简体, then dialect and typo rewrites, fillers, English typos and English words in
    Chinese sentences; the same at training and parse time."""

    converter: _Converter
    rewrites: Mapping[str, str]
    rewrite_pattern: re.Pattern[str] | None
    mixed: Mapping[str, str]
    mixed_pattern: re.Pattern[str] | None
    filler_pattern: re.Pattern[str] | None
    speller: Speller
    emoji_zh: Mapping[str, str]
    emoji_en: Mapping[str, str]
    emoji_pattern: re.Pattern[str] | None

    def __call__(self, cleaned: CleanText) -> CleanText:
        text = cleaned.text
        if not text:
            return cleaned
        if "<" in text:
            cleaned = _drop_markup(cleaned)
            text = cleaned.text
        converted = simplified(text, self.converter)
        if converted != text:
            cleaned = CleanText(converted, cleaned.offsets, cleaned.original_length)
        cleaned = self._replace(cleaned, self.rewrite_pattern, self.rewrites)
        cleaned = self._drop_fillers(cleaned)
        words = list(_LATIN_WORD.finditer(cleaned.text))
        if self.speller.looks_english(m.group() for m in words):
            cleaned = rewrite(cleaned, ((m.start(), m.end(), self.speller.correct(m.group()))
                                        for m in words))
        han = len(_HAN.findall(cleaned.text))
        latin = len(words)  # the speller changes letters, never how many words there are
        if latin and han >= 2 and han >= latin:
            cleaned = self._replace(cleaned, self.mixed_pattern, self.mixed)
        if (han or latin) and self.emoji_pattern is not None and _SYMBOL.search(cleaned.text):
            names = self.emoji_zh if han >= latin else self.emoji_en
            cleaned = self._replace(cleaned, self.emoji_pattern, names)
        return cleaned

    @staticmethod
    def _replace(cleaned: CleanText, pattern: re.Pattern[str] | None,
                 table: Mapping[str, str]) -> CleanText:
        if pattern is None:
            return cleaned
        return rewrite(cleaned, ((m.start(), m.end(), table[m.group()])
                                 for m in pattern.finditer(cleaned.text)))

    def _drop_fillers(self, cleaned: CleanText) -> CleanText:
        spans = [m.span() for m in _JIUSHI.finditer(cleaned.text)]
        if self.filler_pattern is not None:
            spans.extend(m.span() for m in self.filler_pattern.finditer(cleaned.text))
        if not spans:
            return cleaned
        spans = _disjoint(spans)
        # A message of fillers only (嗯嗯, "um") is itself the answer: keep it.
        return _dropped(cleaned, spans)


def _drop_markup(cleaned: CleanText) -> CleanText:
    """``cleaned`` without its tags, unless nothing else is left ("<b>" alone stays)."""
    return _dropped(cleaned, (m.span() for m in _MARKUP.finditer(cleaned.text)))


def _dropped(cleaned: CleanText, spans: Iterable[tuple[int, int]]) -> CleanText:
    """``cleaned`` without ``spans`` (disjoint), unless that leaves no letter at all."""
    dropped = rewrite(cleaned, ((start, end, "") for start, end in spans))
    return dropped if _LETTER.search(dropped.text) else cleaned


def _disjoint(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            continue
        out.append((start, end))
    return out


def tables_text() -> str:
    """The normalisation tables as they are, for telling a model trained before they changed."""
    return "".join((_RESOURCES / name).read_text(encoding="utf-8") for name in _TABLES)


def build_normaliser() -> Normaliser:
    """Load the converter and the tables (a few milliseconds; call once per featurizer)."""
    rewrites = {row[0]: row[1] for row in _table("zh_rewrites.tsv")}
    mixed = {row[0]: row[1] for row in _table("mixed_en.tsv")}
    fillers = [row[0] for row in _table("fillers.txt")]
    counts = {row[0]: int(row[1]) for row in _table("en_words.txt")}
    emoji = _table("emoji.tsv")
    emoji_en = {row[0]: f" {row[2]} " for row in emoji}
    return Normaliser(
        converter=_traditional_to_simplified(),
        rewrites=rewrites, rewrite_pattern=_anywhere(rewrites),
        mixed=mixed, mixed_pattern=alternation(mixed),
        filler_pattern=alternation(fillers),
        speller=Speller(counts),
        emoji_zh={row[0]: row[1] for row in emoji}, emoji_en=emoji_en,
        emoji_pattern=_anywhere(emoji_en))


def _anywhere(phrases: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted(set(phrases), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words)) if words else None
