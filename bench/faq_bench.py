"""FAQ retrieval benchmark: does config/faq.yml answer the question asked, and say "no answer"
when nothing fits? Scored on the paraphrase set config/faq_paraphrases.yml (written apart from
the FAQ's own questions), timed per question.

    python bench/faq_bench.py [--misses] [--calibrate]

Prints top-1 accuracy per language (an answer counts only if it is the right entry), "no answer"
precision and recall on the questions nothing answers, the same recall on the NLU's
out-of-scope training messages (nlu/data/out_of_scope.yml: a second, independent set), the two
field failures of issue 9, and the time to load the FAQ and to answer one question.
``--calibrate`` searches the two thresholds of actions/faq_index.py (coverage, similarity) on
the paraphrase set, with a 2-fold check that they carry over to questions they were not chosen
on. Nothing is asserted (tests/actions/test_faq_index.py holds the quality bar).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from actions.faq_evaluation import ParaphraseSet, evaluate, summary_lines  # noqa: E402
from actions.faq_index import MIN_COVERAGE, MIN_SIMILARITY, FaqIndex, Match  # noqa: E402
from bench.common import percentile  # noqa: E402

FAQ = REPO / "config" / "faq.yml"
PARAPHRASES = REPO / "config" / "faq_paraphrases.yml"
#: Out-of-scope training data, split by topic (out_of_scope_banking.yml, …).
OUT_OF_SCOPE = sorted((REPO / "nlu" / "data").glob("out_of_scope*.yml"))
FIELD_FAILURES = [("垃圾分类几点投放", "waste_drop_off_times"),
                  ("When can I put out the kitchen waste?", "waste_drop_off_times")]

#: (language, expected entry id or None, the top match or None)
Scored = list[tuple[str, str | None, Match | None]]


def timings(index: FaqIndex, texts: list[str], rounds: int = 5) -> list[float]:
    """Milliseconds per question, every text asked ``rounds`` times."""
    out = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            index.best(text)
            out.append((time.perf_counter() - started) * 1000)
    return out


def load_ms(rounds: int = 9) -> list[float]:
    """Milliseconds to load the FAQ, as after an edit, ``rounds`` times."""
    FaqIndex.load(FAQ)  # the first load also imports and compiles patterns
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        FaqIndex.load(FAQ)
        out.append((time.perf_counter() - started) * 1000)
    return out


def out_of_scope_questions() -> list[str]:
    from nlu.trainingdata import load_file

    return [e.text for path in OUT_OF_SCOPE for e in load_file(path).examples]


def score_all(index: FaqIndex, paraphrases: ParaphraseSet) -> Scored:
    rows: Scored = []
    for language, expected, question in paraphrases.answerable:
        ranked = index.ranked(question)
        rows.append((language, expected, ranked[0] if ranked else None))
    for language, question in paraphrases.unanswerable:
        ranked = index.ranked(question)
        rows.append((language, None, ranked[0] if ranked else None))
    return rows


def gated(rows: Scored, coverage: float, similarity: float) -> tuple[dict[str, float], float]:
    """Top-1 accuracy per language and "no answer" recall, with these thresholds."""
    right: dict[str, list[int]] = {}
    rejected = negatives = 0
    for language, expected, match in rows:
        answered = (match.entry.id if match and match.coverage >= coverage
                    and match.similarity >= similarity else None)
        if expected is None:
            negatives += 1
            rejected += answered is None
        else:
            tally = right.setdefault(language, [0, 0])
            tally[0] += answered == expected
            tally[1] += 1
    return ({language: r / n for language, (r, n) in right.items()},
            rejected / negatives if negatives else 0.0)


def best_thresholds(rows: Scored) -> tuple[float, float, float]:
    """Thresholds for the worst of the per-language accuracies and the recall: of all pairs
    within 0.01 of the best worst figure, the one nearest their middle, so that a question more
    or less does not move the thresholds to the edge of what works."""
    grid: dict[tuple[float, float], float] = {}
    for percent in range(20, 81):
        for hundredths in range(0, 41):
            pair = (percent / 100, hundredths / 100)
            accuracy, recall = gated(rows, *pair)
            grid[pair] = min(*accuracy.values(), recall)
    best = max(grid.values())
    plateau = [pair for pair, worst in grid.items() if worst >= best - 0.01]
    middle = (statistics.mean(c for c, _ in plateau), statistics.mean(s for _, s in plateau))
    c, s = min(plateau, key=lambda p: (p[0] - middle[0]) ** 2 + (p[1] - middle[1]) ** 2)
    return grid[c, s], c, s


def calibrate(rows: Scored) -> None:
    worst, coverage, similarity = best_thresholds(rows)
    print(f"chosen on all: coverage ≥ {coverage:.2f}, similarity ≥ {similarity:.2f} "
          f"(worst of the three figures {worst:.3f})")
    for fold in (0, 1):
        chosen_on = [r for i, r in enumerate(rows) if i % 2 == fold]
        held_out = [r for i, r in enumerate(rows) if i % 2 != fold]
        _, c, s = best_thresholds(chosen_on)
        accuracy, recall = gated(held_out, c, s)
        figures = "  ".join(f"{lang} {a:.3f}" for lang, a in sorted(accuracy.items()))
        print(f"fold {fold}: chosen coverage ≥ {c:.2f}, similarity ≥ {s:.2f} → on the other "
              f"half: {figures}  no-answer recall {recall:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print every wrong answer")
    parser.add_argument("--calibrate", action="store_true", help="search the thresholds")
    args = parser.parse_args()
    index = FaqIndex.load(FAQ)
    paraphrases = ParaphraseSet.load(PARAPHRASES)
    report = evaluate(index.best, paraphrases)
    questions = [q for _, _, q in paraphrases.answerable] + [q for _, q in paraphrases.unanswerable]
    latency = timings(index, questions)
    oos = out_of_scope_questions()
    oos_rejected = sum(index.best(q) is None for q in oos)
    print(f"FAQ benchmark {time.strftime('%Y-%m-%d')}, {len(index.entries)} entries, "
          f"{len(paraphrases.answerable)} paraphrases, {len(paraphrases.unanswerable)} questions "
          f"nothing answers, {os.cpu_count()} CPUs")
    print(f"thresholds: coverage ≥ {MIN_COVERAGE}, similarity ≥ {MIN_SIMILARITY}\n")
    for line in summary_lines(report):
        print(line)
    retrieval = gated(score_all(index, paraphrases), 0.0, 0.0)[0]
    print("top-1 without the no-answer thresholds: "
          + "  ".join(f"{lang} {a:.3f}" for lang, a in sorted(retrieval.items())))
    print(f"no answer on the NLU's out-of-scope messages: {oos_rejected / len(oos):.3f} "
          f"({oos_rejected}/{len(oos)})")
    for text, expected in FIELD_FAILURES:
        found = index.best(text)
        print(f"field failure {text!r}: {found[0].id if found else None} (want {expected})")
    loads = load_ms()
    print(f"load median {statistics.median(loads):.0f} ms (fastest {min(loads):.0f} ms); "
          f"per question p50 {percentile(latency, 50):.3f} ms, "
          f"p99 {percentile(latency, 99):.3f} ms, mean {statistics.mean(latency):.3f} ms "
          f"({len(latency)} questions)")
    if args.misses:
        print("\nmisses (question, expected, answered):")
        for text, wanted, answered in report.misses:
            print(f"  {text} | {wanted} | {answered}")
    if args.calibrate:
        print()
        calibrate(score_all(index, paraphrases))


if __name__ == "__main__":
    main()
