"""Every text Linli says comes from config/domain.yml (Rasa responses with a variation per
language) and config/labels.yml; this module picks the variation and fills the placeholders.

Beyond Rasa's ``{name}``, a template may say:

- ``{count|person|people}``: the number and the word agreeing with it ("1 person",
  "3 people"). Chinese needs no plural and writes ``{count} 人``.
- ``[[网格员{grid_member}和||]]``: an optional part, rendered only when every placeholder in
  it has a value; after ``||`` comes what to say otherwise (may be empty). So a missing name
  never leaves "Grid member  and …" or an empty "（）" behind.

A value given as a list of names is joined as the language joins them: "赵敏、孙丽",
"Zhao Min and Sun Li".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")

# One pass over the template: an optional part, or a placeholder (plain or with plural
# forms). JSON in button payloads ({"ticket_id": ...}) matches neither and is left alone; a
# value is never scanned again, so a resident's "{x}" stays as they wrote it.
_TOKEN = re.compile(r"\[\[(?P<part>.*?)\]\]"
                    r"|\{(?P<name>\w+)(?:\|(?P<one>[^|{}]*)\|(?P<many>[^|{}]*))?\}", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{(\w+)(?:\|[^|{}]*\|[^|{}]*)?\}")


def plural(count: int, one: str, many: str) -> str:
    """"1 person", "3 people": the number and the English word that agrees with it."""
    return f"{count} {one if count == 1 else many}"


def join_names(names: Iterable[str], language: str) -> str:
    """Several names in one phrase: "赵敏、孙丽" / "Zhao Min, Sun Li and Li Na"."""
    items = [str(name) for name in names if str(name)]
    if language != "en":
        return "、".join(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != ()


def _text(value: Any, language: str) -> str:
    if not _present(value):
        return ""
    if isinstance(value, list | tuple):
        return join_names(value, language)
    return str(value)


def _count(value: Any) -> int | None:
    if isinstance(value, list | tuple):
        return len(value)
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _fill(template: str, values: Mapping[str, Any], language: str = "zh") -> str:
    """Fill ``template``; a placeholder with no value renders empty rather than failing a
    turn (the response tests make sure every text still reads right then)."""

    def token(match: re.Match[str]) -> str:
        part = match.group("part")
        if part is not None:
            then, _, otherwise = part.partition("||")
            names = _PLACEHOLDER.findall(then)
            chosen = then if all(_present(values.get(n)) for n in names) else otherwise
            return _TOKEN.sub(token, chosen)
        value = values.get(match.group("name"))
        if match.group("one") is None:
            return _text(value, language)
        count = _count(value)
        if count is None:
            return _text(value, language)
        return plural(count, match.group("one"), match.group("many"))

    return _TOKEN.sub(token, template)


def placeholders(template: str) -> list[str]:
    """The names a template fills, in order (for the response tests)."""
    return _PLACEHOLDER.findall(template)


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    buttons: list[dict[str, str]]


class Responses:
    """The response catalogue: ``render("utter_greet", "en", name=...)``."""

    def __init__(self, responses: Mapping[str, list[dict[str, Any]]],
                 labels: Mapping[str, Mapping[str, Mapping[str, str]]]) -> None:
        self._responses = responses
        self._labels = labels

    @classmethod
    def load(cls, config_dir: Path) -> Responses:
        domain = yaml.safe_load((config_dir / "domain.yml").read_text(encoding="utf-8"))
        labels = yaml.safe_load((config_dir / "labels.yml").read_text(encoding="utf-8"))
        return cls(domain["responses"], labels)

    def has(self, name: str) -> bool:
        return name in self._responses

    def names(self) -> list[str]:
        return list(self._responses)

    def render(self, name: str, language: str, /, **values: Any) -> Rendered:
        variations = self._responses.get(name)
        if not variations:
            raise KeyError(f"no response {name!r} in config/domain.yml")
        chosen = next((v for v in variations if _matches(v, language)), variations[0])
        text = _fill(chosen.get("text", ""), values, language)
        buttons = [{"title": _fill(b["title"], values, language),
                    "payload": _fill(b["payload"], values, language)}
                   for b in chosen.get("buttons", [])]
        return Rendered(text, buttons)

    def label(self, kind: str, value: str, language: str) -> str:
        """The display name of a category or status in ``language``."""
        names = self._labels.get(kind, {}).get(value)
        return names.get(language) or names.get("zh") or value if names else value


def _matches(variation: Mapping[str, Any], language: str) -> bool:
    conditions = variation.get("condition") or []
    return all(c.get("name") != "language" or c.get("value") == language for c in conditions)
