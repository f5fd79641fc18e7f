"""Handoffs to staff: held in the database (a restart keeps them), ended by the resident's own
words, and out of hours the resident hears when staff are back."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.people import ends_handoff, staff_back
from actions.runtime import Runtime
from bot.conversation import ConversationService, Incoming
from bot.wiring import build_service
from nlu.pipeline import NluPipeline
from store.community import import_community, parse_community
from store.database import transaction
from store.models import Handoff, OutboxMessage
from store.policy import SchedulePolicy
from tests import demo

CONFIG = Path(__file__).resolve().parents[2] / "config"
ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=ZONE)


def _service(sessions: sessionmaker[Session], pipeline: NluPipeline) -> ConversationService:
    policy = SchedulePolicy.load(CONFIG / "schedule.yml")
    runtime = Runtime(sessions=sessions, responses=demo.responses(), timezone=ZONE,
                      clock=lambda: MONDAY.astimezone(dt.UTC), policy=policy,
                      deadlines=policy.deadline_rules(ZONE))
    return build_service(runtime, pipeline)


def test_a_handoff_survives_a_restart(sessions: sessionmaker[Session],
                                      pipeline: NluPipeline) -> None:
    with transaction(sessions) as session:
        import_community(session, parse_community(yaml.safe_load(
            (CONFIG / "community.demo.yml").read_text(encoding="utf-8"))), today=MONDAY.date())

    def say(service: ConversationService, text: str, number: int) -> str:
        replies = asyncio.run(service.handle(Incoming("shell", "wang_aiyi", "wang_aiyi", text,
                                                      message_id=f"m{number}")))
        return "\n".join(reply["text"] for reply in replies)

    assert "赵敏" in say(_service(sessions, pipeline), "我要找人工", 1)
    restarted = _service(sessions, pipeline)  # a new process: nothing kept in memory
    assert "已转给" in say(restarted, "你好，能不能派个人来看看", 2)
    with sessions() as session:
        relayed = session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.chat_id == "zhao_min")).all()
        handoff = session.scalar(select(Handoff))
    assert any("能不能派个人来看看" in text for text in relayed)
    assert handoff is not None and handoff.ended_at is None and handoff.relayed == 1


@pytest.mark.parametrize("text", ["不用了", "不用了，谢谢", "算了", "好的谢谢，再见", "结束",
                                  "bye", "ok bye", "Thanks, bye!", "never mind", "that's all",
                                  "没事了 谢谢", "算了没事了 我自己弄好了",
                                  "never mind, I figured it out", "actually never mind",
                                  "哦 其实不用了", "oh wait, no need"])
def test_the_resident_ends_a_handoff_in_their_own_words(text: str) -> None:
    assert ends_handoff(text)


@pytest.mark.parametrize("text", ["谢谢", "好的", "算了，我自己去物业问吧", "不用了吗？几点来",
                                  "thanks", "stop the noise upstairs please", "ok",
                                  "bye the way the lift is broken", "end of the corridor",
                                  "好了", "not fixed yet"])
def test_other_lines_keep_the_handoff(text: str) -> None:
    assert not ends_handoff(text)


@pytest.mark.parametrize(("at", "zh", "en"), [
    (dt.datetime(2026, 12, 7, 10, 0), None, None),                    # Monday, working
    (dt.datetime(2026, 12, 7, 19, 0), "明天8:30", "tomorrow at 8:30"),  # Monday evening
    (dt.datetime(2026, 12, 8, 7, 0), "今天8:30", "later today at 8:30"),
    (dt.datetime(2026, 12, 12, 22, 0), "周一8:30", "on Monday at 8:30"),  # Saturday night
    (dt.datetime(2026, 12, 31, 18, 0), "周一8:30", "on Monday at 8:30"),  # before New Year
])
def test_when_staff_are_back(at: dt.datetime, zh: str | None, en: str | None) -> None:
    policy = SchedulePolicy.load(CONFIG / "schedule.yml")
    runtime = Runtime(sessions=sessionmaker(), responses=demo.responses(), timezone=ZONE,
                      policy=policy)
    now = at.replace(tzinfo=ZONE)
    assert staff_back(runtime, now, "zh") == zh
    assert staff_back(runtime, now, "en") == en


def test_a_long_closure_names_the_date() -> None:
    policy = SchedulePolicy.model_validate({"calendar": {"holidays": [
        f"2027-02-{day:02d}" for day in range(8, 19)]}})  # a Spring Festival week and more
    runtime = Runtime(sessions=sessionmaker(), responses=demo.responses(), timezone=ZONE,
                      policy=policy)
    friday = dt.datetime(2027, 2, 5, 18, 0, tzinfo=ZONE)
    assert staff_back(runtime, friday, "zh") == "2月19日8:30"
    assert staff_back(runtime, friday, "en") == "on 19 February at 8:30"
