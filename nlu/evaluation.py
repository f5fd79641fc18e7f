"""Scoring a pipeline against annotated data: intents, entities, categories and languages;
out-of-scope and emergency precision and recall; and calibration (does a confidence of 0.9 mean
right nine times in ten?)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from nlu.intents import CATEGORY_INTENTS, OUT_OF_SCOPE
from nlu.trainingdata import Example, Span, load

Parse = Callable[[str], dict[str, Any]]
LOCATION = ("building", "unit", "room")
# Entities annotated with a surface form only (their value depends on the day): compare spans.
_SURFACE_ENTITIES = frozenset({"date", "time", "event"})
EMERGENCY = "report_emergency"
CALIBRATION_BINS = 10


def load_sets(paths: Sequence[Path]) -> tuple[list[Example], list[str]]:
    """The examples of several data files or folders, and for each the path it came from."""
    examples: list[Example] = []
    sources: list[str] = []
    for path in paths:
        found = load(path).examples
        examples.extend(found)
        sources.extend([str(path)] * len(found))
    return examples, sources


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


def one_intent(examples: Sequence[Example], results: Sequence[dict[str, Any]],
               intent: str) -> dict[str, Any]:
    """One intent against all others: precision, recall, and the mistakes either way counted
    (``false_alarms``: predicted though not meant, over the examples not meant)."""
    gold = [e.intent == intent for e in examples]
    guess = [r["intent"]["name"] == intent for r in results]
    hits = sum(g and p for g, p in zip(gold, guess, strict=True))
    false_alarms = sum(p and not g for g, p in zip(gold, guess, strict=True))
    others = len(gold) - sum(gold)
    return {**_prf(hits, sum(guess), sum(gold)), "predicted": sum(guess),
            "missed": sum(gold) - hits, "false_alarms": false_alarms,
            "false_alarm_rate": _ratio(false_alarms, others), "others": others}


def calibration(examples: Sequence[Example], results: Sequence[dict[str, Any]],
                bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Expected calibration error over equal-width confidence bins: the gap between how sure
    the top intent was and how often it was right, averaged with each bin weighed by its share
    of the examples. 0 means a confidence of 0.8 is right 80 % of the time."""
    rows: list[dict[str, Any]] = [{"low": round(i / bins, 4), "high": round((i + 1) / bins, 4),
                                   "examples": 0, "confidence": 0.0, "accuracy": 0.0}
                                  for i in range(bins)]
    for example, result in zip(examples, results, strict=True):
        confidence = float(result["intent"]["confidence"])
        row = rows[min(max(int(confidence * bins), 0), bins - 1)]
        row["examples"] += 1
        row["confidence"] += confidence
        row["accuracy"] += result["intent"]["name"] == example.intent
    gap = 0.0
    for row in rows:
        if row["examples"]:
            row["confidence"] = round(row["confidence"] / row["examples"], 4)
            row["accuracy"] = round(row["accuracy"] / row["examples"], 4)
            gap += row["examples"] * abs(row["accuracy"] - row["confidence"])
        else:
            row["confidence"] = row["accuracy"] = None
    return {"ece": round(gap / len(examples), 4) if examples else None, "bins": rows}


def headline(examples: Sequence[Example], results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The figures a newcomer reads first, for one data set."""
    right = sum(e.intent == r["intent"]["name"] for e, r in zip(examples, results, strict=True))
    return {"examples": len(examples), "accuracy": _ratio(right, len(examples)),
            "out_of_scope": one_intent(examples, results, OUT_OF_SCOPE),
            "emergency": one_intent(examples, results, EMERGENCY),
            "ece": calibration(examples, results)["ece"]}


def score(examples: Sequence[Example], results: Sequence[dict[str, Any]],
          sources: Sequence[str] | None = None) -> dict[str, Any]:
    """Metrics of ``results`` (parses of ``examples``, in order); ``sources`` names the data
    set of each example, to score each set on its own as well."""
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
    by_source = {}
    for source in dict.fromkeys(sources or ()):
        chosen = [i for i, s in enumerate(sources or ()) if s == source]
        by_source[source] = headline([examples[i] for i in chosen], [results[i] for i in chosen])
    return {
        "examples": len(examples),
        "out_of_scope": one_intent(examples, results, OUT_OF_SCOPE),
        "emergency": one_intent(examples, results, EMERGENCY),
        "calibration": calibration(examples, results),
        **({"by_source": by_source} if len(by_source) > 1 else {}),
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


def evaluate(parse: Parse, examples: Sequence[Example],
             sources: Sequence[str] | None = None) -> dict[str, Any]:
    """Parse every example and score the results."""
    return score(examples, [parse(e.text) for e in examples], sources)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(report: dict[str, Any], path: Path) -> Path:
    """Save the intent confusion matrix as a PNG."""
    plt = _pyplot()
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


def plot_reliability(report: dict[str, Any], path: Path) -> Path:
    """Save the reliability chart as a PNG: per confidence bin, how often the top intent was
    right, against the diagonal a perfectly calibrated model would follow."""
    plt = _pyplot()
    rows = [row for row in report["calibration"]["bins"] if row["examples"]]
    figure, axes = plt.subplots(figsize=(5.5, 5))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    width = 1 / len(report["calibration"]["bins"])
    axes.bar([row["low"] for row in rows], [row["accuracy"] for row in rows], width=width,
             align="edge", edgecolor="black", color="#4c8bd6", alpha=0.8, label="accuracy")
    axes.scatter([row["confidence"] for row in rows], [row["accuracy"] for row in rows],
                 color="black", s=12, zorder=3, label="mean confidence")
    for row in rows:
        axes.text(row["low"] + width / 2, min(row["accuracy"] + 0.02, 0.97),
                  str(row["examples"]), ha="center", fontsize=7)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("confidence of the top intent")
    axes.set_ylabel("share right")
    axes.set_title(f"reliability (ECE {report['calibration']['ece']}; numbers: examples)")
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _value(value: float | None) -> str:
    """A figure, or n/a where there was nothing to count (recall on a set without any)."""
    return "n/a" if value is None else str(value)


def _headline_lines(figures: dict[str, Any], calibration_ece: float | None) -> list[str]:
    oos, emergency = figures["out_of_scope"], figures["emergency"]
    return [
        f"out-of-scope: precision {_value(oos['precision'])} recall {_value(oos['recall'])} "
        f"({oos['support']} out-of-scope examples, {oos['predicted']} predicted)",
        f"emergency: precision {_value(emergency['precision'])} recall "
        f"{_value(emergency['recall'])} "
        f"(missed {emergency['missed']} of {emergency['support']}; false alarms "
        f"{emergency['false_alarms']} of {emergency['others']} others, "
        f"{_percent(emergency['false_alarm_rate'])})",
        f"calibration: ECE {calibration_ece} over {CALIBRATION_BINS} bins "
        "(0 = a confidence of 0.8 is right 80% of the time)",
    ]


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A human-readable summary of a report."""
    intent = report["intent"]
    lines = [f"examples: {report['examples']}",
             f"intent accuracy {intent['accuracy']}  macro-F1 {intent['macro_f1']}",
             *_headline_lines(report, report["calibration"]["ece"])]
    for source, figures in report.get("by_source", {}).items():
        oos, emergency = figures["out_of_scope"], figures["emergency"]
        lines.append(f"  {source}: {figures['examples']} examples, accuracy "
                     f"{figures['accuracy']}, out-of-scope P {_value(oos['precision'])} R "
                     f"{_value(oos['recall'])}, emergency P {_value(emergency['precision'])} R "
                     f"{_value(emergency['recall'])}, false alarms {emergency['false_alarms']}, "
                     f"ECE {figures['ece']}")
    lines.append(f"{'intent':<20}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
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
