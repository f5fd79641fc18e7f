"""Out-of-scope benchmark: leave-one-domain-out over the training topics (nlu/domains.py), and
the held-out set bench/data/out_of_domain.yml (topics mostly absent from training), with the
in-domain test split as the in-domain side.

    python bench/oos_bench.py [--skip-lodo]

Prints Markdown; nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from bench.common import percentile  # noqa: E402
from nlu.crossvalidation import leave_one_domain_out  # noqa: E402
from nlu.evaluation import score  # noqa: E402
from nlu.featurizer import build_featurizer  # noqa: E402
from nlu.intents import OUT_OF_SCOPE  # noqa: E402
from nlu.pipeline import NluPipeline  # noqa: E402
from nlu.training import lookup_tables, train  # noqa: E402
from nlu.trainingdata import Example, load  # noqa: E402

DATA = REPO / "nlu" / "data"
HELD_OUT = REPO / "bench" / "data" / "out_of_domain.yml"


def _pr(pairs: list[tuple[Example, dict[str, Any]]]) -> str:
    gold = [e.intent == OUT_OF_SCOPE for e, _ in pairs]
    said = [r["intent"]["name"] == OUT_OF_SCOPE for _, r in pairs]
    hits = sum(g and s for g, s in zip(gold, said, strict=True))
    precision = hits / sum(said) if any(said) else float("nan")
    return (f"precision {precision:.3f}, recall {hits / sum(gold):.3f} "
            f"({sum(gold)} out of scope, {len(gold) - sum(gold)} in domain)")


def held_out(cache: Path) -> None:
    data = load(DATA)
    featurizer = build_featurizer(lookup_tables(data), data.synonyms, cache)
    started, cpu = time.perf_counter(), time.process_time()
    pipeline = NluPipeline(train(data, featurizer), featurizer)
    print(f"trained in {time.perf_counter() - started:.1f}s "
          f"({time.process_time() - cpu:.1f} CPU seconds)")
    test = load(DATA / "test").examples
    test_parses = [pipeline.parse(e.text) for e in test]
    # Thread CPU time: what a parse costs, without the waits a busy machine adds.
    costs = []
    for _ in range(3):
        for example in test:
            cpu = time.thread_time()
            pipeline.parse(example.text)
            costs.append((time.thread_time() - cpu) * 1000)
    print(f"- parse CPU time p50 {percentile(costs, 50):.3f} ms, "
          f"p99 {percentile(costs, 99):.3f} ms ({len(costs)} parses)")
    print(f"- in-domain test split: macro-F1 {score(test, test_parses)['intent']['macro_f1']}, "
          f"out of scope {_pr(list(zip(test, test_parses, strict=True)))}")
    bench = load(HELD_OUT).examples
    pairs = [(e, pipeline.parse(e.text)) for e in bench]
    print(f"- {HELD_OUT.name}: {_pr(pairs)}")
    inside = [(e, r) for e, r in zip(test, test_parses, strict=True) if e.intent != OUT_OF_SCOPE]
    print(f"- {HELD_OUT.name} + in-domain test split: {_pr(pairs + inside)}")
    topics: dict[str, list[bool]] = defaultdict(list)
    for e, r in pairs:
        if e.intent == OUT_OF_SCOPE:
            topics[e.metadata.get("domain", "?")].append(r["intent"]["name"] == OUT_OF_SCOPE)
    print("- recall by held-out topic: " + ", ".join(
        f"{t} {sum(v) / len(v):.2f}" for t, v in sorted(topics.items())))


def lodo(cache: Path) -> None:
    started = time.perf_counter()
    report = leave_one_domain_out(load(DATA), cache)
    figures = report["out_of_scope"]
    print(f"leave-one-domain-out ({time.perf_counter() - started:.0f}s): "
          + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print("- recall by topic: " + ", ".join(
        f"{t} {v['recall']:.2f}" for t, v in report["domains"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-lodo", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        held_out(Path(cache))
        if not args.skip_lodo:
            lodo(Path(cache))


if __name__ == "__main__":
    main()
