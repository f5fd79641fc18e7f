"""Shared fixtures: one model trained on the real training data per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import Settings
from nlu.loader import train_and_save
from nlu.pipeline import NluPipeline


@pytest.fixture(scope="session")
def linli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LINLI_HOME with a model trained on nlu/data, shared by every test that needs one."""
    return tmp_path_factory.mktemp("linli-home")


@pytest.fixture(scope="session")
def settings(linli_home: Path) -> Settings:
    return Settings(home=linli_home)


@pytest.fixture(scope="session")
def pipeline(settings: Settings) -> NluPipeline:
    return train_and_save(settings.nlu_paths)


@pytest.fixture
def linli_env(linli_home: Path, pipeline: NluPipeline) -> dict[str, str]:
    """Environment for running the ``linli`` command against the session's trained model."""
    return dict(os.environ, LINLI_HOME=str(linli_home))
