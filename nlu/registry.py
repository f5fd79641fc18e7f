"""Model versions on disk: training on the data folder plus operators' corrections, the
report kept beside each model, comparing two models, and corrections as Rasa NLU YAML.

Nothing here knows the database: callers hand in corrections as examples and keep the
version rows themselves (store/nlu_models.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import secrets
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.evaluation import score
from nlu.featurizer import build_featurizer
from nlu.intents import CATEGORY_INTENTS, INTENTS, OUT_OF_SCOPE
from nlu.loader import NluPaths, data_fingerprint, load_pipeline
from nlu.model import META_FILE, MODEL_FILE
from nlu.pipeline import NluPipeline
from nlu.training import Progress, lookup_tables, train
from nlu.trainingdata import Example, Span, TrainingData, load, parse_example

REPORT_FILE = "report.json"
CORRECTIONS_FILE = "corrections.yml"
#: The model trained from the packaged data alone (LINLI_HOME/models/nlu): what serves when
#: no version is active, and what "roll back to the start" activates.
PACKAGED = "packaged"
_VERSION = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")
_CHANGED_SHOWN = 200
_ERRORS_KEPT = 200
_SPACE = re.compile(r"\s+")

Parse = Callable[[str], dict[str, Any]]


def versions_dir(home: Path) -> Path:
    return home / "models" / "versions"


def new_version(now: dt.datetime) -> str:
    """A version name that sorts by time and never collides: 20261203-041500-3fa2."""
    return f"{now.astimezone(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def version_path(home: Path, version: str) -> Path:
    """The folder of ``version``; refuses a name that is not one (it comes from a URL)."""
    if not _VERSION.match(version):
        raise ValueError(f"not a model version: {version!r}")
    return versions_dir(home) / version


def same_text(text: str) -> str:
    """The key under which a correction replaces a training example with the same text."""
    return _SPACE.sub(" ", text).strip().casefold()


# --- corrections as training examples and as Rasa NLU YAML -------------------------------

def corrected_example(text: str, intent: str, entities: Iterable[dict[str, Any]]) -> Example:
    """A training example from a corrected message. Entities with a span become annotations;
    a ``category`` (which has none) becomes the block's metadata, as in nlu/data."""
    # YAML block scalars hold one printable line per example; spaces keep the offsets.
    clean = "".join(c if c.isprintable() else " " for c in text)
    spans: list[Span] = []
    metadata: dict[str, str] = {}
    for entity in entities:
        name, value = str(entity.get("entity", "")), str(entity.get("value", ""))
        start, end = entity.get("start"), entity.get("end")
        if name == "category" and intent in CATEGORY_INTENTS and value:
            metadata["category"] = value
        elif isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(clean):
            spans.append(Span(name, start, end, value or clean[start:end]))
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if not kept or span.start >= kept[-1].end:  # overlapping spans cannot be written inline
            kept.append(span)
    return Example(clean, intent, tuple(kept), metadata)


def _annotated(example: Example) -> str:
    parts: list[str] = []
    position = 0
    for span in example.spans:
        parts.append(example.text[position:span.start])
        spec = json.dumps({"entity": span.entity, "value": span.value}, ensure_ascii=False)
        parts.append(f"[{example.text[span.start:span.end]}]{spec}")
        position = span.end
    parts.append(example.text[position:])
    return "".join(parts).strip()


@dataclass(frozen=True, slots=True)
class Export:
    """Rasa NLU YAML of corrections, and the corrections it could not hold."""

    yaml: str
    examples: int
    skipped: int


def to_yaml(examples: Sequence[Example]) -> Export:
    """Rasa 3.x NLU YAML: one block per intent (and category), entities inline as
    ``[text]{"entity": ..., "value": ...}``. An example whose line would not read back as
    itself (brackets in the text that look like an annotation) is left out and counted."""
    blocks: dict[tuple[str, str], list[str]] = {}
    skipped = 0
    for example in examples:
        line = _annotated(example)
        text, spans = parse_example(line)
        if (not line or example.intent not in INTENTS or
                (text, spans) != (example.text.strip(), _shifted(example))):
            skipped += 1
            continue
        key = (example.intent, example.metadata.get("category", ""))
        blocks.setdefault(key, []).append(line)
    out = ['version: "3.1"', "nlu:"]
    for (intent, category), lines in sorted(blocks.items()):
        out.append(f"- intent: {intent}")
        if category:
            out += ["  metadata:", f"    category: {json.dumps(category, ensure_ascii=False)}"]
        out.append("  examples: |")
        out += [f"    - {line}" for line in lines]
    if not blocks:
        out[-1] = "nlu: []"
    return Export("\n".join(out) + "\n", sum(len(v) for v in blocks.values()), skipped)


def _shifted(example: Example) -> tuple[Span, ...]:
    """The spans as they read back after the line's leading spaces are stripped."""
    lead = len(example.text) - len(example.text.lstrip())
    return tuple(Span(s.entity, s.start - lead, s.end - lead, s.value) for s in example.spans)


def latest_per_text(examples: Iterable[Example]) -> list[Example]:
    """One example per text: the last one given wins (callers pass them oldest first)."""
    by_text: dict[str, Example] = {}
    for example in examples:
        key = same_text(example.text)
        if key:
            by_text.pop(key, None)
            by_text[key] = example
    return list(by_text.values())


def merge(data: TrainingData, corrections: Sequence[Example]) -> tuple[TrainingData, int]:
    """The training data with the corrections added; a correction replaces every example with
    the same text. Returns the data and how many examples were replaced."""
    corrected = {same_text(e.text) for e in corrections}
    kept = [e for e in data.examples if same_text(e.text) not in corrected]
    merged = TrainingData(kept + list(corrections), dict(data.synonyms),
                          {k: list(v) for k, v in data.lookups.items()},
                          {k: list(v) for k, v in data.regexes.items()})
    return merged, len(data.examples) - len(kept)


# --- training a version -------------------------------------------------------------------

#: How far along a training job is when the trainer says each of these (nlu/training.py's
#: messages); a message not listed leaves the bar where it was.
_STAGES = (("reading", 0.02), ("featurizing", 0.08), ("-fold cross", 0.15),
           ("fitting the intent", 0.55), ("fitting the category", 0.62), ("trained in", 0.68),
           ("model saved", 0.72), ("evaluating the candidate", 0.75),
           ("evaluating the active", 0.85), ("comparing", 0.93), ("packing", 0.96))


def progress_fraction(message: str, last: float) -> float:
    """The fraction done that a progress message stands for; never goes backwards."""
    lowered = message.lower()
    for marker, fraction in _STAGES:
        if marker in lowered:
            return max(last, fraction)
    return last


@dataclass(frozen=True, slots=True)
class Trained:
    """A trained candidate: loaded, saved in its folder, with its report."""

    version: str
    path: Path
    pipeline: NluPipeline
    report: dict[str, Any]


def train_version(paths: NluPaths, home: Path, version: str,
                  corrections: Sequence[Example], progress: Progress = lambda _: None) -> Trained:
    """Train on the data folder plus ``corrections`` (oldest first; the latest per text wins)
    and save model, corrections and report in the version's folder."""
    progress("reading the training data and corrections")
    corrections = latest_per_text(corrections)
    export = to_yaml(corrections)
    base = load(paths.data)
    data, replaced = merge(base, corrections)
    fingerprint = hashlib.sha256(
        f"{data_fingerprint(paths.data)}\n{export.yaml}".encode()).hexdigest()[:16]
    # The same steps as nlu.loader.train_and_save, on data that is not a folder.
    featurizer = build_featurizer(lookup_tables(data), data.synonyms, paths.cache)
    model = train(data, featurizer, fingerprint=fingerprint, progress=progress)
    path = version_path(home, version)
    model.save(path)
    (path / CORRECTIONS_FILE).write_text(export.yaml, encoding="utf-8")
    progress(f"model saved to {path}")
    report = {
        "version": version,
        "fingerprint": fingerprint,
        "data": {"examples": len(data.examples), "from_files": len(base.examples),
                 "corrections": len(corrections), "replaced": replaced,
                 "per_intent": dict(sorted(Counter(e.intent for e in data.examples).items()))},
        "training_seconds": model.meta.get("training_seconds"),
        "cross_validated_accuracy": model.meta.get("cross_validated_accuracy"),
        "out_of_scope_threshold": model.meta.get("out_of_scope_threshold"),
    }
    save_report(path, report)
    return Trained(version, path, NluPipeline(model, featurizer), report)


def save_report(path: Path, report: dict[str, Any]) -> None:
    draft = path / f".{REPORT_FILE}.tmp"
    draft.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    draft.replace(path / REPORT_FILE)


def load_version(path: Path, cache: Path) -> NluPipeline:
    """Load a saved version. Raises OSError or ValueError when it is missing or unusable."""
    return load_pipeline(NluPaths(data=path, model=path, cache=cache))


# --- comparing two models -----------------------------------------------------------------

def _summary(report: dict[str, Any]) -> dict[str, Any]:
    oos = report["intent"]["per_intent"].get(OUT_OF_SCOPE, {})
    return {"accuracy": report["intent"]["accuracy"], "macro_f1": report["intent"]["macro_f1"],
            "out_of_scope": {"precision": oos.get("precision"), "recall": oos.get("recall"),
                             "support": oos.get("support", 0)}}


def compare_on(examples: Sequence[Example], active: Parse, candidate: Parse) -> dict[str, Any]:
    """Both models on the same examples: scores, per-intent F1 deltas, and the messages
    whose intent (and so the bot's answer) changes."""
    if not examples:
        return {"examples": 0, "active": None, "candidate": None, "per_intent": [],
                "changed": [], "changed_count": 0, "fixed": 0, "broken": 0}
    before = [active(e.text) for e in examples]
    after = [candidate(e.text) for e in examples]
    old, new = score(examples, before), score(examples, after)
    intents = sorted(set(old["intent"]["per_intent"]) | set(new["intent"]["per_intent"]))
    per_intent = []
    for intent in intents:
        a = old["intent"]["per_intent"].get(intent, {})
        c = new["intent"]["per_intent"].get(intent, {})
        support = c.get("support") or a.get("support") or 0
        a_f1, c_f1 = float(a.get("f1") or 0.0), float(c.get("f1") or 0.0)
        per_intent.append({"intent": intent, "support": support, "active_f1": a_f1,
                           "candidate_f1": c_f1, "delta": round(c_f1 - a_f1, 4)})
    changed = []
    fixed = broken = 0
    for example, a_result, c_result in zip(examples, before, after, strict=True):
        a_intent, c_intent = a_result["intent"]["name"], c_result["intent"]["name"]
        if a_intent == c_intent:
            continue
        fixed += c_intent == example.intent
        broken += a_intent == example.intent
        changed.append({"text": example.text, "expected": example.intent, "active": a_intent,
                        "candidate": c_intent})
    return {"examples": len(examples), "active": _summary(old), "candidate": _summary(new),
            "per_intent": per_intent, "changed": changed[:_CHANGED_SHOWN],
            "changed_count": len(changed), "fixed": fixed, "broken": broken}


def compare(active: Parse, candidate: Parse, test: Sequence[Example],
            corrections: Sequence[Example], against: str) -> dict[str, Any]:
    """The comparison a version's page shows: on the test split and on the corrected
    messages, against the model that was active (``against``)."""
    return {"against": against, "test": compare_on(test, active, candidate),
            "corrections": compare_on(latest_per_text(corrections), active, candidate)}


def evaluation(parse: Parse, test: Sequence[Example]) -> dict[str, Any]:
    """The candidate's own report on the test split, kept small enough for a database row."""
    report = score(test, [parse(e.text) for e in test])
    report["intent"]["errors"] = report["intent"]["errors"][:_ERRORS_KEPT]
    return report


# --- moving a version between hosts -------------------------------------------------------

_PACKED = (MODEL_FILE, META_FILE, REPORT_FILE, CORRECTIONS_FILE)


def pack(path: Path) -> bytes:
    """The version's files as one zip (the model file is already compressed: stored as is)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in _PACKED:
            if (path / name).exists():
                archive.write(path / name, name)
    return buffer.getvalue()


def unpack(data: bytes, path: Path) -> None:
    """Write a packed version into ``path``, whole or not at all (only the known names)."""
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    draft.mkdir(parents=True)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in _PACKED:
                if name in archive.namelist():
                    (draft / name).write_bytes(archive.read(name))
        if path.exists():
            shutil.rmtree(draft)
            return  # another worker unpacked it first
        draft.rename(path)
    except BaseException:
        shutil.rmtree(draft, ignore_errors=True)
        raise
