"""A notice's audience preview and dry run (store/notices.py) on SQLite and PostgreSQL: the
people previewed are exactly the people the scheduler then writes the notice to; quiet hours
and the confirmation threshold are judged as ``create`` and the delivery worker judge them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import Runtime
from bot.scheduler.jobs import Jobs
from store import notices
from store.calendar import QuietHours
from store.database import transaction
from store.models import (
    ChatIdentity,
    Community,
    NoticeStatus,
    OutboxMessage,
    Person,
    PersonRole,
    Role,
)
from store.notices import Audience, NoticeError
from tests import demo

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)  # 09:30 in Beijing
QUIET = QuietHours(ZONE)  # 22:00–07:00


@pytest.fixture
def community(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo community, plus a web-chat resident with no home and one nobody can reach."""
    demo.load_community(sessions, NOW.date())
    with transaction(sessions) as session:
        home = session.scalar(select(Community))
        assert home is not None
        walk_in = Person(community_id=home.id, name="居民#99", language="en",
                         roles=[PersonRole(role=Role.RESIDENT)])
        gone = session.scalar(select(Person).where(Person.name == "周小雨"))
        assert gone is not None
        gone.unreachable = True
        session.add(walk_in)
        session.flush()
        session.add(ChatIdentity(person_id=walk_in.id, channel="webchat", external_id="w-99"))
        notices.register_group(session, home.id, "telegram", "-1001", "和平里居民群", NOW)
    return sessions


def home(session: Session) -> Community:
    found: Community | None = session.scalar(select(Community))
    assert found is not None
    return found


@pytest.mark.parametrize("spec", ["all", "grid:G2", "building:9", "language:en", "groups"])
def test_the_preview_is_who_then_receives_it(community: sessionmaker[Session],
                                            spec: str) -> None:
    with transaction(community) as session:
        preview = notices.preview(session, home(session), Audience.parse(spec))
        _, reach = notices.create(
            session, community=home(session), author=None, texts={"zh": "明天停水"},
            audience=Audience.parse(spec), at=None, cron=None, now=NOW, zone=ZONE,
            confirm_above=1000)
    assert reach == len(preview) > 0
    runtime = Runtime(sessions=community, responses=demo.responses(), timezone=ZONE,
                      clock=lambda: NOW)
    Jobs(runtime).notices(NOW)
    with community() as session:
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.batch.like("notice:%"))).all()
    assert sorted(r.person_id for r in rows if r.person_id is not None) == sorted(
        reader.person_id for reader in preview.people)
    assert sorted(r.chat_id for r in rows if r.person_id is None) == [
        "-1001" for _ in preview.groups]
    # those the preview says cannot be reached are the rows failed at once as unreachable
    assert sum(r.last_error == "no way to reach this person" for r in rows) == \
        preview.unreachable


def test_the_preview_says_where_they_live_and_what_they_read(
        community: sessionmaker[Session]) -> None:
    with community() as session:
        everyone = notices.preview(session, home(session), Audience("all"))
        english = notices.preview(session, home(session), Audience("language", "en"))
    readers = {r.name: r for r in everyone.people}
    assert (readers["Anna Smith"].grid, readers["Anna Smith"].building) == ("G2", "9")
    assert readers["Anna Smith"].language == "en" and readers["王阿姨"].language == "zh"
    assert readers["居民#99"].grid is None and readers["居民#99"].channel == "webchat"
    assert readers["周小雨"].channel is None and everyone.unreachable == 1
    # six demo residents and the walk-in; the eight who work for the community are told apart
    assert everyone.residents == 7 and not readers["赵敏"].resident
    assert sum(everyone.by_grid.values()) == len(everyone.people) == len(everyone)
    assert everyone.by_grid[""] == 9  # staff, grid members and the walk-in have no home
    assert list(everyone.by_building.items()) == [("1", 1), ("3", 1), ("7", 1), ("9", 1),
                                                  ("12", 1), ("14", 1), ("", 9)]
    assert list(everyone.by_grid) == ["G1", "G2", "G3", ""]
    assert [r.name for r in english.people] == ["Anna Smith", "Raj Patel", "居民#99"]
    assert english.as_dict()["by_language"] == {"en": 3}
    assert english.as_dict()["count"] == 3


def test_a_grid_or_building_that_is_not_there_is_refused(
        community: sessionmaker[Session]) -> None:
    with community() as session, pytest.raises(NoticeError):
        notices.preview(session, home(session), Audience("building", "99"))


def test_quiet_hours_hold_a_notice_until_morning() -> None:
    night = dt.datetime(2026, 11, 21, 23, 30, tzinfo=ZONE)
    assert notices.held_until(QUIET, night) == dt.datetime(2026, 11, 22, 7, 0, tzinfo=ZONE)
    early = dt.datetime(2026, 11, 22, 6, 0, tzinfo=ZONE)
    assert notices.held_until(QUIET, early) == dt.datetime(2026, 11, 22, 7, 0, tzinfo=ZONE)
    assert notices.held_until(QUIET, dt.datetime(2026, 11, 22, 9, 0, tzinfo=ZONE)) is None


def test_the_dry_run_follows_the_rules_of_create(community: sessionmaker[Session]) -> None:
    night = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)  # 23:00 in Beijing
    with transaction(community) as session:
        plan = notices.plan(session, community=home(session), audience=Audience("grid", "G1"),
                            at=None, cron=None, now=night, zone=ZONE, quiet=QUIET,
                            confirm_above=1)
        notice, reach = notices.create(
            session, community=home(session), author=None, texts={"zh": "停电通知"},
            audience=Audience("grid", "G1"), at=None, cron=None, now=night, zone=ZONE,
            confirm_above=1)
        weekly = notices.plan(session, community=home(session), audience=Audience("all"),
                              at=None, cron="0 8 * * mon", now=night, zone=ZONE, quiet=QUIET,
                              confirm_above=100)
    assert plan.first_run == night == notice.next_run_at
    assert plan.held_until == dt.datetime(2026, 11, 22, 7, 0, tzinfo=ZONE)
    assert len(plan.audience) == reach == 2  # 王阿姨 (3) and 何大妈 (1)
    assert plan.needs_confirmation and notice.status == NoticeStatus.AWAITING_CONFIRMATION
    assert weekly.first_run == dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)
    assert weekly.held_until is None and not weekly.needs_confirmation
    answer = plan.as_dict()
    assert answer["held_until"] == "2026-11-22T07:00:00+08:00"
    assert answer["audience"]["count"] == 2 and answer["needs_confirmation"]
    with community() as session, pytest.raises(NoticeError):
        notices.plan(session, community=home(session), audience=Audience("all"),
                     at=night - dt.timedelta(hours=2), cron=None, now=night, zone=ZONE,
                     quiet=QUIET, confirm_above=1)
