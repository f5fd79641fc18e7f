"""Training: TF-IDF and novelty features, a linear SVM, temperature scaling and an out-of-scope
threshold, the last two chosen on out-of-fold predictions rather than by hand.

The folds keep each out-of-scope topic (nlu/domains.py) in one fold, so the held-out
predictions the threshold is chosen on come from topics the fold's model never saw: what a
resident's unexpected question looks like to the deployed model."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from nlu.domains import grouped_folds
from nlu.features import Vectorizer
from nlu.featurizer import Featurizer
from nlu.intents import CATEGORY_INTENTS, OUT_OF_SCOPE
from nlu.model import PIPELINE_VERSION, LinearClassifier, NluModel, NoveltyVectorizer
from nlu.novelty import known_words, with_novelty
from nlu.trainingdata import Example, TrainingData

_REGULARISATION = 1.0
#: Share of out-of-scope messages assumed when weighing a missed one against an in-domain
#: message wrongly set aside: the thresholds maximise out-of-scope F1 at this prevalence.
OUT_OF_SCOPE_PREVALENCE = 0.2
_THRESHOLDS = np.round(np.arange(0.0, 0.91, 0.05), 2)
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_HAN = re.compile(r"[\u4e00-\u9fff]")

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

Progress = Callable[[str], None]


def _fit(features: csr_matrix, labels: Sequence[str]) -> LinearClassifier:
    # A linear SVM trains in a tenth of a second where logistic regression takes seconds, and is
    # as accurate here; its scores become probabilities through the temperature fitted below.
    from sklearn.svm import LinearSVC

    model = LinearSVC(C=_REGULARISATION, class_weight="balanced")
    model.fit(features, labels)
    classes = tuple(str(c) for c in model.classes_)
    weights = model.coef_.T.astype(np.float32)
    bias = model.intercept_.astype(np.float32)
    if len(classes) == 2:  # sklearn keeps one column for two classes; make it a softmax pair
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
    return LinearClassifier(classes, np.ascontiguousarray(weights), bias)


def _logits(classifier: LinearClassifier, features: csr_matrix) -> npt.NDArray[np.float64]:
    result: npt.NDArray[np.float64] = np.asarray(
        features @ classifier.weights + classifier.bias, dtype=np.float64)
    return result


def _softmax(logits: npt.NDArray[np.float64], temperature: float) -> npt.NDArray[np.float64]:
    z = logits / temperature
    z -= z.max(axis=1, keepdims=True)
    exp = np.exp(z)
    result: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return result


def fit_temperature(logits: npt.NDArray[np.float64], truth: npt.NDArray[np.intp]) -> float:
    """The temperature that minimises the negative log-likelihood of held-out predictions."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = _softmax(logits, float(np.exp(log_t)))
        return float(-np.mean(np.log(p[np.arange(len(truth)), truth] + 1e-12)))

    result = minimize_scalar(nll, bounds=(-6.0, 3.0), method="bounded")
    return float(np.exp(result.x))


def out_of_scope_f1(predicted: npt.NDArray[np.intp], truth: npt.NDArray[np.intp],
                    out_of_scope: int, prevalence: float = OUT_OF_SCOPE_PREVALENCE) -> float:
    """F1 of out_of_scope, its precision taken at ``prevalence`` rather than at the data's mix
    (training data holds many more in-domain examples than residents' chats do)."""
    gold = truth == out_of_scope
    said = predicted == out_of_scope
    if not gold.any() or gold.all():
        return 0.0
    recall = float((said & gold).sum() / gold.sum())
    false_rate = float((said & ~gold).sum() / (~gold).sum())
    flagged = prevalence * recall + (1 - prevalence) * false_rate
    precision = prevalence * recall / flagged if flagged else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def choose_threshold(probabilities: npt.NDArray[np.float64], truth: npt.NDArray[np.intp],
                     out_of_scope: int, prevalence: float = OUT_OF_SCOPE_PREVALENCE) -> float:
    """The confidence below which any predicted intent becomes out_of_scope: the one that
    maximises out-of-scope F1 on held-out predictions (ties: the lower threshold).

    One threshold for all intents: per-intent thresholds chosen the same way bought no more
    than noise on leave-one-domain-out (docs/benchmarks.md) and cost more in-domain answers."""
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)

    def f1(threshold: float) -> float:
        guess = np.where(confidence < threshold, out_of_scope, predicted)
        return out_of_scope_f1(guess, truth, out_of_scope, prevalence)

    return float(max(_THRESHOLDS, key=lambda t: (f1(float(t)), -t)))


def out_of_fold_logits(features: csr_matrix, labels: Sequence[str],
                       classes: Sequence[str], folds: Sequence[int]) -> npt.NDArray[np.float64]:
    """Logits for every example from a model that did not see its fold."""
    y = np.array(labels)
    assignment = np.array(folds)
    result = np.zeros((len(labels), len(classes)))
    for number in sorted(set(folds)):
        train_index = np.flatnonzero(assignment != number)
        test_index = np.flatnonzero(assignment == number)
        fold = _fit(features[train_index], list(y[train_index]))
        columns = np.array([classes.index(label) for label in fold.labels], dtype=np.intp)
        result[np.ix_(test_index, columns)] = _logits(fold, features[test_index])
        missing = np.array([i for i, c in enumerate(classes) if c not in fold.labels],
                           dtype=np.intp)
        result[np.ix_(test_index, missing)] = -1e3
    return result


def english_vocabulary(examples: Sequence[Example]) -> list[str]:
    """Latin-script words of the English training examples, for language identification."""
    words: set[str] = set()
    for example in examples:
        if example.intent != OUT_OF_SCOPE and not _HAN.search(example.text):
            words.update(_LATIN_WORD.findall(example.text.lower()))
    return sorted(words)


def lookup_tables(data: TrainingData) -> dict[str, list[str]]:
    """Lookup tables plus the annotated surface forms of lookup entities (events)."""
    tables = {name: list(items) for name, items in data.lookups.items()}
    for example in data.examples:
        for span in example.spans:
            if span.entity in tables:
                tables[span.entity].append(example.text[span.start:span.end])
    return {name: sorted(set(items)) for name, items in tables.items()}


def train(data: TrainingData, featurizer: Featurizer, *, fingerprint: str = "",
          folds: int = 5, progress: Progress = lambda _: None) -> NluModel:
    """Train intent and category classifiers on ``data``."""
    started = time.perf_counter()
    examples = data.examples
    if len({e.intent for e in examples}) < 2:
        raise ValueError("training needs examples of at least two intents")
    progress(f"featurizing {len(examples)} examples")
    plain = [featurizer(e.text) for e in examples]
    in_domain = [e.intent != OUT_OF_SCOPE for e in examples]
    documents = with_novelty(plain, in_domain)
    vectorizer = Vectorizer.fit(documents)
    features = vectorizer.transform(documents)
    labels = [e.intent for e in examples]
    classes = sorted(set(labels))
    truth = np.array([classes.index(label) for label in labels])

    progress(f"{folds}-fold cross-validation for calibration ({len(vectorizer.vocabulary)} "
             "features, out-of-scope topics held out whole)")
    held_out = out_of_fold_logits(features, labels, classes, grouped_folds(examples, folds))
    temperature = fit_temperature(held_out, truth)
    threshold = (choose_threshold(_softmax(held_out, temperature), truth,
                                  classes.index(OUT_OF_SCOPE))
                 if OUT_OF_SCOPE in classes else 0.0)
    cv_accuracy = float((held_out.argmax(axis=1) == truth).mean())

    progress("fitting the intent classifier")
    intents = _fit(features, labels)
    intents.temperature = temperature

    progress("fitting the category classifier")
    rows = [i for i, e in enumerate(examples) if e.category and e.intent in CATEGORY_INTENTS]
    if len({examples[i].category for i in rows}) >= 2:
        categories = _fit(features[rows], [str(examples[i].category) for i in rows])
    else:
        categories = LinearClassifier((), np.zeros((len(vectorizer.vocabulary), 0), np.float32),
                                      np.zeros(0, np.float32))

    seconds = time.perf_counter() - started
    negatives = labels.count(OUT_OF_SCOPE)
    # Said so that a threshold of 0.00 is not taken for out-of-scope detection switched off:
    # the out_of_scope class, learnt from the negatives, does the work; the threshold only
    # moves unsure readings there too when that measured better.
    plus = "no confidence threshold" if threshold == 0 else f"a threshold of {threshold:.2f}"
    scope = (f"out of scope: a class learnt from {negatives} examples, plus {plus}"
             if negatives else "no out-of-scope examples")
    progress(f"trained in {seconds:.1f}s: cross-validated accuracy {cv_accuracy:.3f}, "
             f"temperature {temperature:.2f}; {scope}")
    meta = {
        "pipeline_version": PIPELINE_VERSION,
        "fingerprint": fingerprint,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "training_seconds": round(seconds, 2),
        "examples": len(examples),
        "cross_validated_accuracy": round(cv_accuracy, 4),
        "out_of_scope_threshold": threshold,
        "english_vocabulary": english_vocabulary(examples),
        "lookups": lookup_tables(data),
        "synonyms": data.synonyms,
    }
    deployed = NoveltyVectorizer(list(vectorizer.vocabulary), vectorizer.idf,
                                 frozenset(known_words(plain, in_domain)))
    return NluModel(deployed, intents, categories, meta)
