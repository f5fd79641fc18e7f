"""Staff notices: each occurrence reaches its audience once, in each reader's language; late
ones are sent within the grace or reported as missed; the author hears how delivery went."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store import notices
from store.database import transaction
from store.models import (
    ChatIdentity,
    Community,
    Notice,
    NoticeRun,
    NoticeStatus,
    OutboxMessage,
    Person,
)
from store.notices import Audience
from store.outbox import mark_failed, mark_sent
from tests.bot.scheduler.conftest import MONDAY, ZONE, World, make_world

SECOND = dt.timedelta(seconds=1)
DUE = MONDAY + dt.timedelta(hours=1)
ZH, EN = "明天9:00-12:00停水，请提前储水。", "No water tomorrow 9:00-12:00, please store some."
BOTH = {"zh": ZH, "en": EN}
#: Grid G2 is buildings 6-10: 周小雨 (7) reads Chinese, Anna (9) English.
G2 = ["周小雨", "Anna Smith"]
EVERY_MONDAY = "0 8 * * mon"


def community(session: Session) -> Community:
    found: Community | None = session.scalar(select(Community))
    assert found is not None
    return found


def create(world: World, *, audience: str = "grid:G2", texts: Mapping[str, str] = BOTH,
           at: dt.datetime | None = DUE, cron: str | None = None,
           confirm_above: int | None = None) -> int:
    """A notice written by 赵敏 now (the world's clock); its id."""
    with transaction(world.sessions) as session:
        notice, _ = notices.create(
            session, community=community(session), author=world.person(session, "赵敏"),
            texts=texts, audience=Audience.parse(audience), at=None if cron else at, cron=cron,
            now=world.clock(), zone=ZONE,
            confirm_above=world.runtime.policy.notices.confirm_above
            if confirm_above is None else confirm_above)
        return notice.id


def sweep(world: World, moment: dt.datetime) -> list[tuple[str, str]]:
    return list(world.sweep(moment, "notice:"))


def to_author(world: World, about: str) -> list[tuple[str, str]]:
    """What the notices' author was told: ``missed`` notices, delivery ``report``s."""
    with world.sessions() as session:
        rows = session.execute(select(Person.name, OutboxMessage.text).join(
            Person, OutboxMessage.person_id == Person.id).where(
            OutboxMessage.dedupe_key.startswith("notice-run:"),
            OutboxMessage.dedupe_key.endswith(f":{about}")).order_by(OutboxMessage.id)).all()
        return [(name, text) for name, text in rows]


def runs(world: World, notice_id: int) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(NoticeRun).where(
            NoticeRun.notice_id == notice_id)) or 0


def stored(world: World, notice_id: int) -> Notice:
    with world.sessions() as session:
        notice = session.get(Notice, notice_id)
        assert notice is not None
        return notice


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(ZONE) if moment else None


# -- who gets it, in which language -------------------------------------------------------------

def test_a_grid_notice_reaches_its_households_each_in_their_language(world: World) -> None:
    create(world)
    assert sweep(world, DUE - SECOND) == []
    sent = dict(sweep(world, DUE))
    assert sorted(sent) == sorted(G2)  # no one from G1 or G3, no staff (they live nowhere)
    assert ZH in sent["周小雨"] and EN not in sent["周小雨"] and "社区通知" in sent["周小雨"]
    assert EN in sent["Anna Smith"] and ZH not in sent["Anna Smith"]
    assert "Community notice" in sent["Anna Smith"]
    create(world, audience="grid:G1", at=DUE + dt.timedelta(hours=1))
    assert sorted(who for who, _ in sweep(world, DUE + dt.timedelta(hours=1))) == [
        "何大妈", "王阿姨"]  # buildings 1 and 3


def test_a_reader_whose_language_is_missing_gets_the_community_default(world: World) -> None:
    create(world, texts={"zh": ZH})
    sent = dict(sweep(world, DUE))
    assert ZH in sent["Anna Smith"] and ZH in sent["周小雨"]


# -- when, and only once -----------------------------------------------------------------------

def test_a_weekly_notice_goes_out_every_monday_at_eight(world: World) -> None:
    notice_id = create(world, cron=EVERY_MONDAY)
    first = dt.datetime(2026, 12, 14, 8, 0, tzinfo=ZONE)
    second = first + dt.timedelta(days=7)
    assert local(stored(world, notice_id).next_run_at) == first
    assert sweep(world, first - SECOND) == []
    assert sorted(who for who, _ in sweep(world, first)) == sorted(G2)
    assert local(stored(world, notice_id).next_run_at) == second
    for between in (first + dt.timedelta(hours=1), first + dt.timedelta(days=3),
                    second - SECOND):
        assert sweep(world, between) == []
    assert sorted(who for who, _ in sweep(world, second)) == sorted(G2)
    assert local(stored(world, notice_id).next_run_at) == second + dt.timedelta(days=7)
    assert stored(world, notice_id).status == NoticeStatus.SCHEDULED
    assert runs(world, notice_id) == 2


def test_a_restart_between_scheduling_and_the_due_time_sends_once(world: World) -> None:
    notice_id = create(world)

    async def restarted(moment: dt.datetime) -> None:
        # A new process: its own jobs and scheduler, the same database.
        again = make_world(world.sessions, start=moment)
        scheduler = again.scheduler(holder=f"after-restart-{moment:%H%M}")
        await scheduler.start()
        try:
            await scheduler.wait_sweeps(2)
        finally:
            await scheduler.stop()

    asyncio.run(restarted(DUE + dt.timedelta(minutes=5)))
    asyncio.run(restarted(DUE + dt.timedelta(minutes=6)))
    assert sorted(who for who, _ in world.outbox("notice:")) == sorted(G2)
    assert runs(world, notice_id) == 1
    assert stored(world, notice_id).status == NoticeStatus.DONE


def test_two_sweeps_of_the_same_moment_send_once(world: World) -> None:
    notice_id = create(world)
    assert len(sweep(world, DUE)) == 2
    assert sweep(world, DUE) == []
    assert make_world(world.sessions, start=DUE).jobs.sweep(DUE)["notices_sent"] == 0
    assert runs(world, notice_id) == 1


def test_a_notice_due_while_linli_was_down_is_sent_within_the_grace(world: World) -> None:
    create(world)
    grace = world.runtime.policy.notices.misfire_grace
    assert sorted(who for who, _ in sweep(world, DUE + grace)) == sorted(G2)
    assert to_author(world, "missed") == []


def test_a_notice_too_late_to_send_is_reported_to_its_author(world: World) -> None:
    notice_id = create(world)
    grace = world.runtime.policy.notices.misfire_grace
    assert sweep(world, DUE + grace + SECOND) == []
    assert [who for who, _ in to_author(world, "missed")] == ["赵敏"]
    assert sweep(world, DUE + grace + dt.timedelta(hours=1)) == []
    assert [who for who, _ in to_author(world, "missed")] == ["赵敏"]  # told once
    assert to_author(world, "report") == []  # nothing was sent: nothing to report
    assert stored(world, notice_id).status == NoticeStatus.DONE


def test_the_missed_notice_message_says_which_notice_and_when(world: World) -> None:
    notice_id = create(world)
    sweep(world, DUE + dt.timedelta(hours=3))
    ((_, text),) = to_author(world, "missed")
    assert f"#{notice_id}" in text and "G2网格" in text and "12-07 11:00" in text


def test_missed_mondays_are_sent_once_when_the_last_is_within_the_grace(world: World) -> None:
    notice_id = create(world, cron=EVERY_MONDAY)
    # Down from Sunday 13 December to Monday 28 December 08:30: three Mondays went by.
    back = dt.datetime(2026, 12, 28, 8, 30, tzinfo=ZONE)
    assert sorted(who for who, _ in sweep(world, back)) == sorted(G2)
    assert to_author(world, "missed") == []
    assert runs(world, notice_id) == 1
    with world.sessions() as session:
        due_at = session.scalar(select(NoticeRun.due_at).where(NoticeRun.notice_id == notice_id))
    assert local(due_at) == dt.datetime(2026, 12, 28, 8, 0, tzinfo=ZONE)
    assert local(stored(world, notice_id).next_run_at) == dt.datetime(2027, 1, 4, 8, 0,
                                                                      tzinfo=ZONE)
    assert sweep(world, back + dt.timedelta(minutes=1)) == []


def test_missed_mondays_beyond_the_grace_are_reported_not_sent(world: World) -> None:
    notice_id = create(world, cron=EVERY_MONDAY)
    back = dt.datetime(2026, 12, 28, 9, 30, tzinfo=ZONE)
    assert sweep(world, back) == []
    assert [who for who, _ in to_author(world, "missed")] == ["赵敏"]
    assert local(stored(world, notice_id).next_run_at) == dt.datetime(2027, 1, 4, 8, 0,
                                                                      tzinfo=ZONE)
    assert sorted(who for who, _ in sweep(world, dt.datetime(2027, 1, 4, 8, 0, tzinfo=ZONE))
                  ) == sorted(G2)  # and the next Monday goes out as usual


def test_a_notice_to_more_people_than_allowed_waits_for_confirmation(world: World) -> None:
    notice_id = create(world, confirm_above=1)
    assert stored(world, notice_id).status == NoticeStatus.AWAITING_CONFIRMATION
    assert sweep(world, DUE) == []
    assert sweep(world, DUE + dt.timedelta(minutes=30)) == []
    confirmed = DUE + dt.timedelta(minutes=40)
    with transaction(world.sessions) as session:
        notice = session.get(Notice, notice_id)
        assert notice is not None
        notices.confirm(notice, confirmed, ZONE)
    assert sorted(who for who, _ in sweep(world, confirmed)) == sorted(G2)
    assert to_author(world, "missed") == []  # confirmed late is not "missed"


def test_a_weekly_notice_confirmed_after_its_first_monday_starts_the_next_monday(
        world: World) -> None:
    notice_id = create(world, cron=EVERY_MONDAY, confirm_above=1)
    first_monday = dt.datetime(2026, 12, 14, 8, 0, tzinfo=ZONE)
    assert sweep(world, first_monday) == []
    confirmed = first_monday + dt.timedelta(days=1)
    with transaction(world.sessions) as session:
        notice = session.get(Notice, notice_id)
        assert notice is not None
        notices.confirm(notice, confirmed, ZONE)
    assert sweep(world, confirmed) == []
    assert to_author(world, "missed") == []  # waiting for a yes is not "Linli was down"
    assert sorted(who for who, _ in sweep(world, first_monday + dt.timedelta(days=7))
                  ) == sorted(G2)


def test_a_cancelled_notice_is_never_sent(world: World) -> None:
    notice_id = create(world, cron=EVERY_MONDAY)
    with transaction(world.sessions) as session:
        notice = session.get(Notice, notice_id)
        assert notice is not None
        notices.cancel(notice, MONDAY + dt.timedelta(minutes=5))
    for moment in (dt.datetime(2026, 12, 14, 8, 0, tzinfo=ZONE),
                   dt.datetime(2026, 12, 21, 8, 0, tzinfo=ZONE)):
        assert sweep(world, moment) == []
    assert runs(world, notice_id) == 0 and world.outbox("notice-run:") == []


def test_a_notice_to_the_groups_is_posted_once_in_both_languages(world: World) -> None:
    with transaction(world.sessions) as session:
        community_id = community(session).id
        notices.register_group(session, community_id, "telegram", "-1001", "和平里居民群",
                               MONDAY)
        notices.register_group(session, community_id, "telegram", "-1002", "已退出的群",
                               MONDAY, active=False)
    create(world, audience="groups")
    sweep(world, DUE)
    sweep(world, DUE + SECOND)
    with world.sessions() as session:
        rows = session.execute(select(
            OutboxMessage.person_id, OutboxMessage.channel, OutboxMessage.chat_id,
            OutboxMessage.text).where(OutboxMessage.dedupe_key.startswith("notice:"))).all()
    assert len(rows) == 1  # the active group only, and no person
    person_id, channel, chat_id, text = rows[0]
    assert (person_id, channel, chat_id) == (None, "telegram", "-1001")
    assert ZH in text and EN in text and text.index(ZH) < text.index(EN)  # the default first


# -- the delivery report -----------------------------------------------------------------------

def prepare_reach(world: World) -> None:
    """Four residents on Telegram (pushed); 何大妈 can no longer be reached; the rest use the
    web chat, which delivers when they next write."""
    with transaction(world.sessions) as session:
        for name in ("王阿姨", "李叔叔", "周小雨", "Anna Smith"):
            person = world.person(session, name)
            session.add(ChatIdentity(person_id=person.id, channel="telegram",
                                     external_id=f"tg-{person.id}"))
        world.person(session, "何大妈").unreachable = True


def settle(world: World, at: dt.datetime, *, sent: list[str], failed: list[str]) -> None:
    """What the delivery worker would record for these people's notice messages."""
    with transaction(world.sessions) as session:
        for row, name in session.execute(select(OutboxMessage, Person.name).join(
                Person, OutboxMessage.person_id == Person.id).where(
                OutboxMessage.dedupe_key.startswith("notice:"))).all():
            if name in sent:
                mark_sent(row, at)
            elif name in failed:
                mark_failed(row, at, "Bad Request: message is too long", permanent=True)


def test_the_report_waits_for_pushes_then_gives_up_waiting(world: World) -> None:
    prepare_reach(world)
    notice_id = create(world, audience="all")
    assert len(sweep(world, DUE)) == 14  # everyone in the community
    settle(world, DUE + dt.timedelta(minutes=1), sent=["王阿姨", "周小雨"], failed=["李叔叔"])
    report_after = world.runtime.policy.notices.report_after
    for moment in (DUE + dt.timedelta(minutes=2), DUE + report_after - SECOND):
        sweep(world, moment)
        assert to_author(world, "report") == []  # Anna's message is still being tried
    sweep(world, DUE + report_after)
    ((author, text),) = to_author(world, "report")
    assert author == "赵敏"
    assert text == (f"📬 通知 #{notice_id} 送达情况（全体居民）：已送达 2，失败 1，联系不上 1，"
                    "等居民打开网页聊天时送达 9。还有 1 条在重试。")
    sweep(world, DUE + report_after + dt.timedelta(hours=1))
    assert len(to_author(world, "report")) == 1


def test_the_report_comes_as_soon_as_every_push_has_settled(world: World) -> None:
    prepare_reach(world)
    notice_id = create(world, audience="all")
    sweep(world, DUE)
    settle(world, DUE + dt.timedelta(minutes=1), sent=["王阿姨", "周小雨", "Anna Smith"],
           failed=["李叔叔"])
    sweep(world, DUE + dt.timedelta(minutes=2))
    assert to_author(world, "report") == [
        ("赵敏", f"📬 通知 #{notice_id} 送达情况（全体居民）：已送达 3，失败 1，联系不上 1，"
                 "等居民打开网页聊天时送达 9。")]
