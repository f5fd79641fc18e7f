"""Saving and loading models: arrays and JSON only, stale models are noticed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from nlu.loader import NluPaths, ensure_pipeline, is_stale
from nlu.model import MODEL_FILE, NluModel
from nlu.pipeline import NluPipeline

DATA = Path(__file__).resolve().parents[2] / "nlu" / "data"


def test_round_trip_parses_identically(pipeline: NluPipeline, tmp_path: Path) -> None:
    pipeline.model.save(tmp_path)
    again = NluPipeline(NluModel.load(tmp_path), pipeline.featurizer)
    for said in ("3栋电梯坏了", "hello", "算我一个", "Building 4 apt 1202 no water",
                 "附近哪家火锅店好吃", "which tyres last longest"):  # novelty features count
        assert again.parse(said) == pipeline.parse(said)


def test_round_trip_keeps_the_out_of_scope_decision(pipeline: NluPipeline,
                                                     tmp_path: Path) -> None:
    pipeline.model.save(tmp_path)
    again = NluModel.load(tmp_path)
    assert again.known_words == pipeline.model.known_words and again.known_words
    # 0.0 is a measured choice (nlu/training.py), so check the value was written, not defaulted
    assert "out_of_scope_threshold" in again.meta
    assert again.out_of_scope_threshold == pipeline.model.out_of_scope_threshold


def test_a_model_file_holding_objects_is_refused(pipeline: NluPipeline, tmp_path: Path) -> None:
    pipeline.model.save(tmp_path)
    arrays = dict(np.load(tmp_path / MODEL_FILE, allow_pickle=False))
    arrays["idf"] = np.array([object()], dtype=object)  # would need pickle to load
    np.savez(tmp_path / MODEL_FILE, **arrays)
    with pytest.raises(ValueError, match="pickle"):
        NluModel.load(tmp_path)


def test_changed_training_data_makes_the_model_stale(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("smalltalk.yml", "out_of_scope_chitchat.yml", "out_of_scope_weather.yml"):
        shutil.copy(DATA / name, data / name)
    paths = NluPaths(data=data, model=tmp_path / "model", cache=tmp_path / "cache")
    assert is_stale(paths)
    first = ensure_pipeline(paths)
    assert not is_stale(paths)
    assert first.parse("hello")["intent"]["name"] == "greet"
    assert first.parse("明天要带伞吗")["intent"]["name"] == "out_of_scope"
    with (data / "smalltalk.yml").open("a", encoding="utf-8") as f:
        f.write("- intent: greet\n  examples: |\n    - 早上好呀各位邻居\n")
    assert is_stale(paths)
    ensure_pipeline(paths)
    assert not is_stale(paths)
