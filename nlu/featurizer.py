"""The one path from raw text to entities and feature names, shared by training and parsing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nlu.entities import EntityExtractor, Found, LookupExtractor
from nlu.features import Analyzer, CueFeaturizer
from nlu.normalise import Normaliser, build_normaliser
from nlu.text import MAX_MODEL_CHARS, CleanText, clean

CUE_PREFIX = "cue_"


@dataclass(frozen=True, slots=True)
class Featurizer:
    """Clean and normalised text → entities → feature names; the same path at training and
    parse time."""

    analyzer: Analyzer
    extractor: EntityExtractor
    cues: CueFeaturizer
    normaliser: Normaliser

    def analyse(self, text: str) -> tuple[CleanText, list[Found], list[str]]:
        """The normalised text, the entities in it and its feature names."""
        cleaned = self.normaliser(clean(text, MAX_MODEL_CHARS))
        found = self.extractor.extract(cleaned.text)
        features = self.analyzer.features(cleaned.text, [f.entity for f in found],
                                          self.cues(cleaned.text))
        return cleaned, found, features

    def __call__(self, text: str) -> list[str]:
        return self.analyse(text)[2]


def build_featurizer(lookups: dict[str, list[str]], synonyms: dict[str, str],
                     cache_dir: Path | None = None,
                     today: Callable[[], dt.date] = dt.date.today) -> Featurizer:
    """The analyzer and entity extractors, configured from training data lookups.

    Lookup tables named ``cue_*`` are lexicons that only feed the classifiers; the others (such
    as ``event``) also yield entities.
    """
    entity_tables = {name: items for name, items in lookups.items()
                     if not name.startswith(CUE_PREFIX)}
    extractor = EntityExtractor(LookupExtractor(entity_tables, synonyms), today=today)
    return Featurizer(Analyzer(cache_dir), extractor, CueFeaturizer(lookups), build_normaliser())
