"""Reading NLU data in Rasa 3.x YAML: annotated intent examples, synonyms, lookups, regexes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# [span](entity) | [span](entity:value) | [span]{"entity": ..., "value": ...}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


class TrainingDataError(ValueError):
    """The training data cannot be read; the message names the file and the offending part."""


@dataclass(frozen=True, slots=True)
class Span:
    """An annotated entity: character offsets into the example's plain text."""

    entity: str
    start: int
    end: int
    value: str


@dataclass(frozen=True, slots=True)
class Example:
    """One training or test message with its intent, entities and block metadata."""

    text: str
    intent: str
    spans: tuple[Span, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def category(self) -> str | None:
        return self.metadata.get("category")

    @property
    def language(self) -> str | None:
        return self.metadata.get("language")


@dataclass(slots=True)
class TrainingData:
    """Everything the NLU data files say."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # surface form (lower) -> value
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)

    def extend(self, other: TrainingData) -> None:
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        for name, items in other.lookups.items():
            self.lookups.setdefault(name, []).extend(items)
        for name, patterns in other.regexes.items():
            self.regexes.setdefault(name, []).extend(patterns)


def parse_example(line: str) -> tuple[str, tuple[Span, ...]]:
    """Plain text and entity spans of one annotated example line."""
    plain: list[str] = []
    spans: list[Span] = []
    position = 0
    length = 0
    for match in _ANNOTATION.finditer(line):
        before = line[position:match.start()]
        plain.append(before)
        length += len(before)
        surface = match.group("text")
        if match.group("json"):
            try:
                spec = json.loads(match.group("json"))
            except json.JSONDecodeError as error:
                raise TrainingDataError(f"bad entity annotation in {line!r}: {error}") from error
            entity, value = str(spec["entity"]), str(spec.get("value", surface))
        else:
            entity, _, value = match.group("short").partition(":")
            value = value or surface
        spans.append(Span(entity, length, length + len(surface), value))
        plain.append(surface)
        length += len(surface)
        position = match.end()
    plain.append(line[position:])
    return "".join(plain), tuple(spans)


def _items(block: dict[str, Any], source: str) -> Iterator[str]:
    examples = block.get("examples")
    if not isinstance(examples, str):
        raise TrainingDataError(f"{source}: block {block!r} has no examples list")
    for raw in examples.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("- "):
            raise TrainingDataError(f"{source}: example line must start with '- ': {line!r}")
        yield line[2:].strip()


def load_file(path: Path) -> TrainingData:
    """Read one Rasa NLU YAML file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise TrainingDataError(f"{path}: not valid YAML: {error}") from error
    data = TrainingData()
    for block in document.get("nlu") or []:
        if "intent" in block:
            metadata = {str(k): str(v) for k, v in (block.get("metadata") or {}).items()}
            for line in _items(block, str(path)):
                text, spans = parse_example(line)
                data.examples.append(Example(text, str(block["intent"]), spans, metadata))
        elif "synonym" in block:
            for item in _items(block, str(path)):
                data.synonyms[item.lower()] = str(block["synonym"])
        elif "lookup" in block:
            data.lookups.setdefault(str(block["lookup"]), []).extend(_items(block, str(path)))
        elif "regex" in block:
            data.regexes.setdefault(str(block["regex"]), []).extend(_items(block, str(path)))
    # Annotated spans teach synonyms too, as in Rasa: "[三号楼]{..., "value": "3"}".
    return data


def data_files(path: Path) -> list[Path]:
    """The YAML files a data path stands for: the file itself, or a folder's top-level files."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml"))
    return [path]


def load(path: Path) -> TrainingData:
    """Read a file, or every YAML file directly in a folder (not its subfolders)."""
    data = TrainingData()
    files = data_files(path)
    if not files:
        raise TrainingDataError(f"no NLU data files at {path}")
    for file in files:
        data.extend(load_file(file))
    return data


def fingerprint(paths: Iterable[Path], *extra: str) -> str:
    """A short hash of file contents and extra strings, for telling a stale model."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:16]
