"""The issue's finish line, in Telegram: a staff member schedules a weekly bilingual notice to
one grid from their chat with the bot, residents get it in their language on Monday morning,
and the staff member gets the delivery report."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import current as current_runtime
from bot.scheduler.jobs import Jobs
from bot.telegram import TelegramChannel
from store.database import transaction
from store.models import ChatGroup, Community
from store.notices import Audience, create
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.telegram.emulator import Emulator
from tests.telegram.test_telegram import (  # noqa: F401 — fixtures
    ManualClock,
    deliver_rounds,
    emulator,
    on_telegram,
    telegram,
    texts,
)

STAFF, ANNA = 5001, 5002
MONDAY_8 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
def test_staff_broadcast_from_the_staff_chat(
        telegram: TelegramChannel, emulator: Emulator,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    on_telegram(sessions, {"赵敏": STAFF, "Anna Smith": ANNA})

    emulator.user_says(STAFF, "/broadcast", entities=[
        {"type": "bot_command", "offset": 0, "length": 10}])
    question = emulator.wait_for(lambda: [s for s in emulator.to(STAFF) if "发给谁" in s.text])[0]
    grid = next(key for row in question.reply_markup["inline_keyboard"] for key in row
                if key["text"] == "G2网格")
    emulator.user_presses(STAFF, grid["callback_data"], question)
    emulator.wait_for(lambda: "什么时候发" in texts(emulator, STAFF))
    for said, asked in (("每周一早上8点", "中文内容"),
                        ("周一早上8点前请把可回收垃圾放到楼下回收点", "英文内容"),
                        ("Please put recyclables out before 8am on Mondays", "已安排")):
        emulator.user_says(STAFF, said)
        emulator.wait_for(lambda asked=asked: asked in texts(emulator, STAFF))
    assert "每周一 08:00" in texts(emulator, STAFF)

    Jobs(current_runtime()).sweep(MONDAY_8)
    clock = ManualClock()
    clock.now = MONDAY_8
    deliver_rounds(emulator, sessions, clock, [0])
    assert "Please put recyclables out before 8am" in texts(emulator, ANNA)
    assert "可回收垃圾" not in texts(emulator, ANNA)

    Jobs(current_runtime()).sweep(MONDAY_8 + dt.timedelta(seconds=5))  # the run has settled
    deliver_rounds(emulator, sessions, clock, [5])
    report = emulator.wait_for(lambda: [s.text for s in emulator.to(STAFF) if "📬" in s.text])
    # Anna on Telegram; 周小雨 (building 7) only uses the web chat and gets it there.
    assert "已送达 1，失败 0，联系不上 0，等居民打开网页聊天时送达 1" in report[0]
    # Monday 08:00 is also the staff's daily digest, with its chart uploaded as a photo.
    assert "工单日报" in texts(emulator, STAFF)
    assert any(sent.method == "sendPhoto" for sent in emulator.to(STAFF))
    assert emulator.uploads and emulator.uploads[0].startswith(b"\x89PNG")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_notice_to_the_groups_reaches_the_group_the_bot_is_in(
        telegram: TelegramChannel, emulator: Emulator,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    group = -100777
    emulator.user_says(4001, "大家早上好", chat_id=group, chat_type="supergroup")
    with sessions() as session:
        emulator.wait_for(lambda: session.scalar(select(ChatGroup.chat_id)) == str(group))
    with transaction(sessions) as session:
        community = session.scalar(select(Community))
        assert community is not None
        create(session, community=community, author=None, texts={
            "zh": "本周六上午社区义诊，地点居委会。", "en": "Free health check Saturday morning."},
            audience=Audience("groups"), at=None, cron=None, now=MONDAY_8,
            zone=MONDAY_8.tzinfo or dt.UTC, confirm_above=50)
    Jobs(current_runtime()).sweep(MONDAY_8)
    clock = ManualClock()
    clock.now = MONDAY_8
    deliver_rounds(emulator, sessions, clock, [0])
    posted = texts(emulator, group)
    assert "社区通知\n本周六上午社区义诊" in posted
    assert "Community notice\nFree health check" in posted
    assert posted.index("社区通知") < posted.index("Community notice")  # the default first
