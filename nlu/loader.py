"""Finding, training and loading the model: a missing or stale model is trained, never guessed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nlu.features import USER_DICTIONARY
from nlu.featurizer import build_featurizer
from nlu.model import META_FILE, PIPELINE_VERSION, NluModel
from nlu.normalise import tables_text
from nlu.pipeline import NluPipeline
from nlu.training import Progress, lookup_tables, train
from nlu.trainingdata import data_files, fingerprint, load


@dataclass(frozen=True, slots=True)
class NluPaths:
    """Where the training data lives, where the model goes, where caches may be written."""

    data: Path
    model: Path
    cache: Path


def data_fingerprint(data: Path) -> str:
    """Hash of the training data, the user dictionary, the normalisation tables and the
    pipeline version."""
    return fingerprint(data_files(data), USER_DICTIONARY.read_text(encoding="utf-8"),
                       tables_text(), PIPELINE_VERSION)


def is_stale(paths: NluPaths) -> bool:
    """True when there is no model or it was trained on other data or by another pipeline."""
    try:
        meta = json.loads((paths.model / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return bool(meta.get("fingerprint") != data_fingerprint(paths.data))


def train_and_save(paths: NluPaths, progress: Progress = lambda _: None) -> NluPipeline:
    """Train on the data folder and save the model."""
    data = load(paths.data)
    featurizer = build_featurizer(lookup_tables(data), data.synonyms, paths.cache)
    model = train(data, featurizer, fingerprint=data_fingerprint(paths.data), progress=progress)
    model.save(paths.model)
    progress(f"model saved to {paths.model}")
    return NluPipeline(model, featurizer)


def load_pipeline(paths: NluPaths) -> NluPipeline:
    """Load the saved model as it is."""
    model = NluModel.load(paths.model)
    featurizer = build_featurizer(model.meta.get("lookups", {}), model.meta.get("synonyms", {}),
                                  paths.cache)
    return NluPipeline(model, featurizer)


def ensure_pipeline(paths: NluPaths, progress: Progress = lambda _: None) -> NluPipeline:
    """Load the model, training it first if it is missing or stale."""
    if is_stale(paths):
        progress("the NLU model is missing or older than its training data: training it now")
        return train_and_save(paths, progress)
    return load_pipeline(paths)
