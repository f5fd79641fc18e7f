"""Retrieval over config/faq.yml: TF-IDF cosine over every phrasing of every question."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.text import clean

_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")
#: Below this cosine similarity a question is not answered from the FAQ but kept for staff.
MIN_SIMILARITY = 0.35


def _grams(text: str) -> Counter[str]:
    """Chinese character uni- and bigrams, English words and their character trigrams."""
    tokens = _WORD.findall(clean(text, 500).text)
    grams: Counter[str] = Counter(tokens)
    grams.update(a + b for a, b in itertools.pairwise(tokens) if len(a) == 1 and len(b) == 1)
    for token in tokens:
        if len(token) > 3:
            padded = f"<{token}>"
            grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str
    answers: Mapping[str, str]


Postings = dict[str, list[tuple[int, float]]]


def _postings(vectors: Iterable[Mapping[str, float]]) -> Postings:
    postings: Postings = {}
    for document, vector in enumerate(vectors):
        for gram, weight in vector.items():
            postings.setdefault(gram, []).append((document, weight))
    return postings


def _scores(query: Mapping[str, float], postings: Postings) -> dict[int, float]:
    """Cosine similarity of ``query`` with every document sharing a gram with it."""
    scores: dict[int, float] = {}
    for gram, weight in query.items():
        for document, other in postings.get(gram, ()):
            scores[document] = scores.get(document, 0.0) + weight * other
    return scores


class FaqIndex:
    """TF-IDF cosine retrieval. Each entry is scored by its closest phrasing and by all its
    phrasings together; document frequency counts entries, so a word shared by many entries'
    templates ("要登记吗") weighs less than the word that names the topic ("狗")."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries: list[FaqEntry] = []
        phrasings: list[tuple[int, Counter[str]]] = []
        for index, entry in enumerate(entries):
            self.entries.append(FaqEntry(str(entry["id"]), dict(entry["answer"])))
            for questions in entry["questions"].values():
                phrasings.extend((index, _grams(q)) for q in questions)
        whole: list[Counter[str]] = [Counter() for _ in self.entries]
        for index, grams in phrasings:
            whole[index].update(grams)
        df: Counter[str] = Counter()
        for grams in whole:
            df.update(grams.keys())
        self._idf = {g: math.log((1 + len(whole)) / (1 + n)) + 1 for g, n in df.items()}
        # Inverted indexes: a question only touches the phrasings that share a gram with it.
        self._owner = [index for index, _ in phrasings]
        self._phrasing_postings = _postings(self._vector(grams) for _, grams in phrasings)
        self._whole_postings = _postings(self._vector(grams) for grams in whole)

    @classmethod
    def load(cls, path: Path) -> FaqIndex:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8"))["faq"])

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        weights = {g: (1 + math.log(n)) * self._idf.get(g, 0.0) for g, n in grams.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items() if w}

    def best(self, question: str) -> tuple[FaqEntry, float] | None:
        """The closest entry and its similarity, or None if nothing is close enough."""
        query = self._vector(_grams(question))
        closest = [0.0] * len(self.entries)
        for phrasing, similarity in _scores(query, self._phrasing_postings).items():
            owner = self._owner[phrasing]
            closest[owner] = max(closest[owner], similarity)
        whole = _scores(query, self._whole_postings)
        scored = [((closest[i] + whole.get(i, 0.0)) / 2, i) for i in range(len(self.entries))]
        if not scored:
            return None
        score, index = max(scored)
        return (self.entries[index], score) if score >= MIN_SIMILARITY else None
