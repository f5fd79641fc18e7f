"""The demo community and the project's config as tests use them: the config files are loaded
once per run (parsing every response and building the FAQ index costs a third of a second, and
tests only read them), the community into each test's database."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session, sessionmaker

from actions.faq_index import FaqIndex
from actions.responses import Responses
from store.community import import_community, parse_community
from store.database import transaction
from tests import snapshots

CONFIG = Path(__file__).resolve().parents[1] / "config"


@functools.cache
def responses() -> Responses:
    return Responses.load(CONFIG)


@functools.cache
def faq() -> FaqIndex:
    return FaqIndex.load(CONFIG / "faq.yml")


@functools.cache
def _community_document() -> Any:
    """config/community.demo.yml as YAML read it (a seventh of a load's time): validating it
    each time makes a new CommunityFile, so no test shares one with another."""
    return yaml.safe_load((CONFIG / "community.demo.yml").read_text(encoding="utf-8"))


def load_community(sessions: sessionmaker[Session], today: dt.date | None = None) -> None:
    """config/community.demo.yml into the database, its events dated from ``today`` (the
    community's today by default): a copy of the rows the run's first import made."""
    document = _community_document()
    day = today or dt.datetime.now(ZoneInfo(document["community"]["timezone"])).date()

    def load(into: sessionmaker[Session]) -> None:
        with transaction(into) as session:
            import_community(session, parse_community(document), today=day)

    snapshots.load(sessions, ("community", day), load)


class Clock:
    """A clock the test sets and moves."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now
