"""Scoring FAQ retrieval on a paraphrase set (config/faq_paraphrases.yml): top-1 accuracy per
language, and whether questions nothing answers get "no answer"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from actions.faq_index import FaqEntry

Best = Callable[[str], tuple[FaqEntry, float] | None]


@dataclass(frozen=True, slots=True)
class ParaphraseSet:
    """Questions with the entry that must answer them, and questions that must get none."""

    #: (language, entry id, question)
    answerable: list[tuple[str, str, str]]
    #: (language, question)
    unanswerable: list[tuple[str, str]]

    @classmethod
    def load(cls, path: Path) -> ParaphraseSet:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        answerable = [(language, str(entry_id), str(question))
                      for entry_id, by_language in data["paraphrases"].items()
                      for language, questions in by_language.items() for question in questions]
        unanswerable = [(language, str(question))
                        for language, questions in data["no_answer"].items()
                        for question in questions]
        return cls(answerable, unanswerable)


@dataclass(slots=True)
class FaqReport:
    """How retrieval did on a paraphrase set; ``misses`` says what went wrong where."""

    #: language → [right, asked]
    top1: dict[str, list[int]] = field(default_factory=dict)
    #: answerable questions that got no answer
    unanswered: int = 0
    #: unanswerable questions that got no answer / all of them
    rejected: int = 0
    negatives: int = 0
    #: (question, expected entry id or None, answered entry id or None)
    misses: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def accuracy(self, language: str) -> float:
        right, asked = self.top1.get(language, [0, 0])
        return right / asked if asked else 0.0

    @property
    def no_answer_recall(self) -> float:
        """Of the questions nothing answers, the share that got no answer."""
        return self.rejected / self.negatives if self.negatives else 0.0

    @property
    def no_answer_precision(self) -> float:
        """Of the "no answer" replies, the share given to questions nothing answers."""
        said = self.rejected + self.unanswered
        return self.rejected / said if said else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"top1": {language: {"accuracy": round(self.accuracy(language), 3),
                                    "right": right, "asked": asked}
                         for language, (right, asked) in sorted(self.top1.items())},
                "no_answer": {"precision": round(self.no_answer_precision, 3),
                              "recall": round(self.no_answer_recall, 3),
                              "negatives": self.negatives},
                "misses": [{"text": text, "expected": expected, "answered": answered}
                           for text, expected, answered in self.misses]}


def evaluate(best: Best, paraphrases: ParaphraseSet) -> FaqReport:
    report = FaqReport()
    for language, expected, question in paraphrases.answerable:
        found = best(question)
        answered = found[0].id if found else None
        tally = report.top1.setdefault(language, [0, 0])
        tally[1] += 1
        if answered == expected:
            tally[0] += 1
        else:
            report.misses.append((question, expected, answered))
            report.unanswered += answered is None
    for _, question in paraphrases.unanswerable:
        found = best(question)
        report.negatives += 1
        if found is None:
            report.rejected += 1
        else:
            report.misses.append((question, None, found[0].id))
    return report


def summary_lines(report: FaqReport) -> list[str]:
    lines = [f"FAQ top-1 {language}: {report.accuracy(language):.3f} ({right}/{asked})"
             for language, (right, asked) in sorted(report.top1.items())]
    lines.append(f"FAQ no answer: recall {report.no_answer_recall:.3f} "
                 f"({report.rejected}/{report.negatives} questions nothing answers), "
                 f"precision {report.no_answer_precision:.3f}")
    return lines
