"""The training data itself: format, coverage, and no leak into the test split."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from nlu.trainingdata import Span, TrainingData, TrainingDataError, load, parse_example

DATA = Path(__file__).resolve().parents[2] / "nlu" / "data"
HAN = re.compile(r"[\u4e00-\u9fff]")
BIG = ("report_repair", "file_complaint", "report_emergency")


@pytest.fixture(scope="module")
def training() -> TrainingData:
    return load(DATA)


def test_parse_example_with_json_and_short_annotations() -> None:
    text, spans = parse_example('[三号楼]{"entity": "building", "value": "3"}的[电梯](thing)坏了')
    assert text == "三号楼的电梯坏了"
    assert spans == (Span("building", 0, 3, "3"), Span("thing", 4, 6, "电梯"))


def test_bad_files_are_reported_with_their_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    hi\n')
    with pytest.raises(TrainingDataError, match=r"bad\.yml"):
        load(bad)


def test_every_intent_has_enough_examples_per_language(training: TrainingData) -> None:
    counts = Counter((e.intent, "zh" if HAN.search(e.text) else "en")
                     for e in training.examples)
    intents = {e.intent for e in training.examples}
    assert len(intents) == 20
    for intent in intents:
        needed = 80 if intent in BIG else 40
        assert counts[(intent, "zh")] >= needed, intent
        assert counts[(intent, "en")] >= needed, intent


def test_reports_cover_every_category(training: TrainingData) -> None:
    categories = {e.category for e in training.examples if e.intent in BIG}
    assert categories >= {"water", "electricity", "elevator", "gas", "lighting", "door_access",
                          "drainage", "sanitation", "noise", "parking", "greenery", "pests",
                          "pets", "security", "property_service", "construction",
                          "facilities", "fire", "medical", "other"}


def test_no_test_example_is_trained_on(training: TrainingData) -> None:
    trained = {e.text.strip().lower() for e in training.examples}
    trained |= {item.strip().lower() for items in training.lookups.values() for item in items}
    leaked = [e.text for e in load(DATA / "test").examples if e.text.strip().lower() in trained]
    assert leaked == []


def test_location_annotations_are_normalised(training: TrainingData) -> None:
    for example in training.examples:
        for span in example.spans:
            if span.entity in ("building", "unit", "room"):
                assert span.value.isdigit(), (example.text, span)
