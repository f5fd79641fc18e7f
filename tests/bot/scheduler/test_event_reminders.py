"""Reminders before a community event: 24 h and 1 h before, to the confirmed only, each in
their own language, once; a reminder whose moment passed while Linli was down is skipped."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from store import events
from store.database import transaction
from store.models import Community, Event, EventSignup, SignupStatus
from tests.bot.scheduler.conftest import ZONE, World

SECOND = dt.timedelta(seconds=1)
#: Thursday 10 December 2026, 15:00.
STARTS = dt.datetime(2026, 12, 10, 15, 0, tzinfo=ZONE)
DAY_BEFORE, HOUR_BEFORE = STARTS - dt.timedelta(hours=24), STARTS - dt.timedelta(hours=1)
SIGNUPS = {"王阿姨": SignupStatus.CONFIRMED, "Anna Smith": SignupStatus.CONFIRMED,
           "李叔叔": SignupStatus.WAITLISTED, "周小雨": SignupStatus.CANCELLED}
CONFIRMED = ["Anna Smith", "王阿姨"]  # sorted


def calligraphy_class(world: World, *, cancelled: bool = False) -> int:
    """Two places, both taken; 李叔叔 waits, 周小雨 gave hers up."""
    with transaction(world.sessions) as session:
        community = session.scalar(select(Community))
        assert community is not None
        event = Event(community_id=community.id, key="calligraphy", title_zh="书法兴趣班",
                      title_en="Calligraphy class", place="2号楼活动室", starts_at=STARTS,
                      capacity=2, cancelled=cancelled)
        session.add(event)
        session.flush()
        for minutes, (name, status) in enumerate(SIGNUPS.items()):
            signed = STARTS - dt.timedelta(days=5) + dt.timedelta(minutes=minutes)
            session.add(EventSignup(event_id=event.id, person_id=world.person(session, name).id,
                                    status=status, created_at=signed, updated_at=signed))
        return event.id


def sweep(world: World, moment: dt.datetime) -> list[tuple[str, str]]:
    return list(world.sweep(moment, "event:"))


def test_a_day_and_an_hour_before_to_the_confirmed_in_their_language(world: World) -> None:
    calligraphy_class(world)
    assert sweep(world, DAY_BEFORE - SECOND) == []
    day = dict(sweep(world, DAY_BEFORE))
    assert sorted(day) == CONFIRMED
    chinese, english = day["王阿姨"], day["Anna Smith"]
    assert "书法兴趣班" in chinese and "明天这个时候" in chinese and "2号楼活动室" in chinese
    assert "Calligraphy class" in english and "this time tomorrow" in english
    assert "书法" not in english
    assert sweep(world, DAY_BEFORE) == []  # the same moment again
    assert sweep(world, STARTS - dt.timedelta(hours=3)) == []
    assert sweep(world, HOUR_BEFORE - SECOND) == []
    hour = dict(sweep(world, HOUR_BEFORE))
    assert sorted(hour) == CONFIRMED
    assert "1小时后" in hour["王阿姨"] and "in an hour" in hour["Anna Smith"]
    for later in (HOUR_BEFORE, STARTS - dt.timedelta(minutes=30), STARTS,
                  STARTS + dt.timedelta(hours=2)):
        assert sweep(world, later) == []


def test_after_an_outage_only_the_reminder_still_ahead_is_sent(world: World) -> None:
    calligraphy_class(world)
    # Linli was down from before the 24 h mark until half an hour before the start.
    late = sweep(world, STARTS - dt.timedelta(minutes=30))
    assert sorted(who for who, _ in late) == CONFIRMED  # one each: no late 24 h reminder
    # It says how soon it really is.
    assert "30分钟后" in dict(late)["王阿姨"] and "in 30 minutes" in dict(late)["Anna Smith"]
    assert not any("明天" in text or "tomorrow" in text for _, text in late)
    assert sweep(world, STARTS - dt.timedelta(minutes=29)) == []


def test_a_cancelled_event_sends_no_reminders(world: World) -> None:
    calligraphy_class(world, cancelled=True)
    for moment in (DAY_BEFORE, HOUR_BEFORE, STARTS - dt.timedelta(minutes=1)):
        assert sweep(world, moment) == []


def test_whoever_is_promoted_from_the_waitlist_gets_the_next_reminder(world: World) -> None:
    event_id = calligraphy_class(world)
    assert sorted(who for who, _ in sweep(world, DAY_BEFORE)) == CONFIRMED
    with transaction(world.sessions) as session:
        mine = session.scalar(select(EventSignup).where(
            EventSignup.event_id == event_id,
            EventSignup.person_id == world.person(session, "王阿姨").id))
        assert mine is not None
        promoted = events.cancel(session, mine, STARTS - dt.timedelta(hours=5))
        assert [world.person(session, "李叔叔").id] == [s.person_id for s in promoted]
    hour = dict(sweep(world, HOUR_BEFORE))
    assert sorted(hour) == ["Anna Smith", "李叔叔"]  # not 王阿姨, who cancelled; not 周小雨
    assert "1小时后" in hour["李叔叔"] and "书法兴趣班" in hour["李叔叔"]
