"""The bars the NLU must clear on the held-out test split (never trained on)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nlu.evaluation import evaluate
from nlu.pipeline import NluPipeline
from nlu.trainingdata import load

TEST_SPLIT = Path(__file__).resolve().parents[2] / "nlu" / "data" / "test"


@pytest.fixture(scope="module")
def report(pipeline: NluPipeline) -> dict[str, Any]:
    return evaluate(pipeline.parse, load(TEST_SPLIT).examples)


def test_intent_macro_f1(report: dict[str, Any]) -> None:
    assert report["intent"]["macro_f1"] >= 0.95, report["intent"]["errors"]


def test_language_accuracy_is_perfect(report: dict[str, Any]) -> None:
    assert report["language"]["accuracy"] == 1.0


def test_category_accuracy(report: dict[str, Any]) -> None:
    assert report["category"]["accuracy"] >= 0.90


def test_building_unit_room_exact_match(report: dict[str, Any]) -> None:
    assert report["location_exact_match"]["accuracy"] >= 0.95


def test_every_intent_is_scored(report: dict[str, Any]) -> None:
    assert report["intent"]["per_intent"]["report_emergency"]["support"] >= 40
    assert len(report["intent"]["per_intent"]) == 20
