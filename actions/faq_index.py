"""Retrieval over config/faq.yml: which entry answers a resident's question, if any.

A question is read as features: Chinese characters and character pairs, English words (in one
form for bin/bins, put/putting) and their letter trigrams, and the FAQ's own synonyms and
question words (its `words` section). Features weigh by how few entries use them (TF-IDF).
Entries are ranked by the cosine similarity of the question to all their phrasings together,
times their *fit*: the share of the question's content the entry explains, the question words
asked ("几点", "how much") included, so the entry about drop-off times beats the one about
sorting for "垃圾分类几点投放". To answer, an entry must also explain enough of the question
without its question words: sharing only "几点开门" with the health station's opening hours
does not answer "欢乐谷几点开门", and that question gets no answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.normalise import simplified  # 繁体 read as the NLU reads it
from nlu.text import clean

#: An entry must explain this share of a question's content (by weight, question words left
#: out) to answer it...
MIN_COVERAGE = 0.48
#: ...and be at least this similar to it. Both calibrated with `bench/faq_bench.py --calibrate`.
MIN_SIMILARITY = 0.14

# Weights found by measurement on the paraphrase set (bench/faq_bench.py): Chinese single
# characters say less than character pairs; English n-grams only repair typos and word forms.
_KIND_WEIGHT = {"u": 0.5, "b": 1.0, "w": 1.0, "g": 0.4, "s": 1.0, "n": 1.0}
#: Question words weigh this much times the rarest feature's idf, whatever their frequency.
_ASKING_WEIGHT = 1.5
#: A feature no entry has weighs as much as the rarest one: it is what the FAQ doesn't know.
_UNSEEN_WEIGHT = 1.0
#: In an entry's fit, a question word asked weighs this much times the rarest feature's idf.
_ASKED_FIT = 1.0
#: A Chinese character explained only on its own, not in a pair, counts half.
_CHARACTER_CREDIT = 0.5
#: The entries with the best similarity that are ranked by coverage too.
_CANDIDATES = 10

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_LATIN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")
_DOUBLED_END = re.compile(r"([b-df-hj-np-rtv-z])\1$")  # putting → putt → put


def stem(word: str) -> str:
    """One form for English word variants: bins → bin, putting → put, batteries → battery."""
    if word.endswith("'s"):  # where's → where → wher, as "where" is
        word = word[:-2]
    if len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"),
                                ("shes", "sh")):
        if word.endswith(suffix):
            return word[:-len(suffix)] + replacement
    for suffix, shortest in (("ing", 6), ("ed", 5)):
        if word.endswith(suffix) and len(word) >= shortest:
            base = word[:-len(suffix)]
            return base[:-1] if _DOUBLED_END.search(base) and base[-1] not in "lsz" else base
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # charge, charges, charged and charging all become "charg"
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str
    answers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Unit:
    """A Chinese character or English word of a question, and what in an entry explains it."""

    key: str  # the feature whose idf is the unit's weight
    whole: tuple[str, ...]  # any of these explains all of it
    parts: tuple[str, ...]  # these explain part of it: a character alone, a misspelt word
    synonym: str | None  # the synonym group it belongs to, which explains it too


@dataclass(frozen=True, slots=True)
class Reading:
    """A text as retrieval sees it: weighted features, the content units to be covered and the
    question words asked."""

    features: Counter[str]
    units: tuple[_Unit, ...]
    asked: tuple[str, ...]


def _is_english(form: str) -> bool:
    return re.search("[a-z]", form) is not None


def _alternation(forms: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(forms), key=len, reverse=True)  # longest first: 请问一下 before 一下
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


class Words:
    """The FAQ's `words` section: spoken forms, filler left out, question words, synonyms."""

    def __init__(self, filler: Iterable[str] = (),
                 asking: Mapping[str, Iterable[str]] | None = None,
                 synonyms: Iterable[Sequence[str]] = (),
                 spoken: Mapping[str, str] | None = None) -> None:
        self._written = {clean(k).text: clean(v).text for k, v in (spoken or {}).items()}
        self._spoken = _alternation(self._written)
        filler = [clean(f).text for f in filler]
        self._filler_chinese = _alternation(f for f in filler if f and not _is_english(f))
        self._filler_english = frozenset(f for f in filler if _is_english(f))
        groups = [(f"a{name}", True, list(forms)) for name, forms in (asking or {}).items()]
        groups += [(f"s{forms[0]}", False, list(forms)) for forms in synonyms if forms]
        #: Chinese question word → its feature
        self._asking_chinese: dict[str, str] = {}
        #: Chinese synonym → its group's feature
        synonym_chinese: dict[str, str] = {}
        #: first stem → (feature, is a question word, stems of an English form)
        self._english_forms: dict[str, list[tuple[str, bool, tuple[str, ...]]]] = {}
        for feature, asking_group, forms in groups:
            cleaned = [clean(str(f)).text for f in forms]
            chinese = [f for f in cleaned if f and not _is_english(f)]
            for form in chinese:
                (self._asking_chinese if asking_group else synonym_chinese).setdefault(
                    form, feature)
            for form in filter(_is_english, cleaned):
                stems = tuple(stem(w) for w in _LATIN.findall(form))
                self._english_forms.setdefault(stems[0], []).append(
                    (feature, asking_group, stems))
        # One pattern for all question words, longest first: 手续费 (a fee) is not 手续 (papers).
        self._asking_pattern = _alternation(self._asking_chinese)
        # One pattern for all synonyms too; a synonym holding another group's (什么垃圾 holds
        # 垃圾) stands for both groups.
        self._synonym_pattern = _alternation(synonym_chinese)
        self._synonym_groups = {form: sorted({group for other, group in synonym_chinese.items()
                                              if other in form}, key=lambda g: g != feature)
                                for form, feature in synonym_chinese.items()}

    @classmethod
    def from_config(cls, data: Mapping[str, Any] | None) -> Words:
        data = data or {}
        filler = [str(w) for words in (data.get("filler") or {}).values() for w in words]
        asking = {str(name): [str(w) for w in words]
                  for name, words in (data.get("asking") or {}).items()}
        synonyms = [[str(w) for w in group] for group in data.get("synonyms") or ()]
        spoken = {str(k): str(v) for k, v in (data.get("spoken") or {}).items()}
        return cls(filler, asking, synonyms, spoken)

    def read(self, text: str) -> Reading:
        plain = simplified(clean(text.replace("\u2019", "'"), 500).text)
        if self._spoken is not None:
            plain = self._spoken.sub(lambda m: self._written[m.group()], plain)
        features: Counter[str] = Counter()
        asked: set[str] = set()
        # Chinese: question words and filler are blanked out; synonyms mark their characters.
        masked = list(plain)
        for found in self._asking_pattern.finditer(plain) if self._asking_pattern else ():
            feature = self._asking_chinese[found.group()]
            features[feature] = 1
            asked.add(feature)
            masked[found.start():found.end()] = " " * len(found.group())
        chinese = "".join(masked)
        synonym_at: dict[int, str] = {}
        for found in self._synonym_pattern.finditer(chinese) if self._synonym_pattern else ():
            groups = self._synonym_groups[found.group()]
            for group in groups:
                features[group] = 1
            for offset in range(found.start(), found.end()):
                synonym_at[offset] = groups[0]
        if self._filler_chinese is not None:
            chinese = self._filler_chinese.sub(lambda m: " " * len(m.group()), chinese)
        # English: the same, by word; question words first ("free of charge" is no e-bike's).
        words = _LATIN.findall(plain)
        stems = [stem(w) for w in words]
        asking_words: set[int] = set()
        synonym_of: dict[int, str] = {}
        found_forms = sorted(((not asking, start, feature, len(form))
                              for start, first in enumerate(stems)
                              for feature, asking, form in self._english_forms.get(first, ())
                              if tuple(stems[start:start + len(form)]) == form))
        for synonym, start, feature, size in found_forms:
            span = range(start, start + size)
            if not synonym:
                asking_words.update(span)
                asked.add(feature)
            elif asking_words.isdisjoint(span):
                for index in span:
                    synonym_of.setdefault(index, feature)
            else:
                continue
            features[feature] = 1
        units = [*self._chinese(chinese, features, synonym_at),
                 *self._english(words, stems, asking_words, features, synonym_of)]
        return Reading(features, tuple(units), tuple(sorted(asked)))

    @staticmethod
    def _chinese(text: str, features: Counter[str], synonym_at: Mapping[int, str]
                 ) -> Iterator[_Unit]:
        for run in _HAN.finditer(text):
            chars = run.group()
            for i, char in enumerate(chars):
                features["u" + char] += 1
                if i + 1 < len(chars):
                    features["b" + chars[i:i + 2]] += 1
                pairs = tuple("b" + chars[j:j + 2] for j in (i - 1, i)
                              if j >= 0 and j + 1 < len(chars))
                yield _Unit("u" + char, pairs or ("u" + char,), ("u" + char,) if pairs else (),
                            synonym_at.get(run.start() + i))

    def _english(self, words: Sequence[str], stems: Sequence[str], asking_words: set[int],
                 features: Counter[str], synonym_of: Mapping[int, str]) -> Iterator[_Unit]:
        for index, word in enumerate(words):
            if word.isdigit():
                features["n" + word] += 1
            elif index not in asking_words and word not in self._filler_english:
                features["w" + stems[index]] += 1
                padded = f"<{word}>"
                trigrams = tuple("g" + padded[i:i + 3] for i in range(len(padded) - 2))
                features.update(trigrams)
                yield _Unit("w" + stems[index], ("w" + stems[index],), trigrams,
                            synonym_of.get(index))


@dataclass(frozen=True, slots=True)
class Match:
    """How well an entry answers a question; ``score`` ranks entries."""

    entry: FaqEntry
    similarity: float
    #: the share of the question's content the entry explains
    coverage: float
    #: the same, counting the question words asked ("when", "how much") too
    fit: float

    @property
    def score(self) -> float:
        return self.similarity * self.fit

    @property
    def answers(self) -> bool:
        return self.coverage >= MIN_COVERAGE and self.similarity >= MIN_SIMILARITY


Postings = dict[str, list[tuple[int, float]]]


def _postings(vectors: Iterable[Mapping[str, float]]) -> Postings:
    postings: Postings = {}
    for document, vector in enumerate(vectors):
        for feature, weight in vector.items():
            postings.setdefault(feature, []).append((document, weight))
    return postings


def _dot(query: Mapping[str, float], postings: Postings) -> dict[int, float]:
    """Cosine similarity of ``query`` with every document sharing a feature with it."""
    scores: dict[int, float] = {}
    for feature, weight in query.items():
        for document, other in postings.get(feature, ()):
            scores[document] = scores.get(document, 0.0) + weight * other
    return scores


class FaqIndex:
    """The FAQ's entries, indexed for retrieval. Building one takes about a tenth of a second,
    so an edited FAQ is taken up by loading it again."""

    def __init__(self, entries: list[dict[str, Any]], words: Words | None = None) -> None:
        self.words = words or Words()
        #: the entries as given, for an index with more entries (actions/faq_live.py)
        self.source = entries
        self.entries: list[FaqEntry] = []
        # An entry is all its phrasings together: scoring each phrasing on its own as well
        # measured no better (bench/faq_bench.py) and took twice as long.
        whole: list[Counter[str]] = []
        for entry in entries:
            self.entries.append(FaqEntry(str(entry["id"]), dict(entry["answer"])))
            whole.append(Counter())
            for questions in entry["questions"].values():
                for question in questions:
                    whole[-1].update(self.words.read(str(question)).features)
        # Document frequency counts entries, so a pair found in many entries ("怎么") weighs
        # less than the one that names the topic ("厨余").
        df: Counter[str] = Counter()
        for features in whole:
            df.update(features.keys())
        rarest = math.log(1 + len(whole)) + 1
        self._idf = {f: math.log((1 + len(whole)) / (1 + n)) + 1 for f, n in df.items()}
        self._unseen = _UNSEEN_WEIGHT * rarest
        self._asking = _ASKING_WEIGHT * rarest
        self._asked_weight = _ASKED_FIT * rarest
        self._vocabulary = [frozenset(features) for features in whole]
        # An inverted index: a question only touches the entries sharing a feature with it.
        self._postings = _postings(self._vector(features) for features in whole)

    @classmethod
    def load(cls, path: Path) -> FaqIndex:
        # The C loader when PyYAML has one: the FAQ is loaded again whenever it is edited.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        return cls(data["faq"], Words.from_config(data.get("words")))

    def _vector(self, features: Counter[str], question: bool = False) -> dict[str, float]:
        weights: dict[str, float] = {}
        for feature, count in features.items():
            if feature[0] == "a":
                weight = self._asking
            elif feature in self._idf:
                weight = self._idf[feature] * _KIND_WEIGHT[feature[0]]
            elif question:
                weight = self._unseen * _KIND_WEIGHT[feature[0]]
            else:
                continue
            weights[feature] = (1 + math.log(count)) * weight
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {feature: weight / norm for feature, weight in weights.items()}

    def _coverage(self, reading: Reading, vocabulary: frozenset[str]) -> tuple[float, float]:
        """The entry's coverage and fit (see `Match`) for a question."""
        explained = total = 0.0
        for unit in reading.units:
            weight = self._idf.get(unit.key, self._unseen)
            total += weight
            if any(f in vocabulary for f in unit.whole) or unit.synonym in vocabulary:
                explained += weight
            elif unit.parts:
                share = sum(f in vocabulary for f in unit.parts) / len(unit.parts)
                if unit.key[0] == "u":
                    explained += weight * share * _CHARACTER_CREDIT
                elif share >= 0.5:  # most of a word's letters: a typo or another form
                    explained += weight * share
        coverage = explained / total if total else 0.0
        asked = self._asked_weight * len(reading.asked)
        answered = self._asked_weight * sum(a in vocabulary for a in reading.asked)
        fit = (explained + answered) / (total + asked) if total + asked else 0.0
        return coverage, fit

    def ranked(self, question: str) -> list[Match]:
        """The most similar entries, best first."""
        reading = self.words.read(question)
        similarity = _dot(self._vector(reading.features, question=True), self._postings)
        candidates = sorted(similarity, key=similarity.__getitem__, reverse=True)[:_CANDIDATES]
        matches = [Match(self.entries[i], similarity[i],
                         *self._coverage(reading, self._vocabulary[i])) for i in candidates]
        return sorted(matches, key=lambda m: m.score, reverse=True)

    def names_a_topic(self, question: str) -> bool:
        """Whether ``question`` names something the FAQ knows by name ("垃圾几点收": rubbish),
        not only asks ("要带什么材料")."""
        return any(feature.startswith("s") for feature in self.words.read(question).features)

    def best(self, question: str) -> tuple[FaqEntry, float] | None:
        """The entry that answers ``question`` and its score, or None if none does."""
        matches = self.ranked(question)
        if not matches or not matches[0].answers:
            return None
        return matches[0].entry, matches[0].score
