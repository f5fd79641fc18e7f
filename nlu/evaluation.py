"""Scoring a pipeline against annotated data: intents, entities, categories and languages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from nlu.intents import CATEGORY_INTENTS
from nlu.trainingdata import Example, Span

Parse = Callable[[str], dict[str, Any]]
LOCATION = ("building", "unit", "room")
# Entities annotated with a surface form only (their value depends on the day): compare spans.
_SURFACE_ENTITIES = frozenset({"date", "time", "event"})


def _gold_entities(spans: Iterable[Span], text: str) -> set[tuple[str, str]]:
    return {(s.entity, text[s.start:s.end].lower() if s.entity in _SURFACE_ENTITIES else s.value)
            for s in spans}


def _predicted_entities(result: dict[str, Any]) -> set[tuple[str, str]]:
    out = set()
    for e in result["entities"]:
        if e["entity"] == "category":
            continue
        surface = result["text"][e["start"]:e["end"]].lower()
        value = surface if e["entity"] in _SURFACE_ENTITIES else e["value"]
        out.add((e["entity"], str(value)))
    return out


def _category(result: dict[str, Any]) -> str | None:
    return next((e["value"] for e in result["entities"] if e["entity"] == "category"), None)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _prf(true_positive: int, predicted: int, gold: int) -> dict[str, float | int | None]:
    precision = _ratio(true_positive, predicted)
    recall = _ratio(true_positive, gold)
    f1 = (round(2 * precision * recall / (precision + recall), 4)
          if precision and recall else 0.0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": gold}


def score(examples: Sequence[Example], results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of ``results`` (parses of ``examples``, in order)."""
    labels = sorted({e.intent for e in examples} | {r["intent"]["name"] for r in results})
    pairs = [(e.intent, r["intent"]["name"]) for e, r in zip(examples, results, strict=True)]
    matrix = [[0] * len(labels) for _ in labels]
    for true_label, predicted_label in pairs:
        matrix[labels.index(true_label)][labels.index(predicted_label)] += 1
    per_intent = {}
    for i, label in enumerate(labels):
        per_intent[label] = _prf(matrix[i][i], sum(row[i] for row in matrix), sum(matrix[i]))
    supported = [label for label in labels if per_intent[label]["support"]]
    macro_f1 = sum(float(per_intent[label]["f1"] or 0.0) for label in supported) / len(supported)

    entity_counts: Counter[tuple[str, str]] = Counter()
    location_total = location_exact = 0
    category_total = category_right = 0
    language_total = language_right = 0
    errors = []
    for example, result in zip(examples, results, strict=True):
        gold = _gold_entities(example.spans, example.text)
        guess = _predicted_entities(result)
        for entity, _ in gold:
            entity_counts[(entity, "gold")] += 1
        for entity, _ in guess:
            entity_counts[(entity, "predicted")] += 1
        for entity, _ in gold & guess:
            entity_counts[(entity, "correct")] += 1
        gold_location = {g for g in gold if g[0] in LOCATION}
        guess_location = {g for g in guess if g[0] in LOCATION}
        if gold_location or guess_location:
            location_total += 1
            location_exact += gold_location == guess_location
        if example.category and example.intent in CATEGORY_INTENTS:
            category_total += 1
            category_right += _category(result) == example.category
        if example.language:
            language_total += 1
            language_right += result["language"] == example.language
        if result["intent"]["name"] != example.intent:
            errors.append({"text": example.text, "intent": example.intent,
                           "predicted": result["intent"]["name"],
                           "confidence": result["intent"]["confidence"]})
    entities = {
        name: _prf(entity_counts[(name, "correct")], entity_counts[(name, "predicted")],
                   entity_counts[(name, "gold")])
        for name in sorted({k[0] for k in entity_counts})
    }
    return {
        "examples": len(examples),
        "intent": {
            "accuracy": _ratio(sum(g == p for g, p in pairs), len(pairs)),
            "macro_f1": round(macro_f1, 4),
            "per_intent": per_intent,
            "confusion_matrix": {"labels": labels, "matrix": matrix},
            "errors": errors,
        },
        "entities": entities,
        "location_exact_match": {"accuracy": _ratio(location_exact, location_total),
                                 "examples": location_total},
        "category": {"accuracy": _ratio(category_right, category_total),
                     "examples": category_total},
        "language": {"accuracy": _ratio(language_right, language_total),
                     "examples": language_total},
    }


def evaluate(parse: Parse, examples: Sequence[Example]) -> dict[str, Any]:
    """Parse every example and score the results."""
    return score(examples, [parse(e.text) for e in examples])


def plot_confusion(report: dict[str, Any], path: Path) -> Path:
    """Save the intent confusion matrix as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    confusion = report["intent"]["confusion_matrix"]
    labels, matrix = confusion["labels"], confusion["matrix"]
    figure, axes = plt.subplots(figsize=(1 + 0.55 * len(labels), 1 + 0.5 * len(labels)))
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    peak = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                axes.text(j, i, str(count), ha="center", va="center", fontsize=7,
                          color="white" if count > peak / 2 else "black")
    axes.set_title(f"intent confusion (accuracy {report['intent']['accuracy']}, "
                   f"macro-F1 {report['intent']['macro_f1']})")
    figure.colorbar(image, ax=axes, fraction=0.03)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A human-readable summary of a report."""
    intent = report["intent"]
    lines = [f"examples: {report['examples']}",
             f"intent accuracy {intent['accuracy']}  macro-F1 {intent['macro_f1']}",
             f"{'intent':<20}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for name, m in intent["per_intent"].items():
        lines.append(f"{name:<20}{m['precision']!s:>10}{m['recall']!s:>8}{m['f1']!s:>8}"
                     f"{m['support']:>9}")
    lines.append(f"{'entity':<20}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
    for name, m in report["entities"].items():
        lines.append(f"{name:<20}{m['precision']!s:>10}{m['recall']!s:>8}{m['f1']!s:>8}"
                     f"{m['support']:>9}")
    for key in ("location_exact_match", "category", "language"):
        lines.append(f"{key}: {report[key]['accuracy']} over {report[key]['examples']} examples")
    return lines
