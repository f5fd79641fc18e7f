"""Turning clean text into sparse TF-IDF features, identically at training and parse time."""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from nlu.text import alternation

_TOKEN = re.compile(
    r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)"
    r"|(?P<num>\d+)"
    r"|(?P<mark>[?!？！]|[\U0001f000-\U0001faff\u2600-\u27bf])"
)
if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

USER_DICTIONARY = files("nlu") / "resources" / "userdict.txt"


class Analyzer:
    """Words (jieba for Chinese), word bigrams and character n-grams of a clean text."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        # jieba caches its prefix dictionary with marshal; keep that cache in our own folder
        # instead of the world-writable temp directory.
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        with USER_DICTIONARY.open("rb") as dictionary:  # jieba leaves a path's file open
            self._jieba.load_userdict(dictionary)

    def words(self, text: str) -> list[str]:
        """Word tokens; numbers become a shape token such as ``<num3>``."""
        tokens: list[str] = []
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup
            if kind == "han":
                tokens.extend(w for w in self._jieba.lcut(m.group(), HMM=True) if w.strip())
            elif kind == "num":
                tokens.append(f"<num{min(len(m.group()), 5)}>")
            else:
                tokens.append(m.group())
        return tokens

    def features(self, text: str, entity_types: Iterable[str] = (),
                 cues: Iterable[str] = ()) -> list[str]:
        """All feature names of ``text`` (repeats count), the types of entities found in it and
        the lookup tables it touches."""
        words = self.words(text)
        out = [f"w={w}" for w in words]
        out.extend(f"b={a}|{b}" for a, b in itertools.pairwise(words))
        for m in _TOKEN.finditer(text):
            if m.lastgroup == "han":
                run = m.group()
                for n in (1, 2, 3):
                    out.extend(f"c={run[i:i + n]}" for i in range(len(run) - n + 1))
            elif m.lastgroup == "word":
                padded = f"<{m.group()}>"
                for n in (3, 4, 5):
                    out.extend(f"c={padded[i:i + n]}" for i in range(len(padded) - n + 1))
        out.extend(f"e={t}" for t in sorted(set(entity_types)))
        out.extend(f"l={c}" for c in cues)
        return out


class CueFeaturizer:
    """Which lookup tables (cue lexicons such as ``cue_danger``) a clean text touches."""

    def __init__(self, tables: Mapping[str, Iterable[str]]) -> None:
        self._tables = [(name, pattern) for name, items in sorted(tables.items())
                        if (pattern := alternation(items)) is not None]

    def __call__(self, text: str) -> list[str]:
        return [name for name, pattern in self._tables if pattern.search(text)]


class Vectorizer:
    """Sublinear TF-IDF with an l2 norm over a fixed vocabulary."""

    def __init__(self, vocabulary: Sequence[str], idf: npt.NDArray[np.float32]) -> None:
        self.vocabulary = {name: i for i, name in enumerate(vocabulary)}
        self.idf = idf

    @classmethod
    def fit(cls, documents: Sequence[Sequence[str]]) -> Vectorizer:
        df: Counter[str] = Counter()
        for doc in documents:
            df.update(set(doc))
        names = sorted(df)
        n = len(documents)
        idf = np.array([math.log((1 + n) / (1 + df[name])) + 1.0 for name in names],
                       dtype=np.float32)
        return cls(names, idf)

    def transform_one(self, features: Sequence[str]) -> tuple[npt.NDArray[np.intp],
                                                               npt.NDArray[np.float32]]:
        """Indices and weights of one document's known features."""
        counts = Counter(i for f in features if (i := self.vocabulary.get(f)) is not None)
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        weights = ((1.0 + np.log(tf)) * self.idf[index]).astype(np.float32)
        weights /= np.linalg.norm(weights)
        return index, weights

    def transform(self, documents: Sequence[Sequence[str]]) -> csr_matrix:
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        for doc in documents:
            index, weights = self.transform_one(doc)
            indices.append(index)
            data.append(weights)
            indptr.append(indptr[-1] + len(index))
        return csr_matrix(
            (np.concatenate(data) if data else np.zeros(0, dtype=np.float32),
             np.concatenate(indices) if indices else np.zeros(0, dtype=np.intp), indptr),
            shape=(len(documents), len(self.vocabulary)))
