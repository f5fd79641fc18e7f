"""An event's place in each reader's language: {zh, en} in the community file, an old single
string still accepted, and places stored "中文 / English" split by the migration."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic import command
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from store.community import CommunityFileError, import_community, parse_community, split_place
from store.database import transaction
from store.migrate import alembic_config, upgrade
from store.models import Base, Event

DEMO = Path(__file__).resolve().parents[2] / "config" / "community.demo.yml"
TODAY = dt.date(2026, 12, 7)


def demo_with_place(place: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    document["events"] = [dict(document["events"][0], place=place)]
    return document


def imported_place(sessions: sessionmaker[Session], place: Any) -> tuple[str, str, str | None]:
    with transaction(sessions) as session:
        import_community(session, parse_community(demo_with_place(place)), today=TODAY)
    with sessions() as session:
        event = session.scalars(select(Event)).one()
        return event.place_in("zh"), event.place_in("en"), event.place_en


@pytest.mark.parametrize(("place", "zh", "en"), [
    ({"zh": "1号楼活动室", "en": "Activity room, Building 1"}, "1号楼活动室",
     "Activity room, Building 1"),
    ("1号楼活动室 / Activity room, Building 1", "1号楼活动室", "Activity room, Building 1"),
    ("Central garden / 中心花园", "中心花园", "Central garden"),
    ("社区卫生服务站", "社区卫生服务站", "社区卫生服务站"),
    ({"zh": "中心花园"}, "中心花园", "中心花园"),
    ({"en": "Central garden"}, "Central garden", "Central garden"),
    ("A/B block 3 / the shed", "A/B block 3 / the shed", "A/B block 3 / the shed"),
])
def test_each_reader_gets_the_place_in_their_language(
        sessions: sessionmaker[Session], place: Any, zh: str, en: str) -> None:
    assert imported_place(sessions, place)[:2] == (zh, en)


def test_a_reimport_corrects_the_place_of_an_event_already_there(
        sessions: sessionmaker[Session]) -> None:
    imported_place(sessions, "1号楼活动室 / Activity room, Building 1")
    assert imported_place(sessions, {"zh": "2号楼活动室", "en": "Activity room, Building 2"}) \
        == ("2号楼活动室", "Activity room, Building 2", "Activity room, Building 2")
    with sessions() as session:
        assert len(session.scalars(select(Event)).all()) == 1


@pytest.mark.parametrize("place", [{"fr": "Jardin"}, {}, {"zh": "", "en": ""}])
def test_a_place_in_no_known_language_is_refused(place: Any) -> None:
    with pytest.raises(CommunityFileError, match="place"):
        parse_community(demo_with_place(place))


def test_the_demo_names_every_place_in_both_languages() -> None:
    spec = parse_community(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    for event in spec.events:
        zh, en = split_place(event.place)
        assert en and "/" not in zh and "/" not in en


def test_the_migration_splits_places_written_both_ways(engine: Engine) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    communities, events = Base.metadata.tables["community"], Base.metadata.tables["event"]
    with engine.begin() as connection:
        community = connection.execute(insert(communities).values(
            code="t", name="t", timezone="Asia/Shanghai", default_language="zh")
            .returning(communities.c.id)).scalar_one()
        for key, place in (("a", "1号楼活动室 / Activity room, Building 1"), ("b", "中心花园")):
            connection.execute(insert(events).values(
                community_id=community, key=key, title_zh=key, title_en=key, place=place,
                starts_at=dt.datetime(2026, 12, 10, 7, tzinfo=dt.UTC), capacity=5,
                cancelled=False))
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(select(events.c.key, events.c.place, events.c.place_en)
                                  .order_by(events.c.key)).all()
    assert [tuple(row) for row in rows] == [("a", "1号楼活动室", "Activity room, Building 1"),
                                            ("b", "中心花园", None)]
