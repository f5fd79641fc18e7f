"""Staff notices from the chat: /broadcast to a grid every Monday in two languages, the
residents' copies, the delivery report, /notices and cancelling; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService
from bot.scheduler.jobs import Jobs
from store.models import Notice, NoticeStatus, OutboxMessage, Person
from tests.bot.test_dialogues import converse, service, talker  # noqa: F401 — fixtures

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY_8 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)  # the first Monday after NOW


def copies(sessions: sessionmaker[Session]) -> dict[str, str]:
    """The notice as each resident received it."""
    with sessions() as session:
        rows = session.execute(select(Person.name, OutboxMessage.text).join(
            Person, OutboxMessage.person_id == Person.id).where(
            OutboxMessage.dedupe_key.like("notice:%"))).all()
    return {name: text for name, text in rows}


def test_staff_schedule_a_weekly_bilingual_notice_to_one_grid_and_get_a_report(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:  # noqa: F811
    staff = talker(service, "zhao_min")
    converse(staff, [
        ("/broadcast", ["发给谁"]),
        ("第二网格", ["什么时候发"]),
        ("每周一早上8点", ["中文内容"]),
        ("周一早上8点前请把可回收垃圾放到楼下回收点，谢谢配合！", ["英文内容"]),
        ("Please put recyclables at the collection point before 8am on Mondays. Thanks!",
         ["通知 #1 已安排", "G2网格", "每周一 08:00"]),
        ("/notices", ["#1", "G2网格", "每周一 08:00", "可回收垃圾"]),
    ])
    jobs = Jobs(current_runtime())
    jobs.sweep(MONDAY_8 - dt.timedelta(seconds=1))
    assert copies(sessions) == {}
    jobs.sweep(MONDAY_8)
    received = copies(sessions)
    assert "Please put recyclables" in received["Anna Smith"]  # building 9, reads English
    assert "可回收垃圾" in received["周小雨"]  # building 7
    assert "王阿姨" not in received  # building 3 is in grid G1
    converse(staff, [("好的", ["通知 #1 送达情况", f"等居民打开网页聊天时送达 {len(received)}"])])

    jobs.sweep(MONDAY_8 + dt.timedelta(days=7))
    with sessions() as session:
        assert session.scalar(select(Notice.next_run_at)) == \
            MONDAY_8 + dt.timedelta(days=14)
    converse(staff, [
        ("/notice_cancel 1", ["通知 #1 已取消"]),
        ("/notices", ["没有待发的通知"]),
    ])
    with sessions() as session:
        assert session.scalar(select(Notice.status)) == NoticeStatus.CANCELLED


def test_a_large_audience_is_confirmed_before_anything_goes_out(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:  # noqa: F811
    current_runtime().policy = current_runtime().policy.model_copy(
        update={"notices": current_runtime().policy.notices.model_copy(
            update={"confirm_above": 3})})
    staff = talker(service, "zhao_min")
    converse(staff, [
        ("/broadcast", ["发给谁"]),
        ("全体", ["什么时候发"]),
        ("现在", ["中文内容"]),
        ("明天上午9点到12点停水，请提前储水", ["英文内容"]),
        ("跳过", ["确定发送吗", "停水"]),
    ])
    Jobs(current_runtime()).sweep(dt.datetime.now(dt.UTC))
    assert copies(sessions) == {}
    converse(staff, [('/notice_confirm{"notice": "1"}', ["通知 #1 已安排"])])
    Jobs(current_runtime()).sweep(dt.datetime(2026, 11, 21, 1, 31, tzinfo=dt.UTC))
    received = copies(sessions)
    assert "明天上午9点到12点停水" in received["Anna Smith"]  # no English text: the default


def test_residents_cannot_broadcast_and_an_unclear_answer_is_asked_again(
        service: ConversationService) -> None:  # noqa: F811
    converse(talker(service, "wang_aiyi"), [
        ("/broadcast", ["没有做这件事的权限"]),
        ("你好", ["邻里小助手"]),
    ])
    converse(talker(service, "zhao_min"), [
        ("/broadcast", ["发给谁"]),
        ("隔壁老王家", ["没看懂要发给谁"]),
        ("3号楼", ["什么时候发"]),
        ("下辈子吧", ["这个时间我没看懂"]),
        ("明天早上8点", ["中文内容"]),
        ("取消", ["取消"]),
        ("/notices", ["没有待发的通知"]),
    ])
