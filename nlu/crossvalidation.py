"""k-fold cross-validation of the whole pipeline on one data set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlu.evaluation import score
from nlu.featurizer import build_featurizer
from nlu.pipeline import NluPipeline
from nlu.training import Progress, lookup_tables, train
from nlu.trainingdata import TrainingData


def cross_validate(data: TrainingData, folds: int, cache: Path,
                   progress: Progress = lambda _: None) -> dict[str, Any]:
    """Train on k-1 folds, parse the held-out fold, and score all held-out parses together."""
    from sklearn.model_selection import StratifiedKFold

    featurizer = build_featurizer(lookup_tables(data), data.synonyms, cache)
    examples = data.examples
    results: list[dict[str, Any]] = [{} for _ in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    intents = [e.intent for e in examples]
    for fold, (train_index, test_index) in enumerate(splitter.split(intents, intents), 1):
        progress(f"fold {fold}/{folds}: training on {len(train_index)} examples")
        subset = TrainingData([examples[i] for i in train_index], data.synonyms, data.lookups,
                              data.regexes)
        pipeline = NluPipeline(train(subset, featurizer), featurizer)
        for i in test_index:
            results[i] = pipeline.parse(examples[i].text)
    report = score(examples, results)
    report["cross_validation_folds"] = folds
    return report
