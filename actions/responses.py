"""Every text Linli says comes from config/domain.yml (Rasa responses with a variation per
language) and config/labels.yml; this module picks the variation and fills the placeholders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """Replace {name} placeholders; one with no value renders empty rather than failing a turn.
    JSON in button payloads ({"ticket_id": ...}) is left alone."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "") or ""), template)


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

    def render(self, name: str, language: str, /, **values: Any) -> Rendered:
        variations = self._responses.get(name)
        if not variations:
            raise KeyError(f"no response {name!r} in config/domain.yml")
        chosen = next((v for v in variations if _matches(v, language)), variations[0])
        text = _fill(chosen.get("text", ""), values)
        buttons = [{"title": _fill(b["title"], values), "payload": _fill(b["payload"], values)}
                   for b in chosen.get("buttons", [])]
        return Rendered(text, buttons)

    def label(self, kind: str, value: str, language: str) -> str:
        """The display name of a category or status in ``language``."""
        names = self._labels.get(kind, {}).get(value)
        return names.get(language) or names.get("zh") or value if names else value


def _matches(variation: Mapping[str, Any], language: str) -> bool:
    conditions = variation.get("condition") or []
    return all(c.get("name") != "language" or c.get("value") == language for c in conditions)
