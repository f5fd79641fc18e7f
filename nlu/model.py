"""The trained model: arrays and JSON only, so loading it can never execute code."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nlu.features import Vectorizer
from nlu.novelty import novelty_features

MODEL_FILE = "model.npz"
META_FILE = "meta.json"
#: Bump when features or model layout change, so old models are retrained rather than misread.
PIPELINE_VERSION = "4"


class NoveltyVectorizer(Vectorizer):
    """The vectorizer of a trained model: it adds the novelty features (nlu/novelty.py) of the
    words no in-domain training example used before weighting, as training did."""

    def __init__(self, vocabulary: Sequence[str], idf: npt.NDArray[np.float32],
                 known: frozenset[str]) -> None:
        super().__init__(vocabulary, idf)
        self.known = known

    def transform_one(self, features: Sequence[str]) -> tuple[npt.NDArray[np.intp],
                                                               npt.NDArray[np.float32]]:
        return super().transform_one([*features,
                                      *novelty_features(features, self.known.__contains__)])


@dataclass(slots=True)
class LinearClassifier:
    """Multinomial logistic regression over sparse features, with temperature scaling."""

    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # (features, labels)
    bias: npt.NDArray[np.float32]  # (labels,)
    temperature: float = 1.0

    def probabilities(self, index: npt.NDArray[np.intp],
                      values: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        logits = (values @ self.weights[index] + self.bias).astype(np.float64) / self.temperature
        logits -= logits.max()
        exp = np.exp(logits)
        result: npt.NDArray[np.float64] = exp / exp.sum()
        return result


@dataclass(slots=True)
class NluModel:
    """Everything a parse needs that training produced."""

    vectorizer: Vectorizer
    intents: LinearClassifier
    categories: LinearClassifier
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def out_of_scope_threshold(self) -> float:
        """The confidence below which the predicted intent becomes out_of_scope."""
        return float(self.meta.get("out_of_scope_threshold", 0.0))

    @property
    def known_words(self) -> frozenset[str]:
        """Word features some in-domain training example used (empty: no novelty features)."""
        vectorizer = self.vectorizer
        return vectorizer.known if isinstance(vectorizer, NoveltyVectorizer) else frozenset()

    def save(self, directory: Path) -> None:
        """Write the model files; the folder is replaced atomically enough for one writer."""
        directory.mkdir(parents=True, exist_ok=True)
        vocabulary = np.array(list(self.vectorizer.vocabulary), dtype=np.str_)
        tmp = directory / f".{MODEL_FILE}.tmp.npz"
        np.savez_compressed(
            tmp, vocabulary=vocabulary, idf=self.vectorizer.idf,
            intent_weights=self.intents.weights, intent_bias=self.intents.bias,
            category_weights=self.categories.weights, category_bias=self.categories.bias,
            known_words=np.array(sorted(self.known_words), dtype=np.str_))
        meta = dict(self.meta, intent_labels=list(self.intents.labels),
                    intent_temperature=self.intents.temperature,
                    category_labels=list(self.categories.labels),
                    category_temperature=self.categories.temperature)
        meta_tmp = directory / f".{META_FILE}.tmp"
        meta_tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(directory / MODEL_FILE)
        meta_tmp.replace(directory / META_FILE)

    @classmethod
    def load(cls, directory: Path) -> NluModel:
        """Read a saved model. Raises FileNotFoundError or ValueError if it is unusable."""
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        with np.load(directory / MODEL_FILE, allow_pickle=False) as arrays:
            known = (frozenset(str(w) for w in arrays["known_words"])
                     if "known_words" in arrays else frozenset())
            vocabulary = [str(v) for v in arrays["vocabulary"]]
            idf = arrays["idf"].astype(np.float32)
            vectorizer = (NoveltyVectorizer(vocabulary, idf, known) if known
                          else Vectorizer(vocabulary, idf))
            intents = LinearClassifier(tuple(meta["intent_labels"]), arrays["intent_weights"],
                                       arrays["intent_bias"], float(meta["intent_temperature"]))
            categories = LinearClassifier(tuple(meta["category_labels"]),
                                          arrays["category_weights"], arrays["category_bias"],
                                          float(meta["category_temperature"]))
        if intents.weights.shape != (len(vectorizer.vocabulary), len(intents.labels)):
            raise ValueError(f"model in {directory} is inconsistent: intent weights "
                             f"{intents.weights.shape} for {len(vectorizer.vocabulary)} features")
        return cls(vectorizer, intents, categories, meta)
