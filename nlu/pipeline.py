"""Parsing one message: language, intent with ranking, entities — Rasa's ``/model/parse`` shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from nlu import danger, offtopic, outside
from nlu.entities import EVENT_ENTITIES, EVENT_INTENTS, Found
from nlu.featurizer import Featurizer
from nlu.intents import CATEGORY_INTENTS, OUT_OF_SCOPE
from nlu.language import SUPPORTED, UNDETERMINED, LanguageDetector
from nlu.model import NluModel
from nlu.segments import add_segments

ParseResult = dict[str, Any]
RANKING_SIZE = 10
# Weight left on the zh/en classifier for a message in a language the bot does not serve: the
# classifier never saw such text, so most of the mass goes to out_of_scope.
_FOREIGN_TRUST = 0.2


class NluPipeline:
    """A loaded model ready to parse; thread-safe for concurrent ``parse`` calls."""

    def __init__(self, model: NluModel, featurizer: Featurizer) -> None:
        self.model = model
        self.featurizer = featurizer
        self.languages = LanguageDetector(model.meta.get("english_vocabulary", ()))
        self.languages.warm_up()

    def parse(self, text: str, segment: bool = True) -> ParseResult:
        """Parse one message. Never raises on any string input. ``segment``: also look for
        two requests in it (nlu/segments.py)."""
        text = text if isinstance(text, str) else str(text)
        cleaned, found, features = self.featurizer.analyse(text)
        language = self.languages.detect(cleaned.text)
        index, values = self.model.vectorizer.transform_one(features)

        ranking = self._intent_probabilities(index, values, language, bool(cleaned.text))
        # An alarm needs evidence of danger now, not just a hazard word (nlu/danger.py).
        placed = any(f.entity in danger.PLACE_ENTITIES for f in found)
        ranking = danger.guard(cleaned.text, ranking, place_given=placed)
        # A community request about a metro station or an employer is no community's to act on.
        ranking = outside.guard(cleaned.text, ranking, place_given=placed)
        # Nor is a command for a phone's assistant, a language question or a mashed keyboard.
        ranking = offtopic.guard(cleaned.text, ranking, place_given=placed)
        intent, confidence = ranking[0]
        if intent != OUT_OF_SCOPE and confidence < self.model.out_of_scope_threshold:
            ranking = [(OUT_OF_SCOPE, confidence)] + [r for r in ranking if r[0] != OUT_OF_SCOPE]
            intent = OUT_OF_SCOPE
        entities = [self._entity(f, cleaned.span(f.start, f.end)) for f in found
                    if f.entity not in EVENT_ENTITIES or intent in EVENT_INTENTS]
        if intent in CATEGORY_INTENTS and self.model.categories.labels:
            entities.append(self._category(index, values))
        result = {
            "text": text,
            "language": language,
            "intent": {"name": intent, "confidence": round(confidence, 4)},
            "entities": entities,
            "intent_ranking": [{"name": name, "confidence": round(p, 4)}
                               for name, p in ranking[:RANKING_SIZE]],
        }
        if segment:
            add_segments(result, lambda part: self.parse(part, segment=False))
        return result

    def _intent_probabilities(self, index: np.ndarray[Any, Any], values: np.ndarray[Any, Any],
                              language: str, has_text: bool) -> list[tuple[str, float]]:
        labels = self.model.intents.labels
        if not has_text:
            probabilities = np.array([1.0 if label == OUT_OF_SCOPE else 0.0 for label in labels])
        else:
            probabilities = self.model.intents.probabilities(index, values)
            if language not in SUPPORTED and language != UNDETERMINED:
                probabilities = probabilities * _FOREIGN_TRUST
                probabilities[labels.index(OUT_OF_SCOPE)] += 1.0 - _FOREIGN_TRUST
        order = np.argsort(-probabilities, kind="stable")
        return [(labels[i], float(probabilities[i])) for i in order]

    def _category(self, index: np.ndarray[Any, Any],
                  values: np.ndarray[Any, Any]) -> dict[str, Any]:
        probabilities = self.model.categories.probabilities(index, values)
        best = int(probabilities.argmax())
        return {"entity": "category", "value": self.model.categories.labels[best],
                "confidence_entity": round(float(probabilities[best]), 4),
                "extractor": "CategoryClassifier"}

    @staticmethod
    def _entity(found: Found, span: tuple[int, int]) -> dict[str, Any]:
        start, end = span
        return {"entity": found.entity, "start": start, "end": end, "value": found.value,
                "extractor": found.extractor}
