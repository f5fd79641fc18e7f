"""Where a reported problem is (config/parts.yml): a shared part of a building or something
inside a flat, read from the resident's words; and whom a complaint is about."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Scope = Literal["flat", "shared"]
#: How strongly a word tells the place when a report names several (see config/parts.yml).
_STRENGTH = {"thing": 3, "scope": 2, "place": 1}
_UNSET = "-"
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "parts.yml"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Spec):
    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)


class PartSpec(Words):
    scope: Scope
    per: Literal["unit", "building"] | None = None
    kind: Literal["scope", "thing", "place"] = "thing"
    area: str | None = _UNSET

    @model_validator(mode="after")
    def _per_for_shared(self) -> PartSpec:
        if (self.scope == "shared") != (self.per is not None):
            raise ValueError("a shared part says `per: unit` or `per: building`; a flat's "
                             "part says no `per`")
        return self


class AnswerSpec(_Spec):
    flat: Words = Words()
    shared: Words = Words()
    unknown: Words = Words()


class PeopleSpec(_Spec):
    grid_member: Words = Words()
    supervisor: Words = Words()
    staff: Words = Words()


class PartsFile(_Spec):
    parts: dict[str, PartSpec] = Field(default_factory=dict)
    categories: dict[str, str] = Field(default_factory=dict)
    answers: AnswerSpec = AnswerSpec()
    people: PeopleSpec = PeopleSpec()

    @model_validator(mode="after")
    def _categories_name_parts(self) -> PartsFile:
        for category, where in self.categories.items():
            if where not in self.parts and where not in ("ask", "none"):
                raise ValueError(f"categories.{category}: {where!r} is no part, `ask` or `none`")
        return self


@dataclass(frozen=True, slots=True)
class Place:
    """Where a problem is, as far as is known. ``scope`` None: not known (a complaint with no
    place of its own, or a resident who could not say), merged only within the same flat."""

    scope: Scope | None
    part: str | None = None
    area: str | None = None
    per_unit: bool = False

    @property
    def shared(self) -> bool:
        return self.scope == "shared"


UNKNOWN = Place(None)
#: "In a shared area", with no part named: any shared problem of the building may be this one.
SHARED = Place("shared")
FLAT = Place("flat")


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    key: str


def _pattern(word: str, english: bool) -> str:
    escaped = re.escape(word.lower()).replace(r"\ ", r"\s+")
    # English words match whole words and their plurals; Chinese has no word boundaries.
    return rf"(?<![a-z]){escaped}(?:s|es)?(?![a-z])" if english else escaped


def _compile(words: Mapping[str, Words]) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(_pattern(word, english)), key)
            for key, spec in words.items()
            for english, listed in ((False, spec.zh), (True, spec.en)) for word in listed]


def _matches(patterns: Iterable[tuple[re.Pattern[str], str]], text: str) -> list[_Match]:
    """Every word found, the longer first where two overlap ("楼道灯" is not also "楼道")."""
    lowered = text.lower()
    found = sorted((_Match(m.start(), m.end(), key) for pattern, key in patterns
                    for m in pattern.finditer(lowered)),
                   key=lambda m: (m.start - m.end, m.start))
    kept: list[_Match] = []
    for match in found:
        if all(match.end <= k.start or match.start >= k.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


class Parts:
    """The parts vocabulary, compiled once."""

    def __init__(self, spec: PartsFile) -> None:
        self.spec = spec
        self._parts = _compile(spec.parts)
        self._answers = _compile({"flat": spec.answers.flat, "shared": spec.answers.shared,
                                  "unknown": spec.answers.unknown})
        self._people = _compile({"grid_member": spec.people.grid_member,
                                 "supervisor": spec.people.supervisor,
                                 "staff": spec.people.staff})

    @classmethod
    def load(cls, path: Path) -> Parts:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        return cls(PartsFile.model_validate(document or {}))

    @staticmethod
    @functools.cache
    def default() -> Parts:
        """The project's own config/parts.yml (for runtimes built without settings)."""
        return Parts.load(DEFAULT_FILE)

    def stored(self, scope: str | None, part: str | None) -> Place:
        """The place a ticket's stored ``scope`` and ``part`` stand for (a part this
        configuration no longer knows leaves only the scope)."""
        named = self.place_of(part)
        if named.scope is not None and named.scope == scope:
            return named
        return FLAT if scope == "flat" else SHARED if scope == "shared" else UNKNOWN

    def place_of(self, part: str | None) -> Place:
        """The place a part stands for."""
        spec = self.spec.parts.get(part) if part else None
        if spec is None or part is None:
            return UNKNOWN
        area = part if spec.area == _UNSET else spec.area
        return Place(spec.scope, part, area, spec.per == "unit")

    def place(self, text: str, category: str | None) -> Place | None:
        """Where the words put the problem; None when they do not tell and the category does
        not either (then the resident may be asked)."""
        matches = _matches(self._parts, text)
        if matches:
            strongest = max(_STRENGTH[self.spec.parts[m.key].kind] for m in matches)
            told = [m.key for m in matches
                    if _STRENGTH[self.spec.parts[m.key].kind] == strongest]
            if len({self.spec.parts[key].scope for key in told}) == 1:
                return self.place_of(told[0])
            return None  # "楼道的水漏到卫生间": both, equally strongly
        default = self.spec.categories.get(category or "", "ask")
        if default == "none":
            return UNKNOWN
        return self.place_of(default) if default != "ask" else None

    def answer(self, text: str) -> Place | None:
        """The resident's answer to "in your flat or in a shared area?"; None if it is none."""
        said = text.strip().lower()
        if said in ("flat", "shared"):
            return FLAT if said == "flat" else SHARED
        named = self.place(text, None)
        if named is not None and named.scope is not None:
            return named
        kinds = {m.key for m in _matches(self._answers, said)}
        if len(kinds) != 1:
            return None
        return {"flat": FLAT, "shared": SHARED, "unknown": UNKNOWN}[kinds.pop()]

    def roles_named(self, text: str) -> set[str]:
        """Which roles the words name: grid_member, supervisor, staff."""
        return {m.key for m in _matches(self._people, text)}
