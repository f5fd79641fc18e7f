"""The demo community and the project's config as tests use them: the config files are loaded
once per run (parsing every response and building the FAQ index costs a third of a second, and
tests only read them), the community into each test's database."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from actions.faq_index import FaqIndex
from actions.responses import Responses
from store.community import import_community, parse_community
from store.database import transaction

CONFIG = Path(__file__).resolve().parents[1] / "config"


@functools.cache
def responses() -> Responses:
    return Responses.load(CONFIG)


@functools.cache
def faq() -> FaqIndex:
    return FaqIndex.load(CONFIG / "faq.yml")


def load_community(sessions: sessionmaker[Session], today: dt.date | None = None) -> None:
    """config/community.demo.yml into the database, its events dated from ``today``."""
    with transaction(sessions) as session:
        import_community(session, parse_community(
            yaml.safe_load((CONFIG / "community.demo.yml").read_text(encoding="utf-8"))),
            **({"today": today} if today else {}))


class Clock:
    """A clock the test sets and moves."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now
