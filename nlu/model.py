"""The trained model: arrays and JSON only, so loading it can never execute code."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nlu.features import Vectorizer

MODEL_FILE = "model.npz"
META_FILE = "meta.json"
#: Bump when features or model layout change, so old models are retrained rather than misread.
PIPELINE_VERSION = "2"


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
        return float(self.meta.get("out_of_scope_threshold", 0.0))

    def save(self, directory: Path) -> None:
        """Write the model files; the folder is replaced atomically enough for one writer."""
        directory.mkdir(parents=True, exist_ok=True)
        vocabulary = np.array(list(self.vectorizer.vocabulary), dtype=np.str_)
        tmp = directory / f".{MODEL_FILE}.tmp.npz"
        np.savez_compressed(
            tmp, vocabulary=vocabulary, idf=self.vectorizer.idf,
            intent_weights=self.intents.weights, intent_bias=self.intents.bias,
            category_weights=self.categories.weights, category_bias=self.categories.bias)
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
            vectorizer = Vectorizer([str(v) for v in arrays["vocabulary"]],
                                    arrays["idf"].astype(np.float32))
            intents = LinearClassifier(tuple(meta["intent_labels"]), arrays["intent_weights"],
                                       arrays["intent_bias"], float(meta["intent_temperature"]))
            categories = LinearClassifier(tuple(meta["category_labels"]),
                                          arrays["category_weights"], arrays["category_bias"],
                                          float(meta["category_temperature"]))
        if intents.weights.shape != (len(vectorizer.vocabulary), len(intents.labels)):
            raise ValueError(f"model in {directory} is inconsistent: intent weights "
                             f"{intents.weights.shape} for {len(vectorizer.vocabulary)} features")
        return cls(vectorizer, intents, categories, meta)
