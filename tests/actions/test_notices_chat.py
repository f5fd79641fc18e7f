"""/broadcast from the chat: it says who the readers are (the console's preview), and warns when
quiet hours will hold the notice back; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService
from tests.bot.test_dialogues import converse, talker

NIGHT = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)  # 23:00 in Beijing


def broadcast(service: ConversationService, to: str, when: str) -> str:
    staff = talker(service, "zhao_min")
    converse(staff, [("/broadcast", ["发给谁"]), (to, ["什么时候发"]), (when, ["中文内容"]),
                     ("明天上午9点到12点停水，请提前储水", ["英文内容"])])
    return "\n".join(staff("Water off tomorrow 9 to 12, please store some."))


def test_a_notice_sent_now_at_night_is_said_to_wait_for_the_morning(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    current_runtime().clock = lambda: NIGHT
    said = broadcast(service, "第二网格", "现在")
    assert "通知 #1 已安排" in said
    assert "免打扰时段（22:00–07:00）" in said and "要到 07:00 才会推送" in said
    # grid G2: 周小雨 (building 7) and Anna (building 9), one reading Chinese, one English
    assert "收件人：居民 2；G2 2；英文 1 · 中文 1" in said


def test_a_notice_for_the_early_morning_is_warned_about_too(
        service: ConversationService) -> None:
    said = broadcast(service, "英文", "明天早上6点")
    assert "要到 07:00 才会推送" in said


def test_staff_see_that_everyone_includes_the_community_workers(
        service: ConversationService) -> None:
    said = broadcast(service, "全体", "现在")
    # the demo's 6 residents and its 8 workers (grid members, supervisor, street, staff)
    assert "收件人：居民 6 · 社区工作人员 8；G1 2 · G2 2 · G3 2 · 未登记住址 8" in said


def test_a_notice_in_the_day_goes_without_a_warning(service: ConversationService) -> None:
    said = broadcast(service, "3号楼", "现在")
    assert "通知 #1 已安排" in said and "免打扰" not in said
    assert "收件人：居民 1；G1 1；中文 1" in said
