"""The project's config files, loaded once per test run: parsing every response and building
the FAQ index costs a third of a second, and tests only read them."""

from __future__ import annotations

import functools
from pathlib import Path

from actions.faq_index import FaqIndex
from actions.responses import Responses

CONFIG = Path(__file__).resolve().parents[1] / "config"


@functools.cache
def responses() -> Responses:
    return Responses.load(CONFIG)


@functools.cache
def faq() -> FaqIndex:
    return FaqIndex.load(CONFIG / "faq.yml")
