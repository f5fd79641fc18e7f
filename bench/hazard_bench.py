"""Emergencies that are real (issue 11): false alarms on harmless hazard-word messages, real
emergencies found, and what the danger guard (nlu/danger.py) costs in parse time — with the
guard and, for comparison, the classifier alone. Trains a fresh model on nlu/data.

    python bench/hazard_bench.py

Prints a Markdown table; nothing is asserted (tests/nlu/test_emergencies.py holds the bar).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from bench.common import percentile  # noqa: E402

HELD_OUT = REPO / "bench" / "data"
EMERGENCY = "report_emergency"
#: flows/runner.py alerts at once from this confidence up and asks the resident below it.
ALERT = 0.85

Parse = Callable[[str], dict[str, Any]]


def row(name: str, parse: Parse) -> dict[str, Any]:
    from nlu.evaluation import evaluate
    from nlu.trainingdata import load, load_file

    harmless = load_file(HELD_OUT / "hazard_harmless.yml").examples
    emergencies = load_file(HELD_OUT / "emergencies.yml").examples
    flagged = [parse(e.text)["intent"] for e in harmless]
    found = [parse(e.text)["intent"] for e in emergencies]
    test = load(REPO / "nlu" / "data" / "test").examples
    texts = [e.text for e in (*test, *harmless, *emergencies)]
    for text in texts[:50]:
        parse(text)
    times = []
    for _ in range(3):
        for text in texts:
            started = time.perf_counter()
            parse(text)
            times.append((time.perf_counter() - started) * 1000)
    alarms = [i for i in flagged if i["name"] == EMERGENCY]
    hits = [i for i in found if i["name"] == EMERGENCY]
    return {
        "name": name,
        "false": f"{len(alarms)}/{len(harmless)} ({len(alarms) / len(harmless):.1%})",
        "false_alert": sum(i["confidence"] >= ALERT for i in alarms),
        "recall": f"{len(hits)}/{len(emergencies)} ({len(hits) / len(emergencies):.1%})",
        "alerted": sum(i["confidence"] >= ALERT for i in hits),
        "f1": evaluate(parse, test)["intent"]["macro_f1"],
        "p50": percentile(times, 50), "p99": percentile(times, 99),
    }


def guard_cost() -> tuple[float, float]:
    """Microseconds (p50, p99) the guard itself takes, on every held-out and test text, with
    the emergency reading first (its longest path)."""
    from nlu import danger
    from nlu.text import clean
    from nlu.trainingdata import load, load_file

    texts = [clean(e.text).text for name in ("hazard_harmless.yml", "emergencies.yml")
             for e in load_file(HELD_OUT / name).examples]
    texts += [clean(e.text).text for e in load(REPO / "nlu" / "data" / "test").examples]
    ranking = [(EMERGENCY, 0.9), ("ask_faq", 0.05), ("out_of_scope", 0.05)]
    times = []
    for _ in range(5):
        for text in texts:
            started = time.perf_counter()
            danger.guard(text, ranking)
            times.append((time.perf_counter() - started) * 1e6)
    return percentile(times, 50), percentile(times, 99)


def main() -> None:
    from nlu import danger
    from nlu.loader import NluPaths, train_and_save

    with tempfile.TemporaryDirectory() as home:
        pipeline = train_and_save(NluPaths(REPO / "nlu" / "data", Path(home) / "model",
                                           Path(home) / "cache"))
        rows = [row("classifier + danger guard", pipeline.parse)]
        with mock.patch.object(danger, "guard", lambda _text, ranking, **_: list(ranking)):
            rows.append(row("classifier alone", pipeline.parse))
    print("| | false emergencies (harmless set) | of them ≥ 0.85 (alert at once) "
          "| emergencies found | of them ≥ 0.85 | test macro-F1 | parse p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['false']} | {r['false_alert']} | {r['recall']} "
              f"| {r['alerted']} | {r['f1']:.4f} | {r['p50']:.2f} / {r['p99']:.2f} |")
    p50, p99 = guard_cost()
    print(f"\nthe guard alone: p50 {p50:.0f} µs, p99 {p99:.0f} µs per message")


if __name__ == "__main__":
    main()
