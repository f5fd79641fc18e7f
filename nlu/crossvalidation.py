"""Cross-validation of the whole pipeline: k-fold on one data set, and leave-one-domain-out
for the out-of-scope decision."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlu.domains import domain_of, domains
from nlu.evaluation import score
from nlu.featurizer import build_featurizer
from nlu.intents import OUT_OF_SCOPE
from nlu.pipeline import NluPipeline
from nlu.training import OUT_OF_SCOPE_PREVALENCE, Progress, lookup_tables, train
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


def _out_of_scope_figures(gold: Sequence[bool], said: Sequence[bool],
                          prevalence: float) -> dict[str, float | int | None]:
    hits = sum(g and s for g, s in zip(gold, said, strict=True))
    flagged, relevant = sum(said), sum(gold)
    in_domain = len(gold) - relevant
    false = flagged - hits
    recall = hits / relevant if relevant else None
    false_rate = false / in_domain if in_domain else None
    at_prevalence = None
    if recall is not None and false_rate is not None and (recall or false_rate):
        at_prevalence = prevalence * recall / (prevalence * recall + (1 - prevalence) * false_rate)
    return {"precision": round(hits / flagged, 4) if flagged else None,
            "recall": None if recall is None else round(recall, 4),
            "in_domain_false_rate": None if false_rate is None else round(false_rate, 4),
            f"precision_at_{prevalence:g}": None if at_prevalence is None else
            round(at_prevalence, 4),
            "out_of_scope": relevant, "in_domain": in_domain}


def leave_one_domain_out(data: TrainingData, cache: Path, *,
                         prevalence: float = OUT_OF_SCOPE_PREVALENCE,
                         progress: Progress = lambda _: None) -> dict[str, Any]:
    """Out-of-scope precision and recall on topics the model never saw.

    For each out-of-scope topic (nlu/domains.py), train on everything except that topic and one
    in-domain fold (the in-domain examples are split into as many folds as there are topics),
    then parse both. Recall is over the held-out topics' messages; precision over those and the
    held-out in-domain messages together (the training data's mix), and also at an assumed
    share of out-of-scope messages ``prevalence``, from recall and the in-domain false rate.
    Out-of-scope examples without a topic are always trained on and never scored.
    """
    from sklearn.model_selection import StratifiedKFold

    featurizer = build_featurizer(lookup_tables(data), data.synonyms, cache)
    examples = data.examples
    topics = domains(examples)
    if len(topics) < 2:
        raise ValueError("leave-one-domain-out needs at least two labelled out-of-scope topics")
    inside = [i for i, e in enumerate(examples) if e.intent != OUT_OF_SCOPE]
    in_fold = dict.fromkeys(inside, -1)
    splitter = StratifiedKFold(n_splits=len(topics), shuffle=True, random_state=0)
    intents = [examples[i].intent for i in inside]
    for number, (_, test) in enumerate(splitter.split(intents, intents)):
        for j in test:
            in_fold[inside[j]] = number
    gold: list[bool] = []
    said: list[bool] = []
    per_topic: dict[str, dict[str, Any]] = {}
    missed: list[dict[str, str]] = []
    for number, topic in enumerate(topics):
        held = [i for i, e in enumerate(examples)
                if domain_of(e) == topic or in_fold.get(i) == number]
        keep = set(range(len(examples))) - set(held)
        progress(f"topic {number + 1}/{len(topics)} {topic}: training on {len(keep)} examples")
        subset = TrainingData([examples[i] for i in sorted(keep)], data.synonyms, data.lookups,
                              data.regexes)
        pipeline = NluPipeline(train(subset, featurizer), featurizer)
        found = 0
        for i in held:
            parse = pipeline.parse(examples[i].text)
            is_out = examples[i].intent == OUT_OF_SCOPE
            flagged = parse["intent"]["name"] == OUT_OF_SCOPE
            gold.append(is_out)
            said.append(flagged)
            found += is_out and flagged
            if is_out and not flagged:
                missed.append({"domain": topic, "text": examples[i].text,
                               "intent": parse["intent"]["name"]})
        support = sum(domain_of(examples[i]) == topic for i in held)
        per_topic[topic] = {"recall": round(found / support, 4), "support": support}
    return {"out_of_scope": _out_of_scope_figures(gold, said, prevalence),
            "domains": per_topic, "missed": missed}
