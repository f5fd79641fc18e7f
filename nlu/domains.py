"""Out-of-scope domains: which topic an out-of-scope example is about, and folds that keep a
topic together, so held-out predictions estimate text from topics the model never saw."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from nlu.intents import OUT_OF_SCOPE
from nlu.trainingdata import Example

#: Block metadata key naming an out-of-scope example's topic (Rasa keeps block metadata as is).
DOMAIN_KEY = "domain"


def domain_of(example: Example) -> str | None:
    """The topic of an out-of-scope example, or None (in-domain, or not labelled)."""
    if example.intent != OUT_OF_SCOPE:
        return None
    return example.metadata.get(DOMAIN_KEY) or None


def domains(examples: Sequence[Example]) -> list[str]:
    """The labelled out-of-scope topics, sorted."""
    return sorted({d for e in examples if (d := domain_of(e)) is not None})


def grouped_folds(examples: Sequence[Example], folds: int, seed: int = 0) -> list[int]:
    """A fold number for every example: each out-of-scope topic lies wholly in one fold; the
    other examples are spread over the folds intent by intent."""
    rng = random.Random(seed)
    topics = domains(examples)
    rng.shuffle(topics)
    topic_fold = {topic: i % folds for i, topic in enumerate(topics)}
    by_intent: dict[str, list[int]] = defaultdict(list)
    assignment = [0] * len(examples)
    for i, example in enumerate(examples):
        topic = domain_of(example)
        if topic is not None:
            assignment[i] = topic_fold[topic]
        else:
            by_intent[example.intent].append(i)
    offset = 0
    for intent in sorted(by_intent):
        members = by_intent[intent]
        rng.shuffle(members)
        for j, i in enumerate(members):
            assignment[i] = (j + offset) % folds
        offset += len(members)
    return assignment
