"""Emergencies on Telegram: said in a group they alert at once, and a shared location answers
"where is it?" for the emergency ticket (never the household)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.telegram import TelegramChannel
from store.models import OutboxMessage, Person, Ticket
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.telegram.emulator import Emulator
from tests.telegram.test_telegram import (  # noqa: F401 — fixtures
    GROUP,
    STRANGER,
    WANG,
    emulator,
    telegram,
    texts,
)


def alerted(sessions: sessionmaker[Session], fragment: str) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Person.name).join(
            OutboxMessage, OutboxMessage.person_id == Person.id).where(
            OutboxMessage.text.contains(fragment))))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_emergency_in_a_group_alerts_at_once_and_asks_where_privately(
        telegram: TelegramChannel, emulator: Emulator,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    emulator.user_says(STRANGER, "楼道里煤气味很大 快来人啊", chat_id=GROUP,
                       chat_type="supergroup")
    ack = emulator.wait_for(lambda: emulator.to(GROUP))[0]
    assert "119" in ack.text and "已通知" in ack.text
    assert "JJ-" not in ack.text  # no ticket details in the group
    assert ack.reply_markup["inline_keyboard"][0][0]["url"].endswith("?start=e")
    # Alerted before anyone followed the link: the grid member and the staff on duty.
    assert {"张伟", "赵敏"} <= alerted(sessions, "【紧急】JJ-20261121-0001")
    emulator.wait_for(lambda: "是在哪里" in texts(emulator, STRANGER))

    # building 7 stands at (39.9609, 116.4109) in the demo community
    emulator.user_sends(STRANGER, "location", {"latitude": 39.96092, "longitude": 116.41093})
    emulator.wait_for(lambda: "收到，位置：7号楼" in texts(emulator, STRANGER))
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket is not None and ticket.building is not None
        assert ticket.building.number == "7" and ticket.assignee is not None
        assert ticket.assignee.name == "王芳"
    assert {"王芳", "李娜", "赵敏"} <= alerted(sessions, "【紧急·地点】JJ-20261121-0001 7号楼")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_location_answers_where_an_emergency_is_not_the_home(
        telegram: TelegramChannel, emulator: Emulator,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    emulator.user_says(WANG, "有人晕倒了 快来人")
    emulator.wait_for(lambda: "在家里（3号楼2单元501）" in str(
        [s.reply_markup for s in emulator.to(WANG)]))
    emulator.user_sends(WANG, "location", {"latitude": 39.96092, "longitude": 116.41093})
    emulator.wait_for(lambda: "收到，位置：7号楼" in texts(emulator, WANG))
    with sessions() as session:
        wang = session.scalar(select(Person).where(Person.name == "王阿姨"))
        assert wang is not None and wang.household is not None
        assert wang.household.building.number == "3"  # the household is untouched
        ticket = session.scalar(select(Ticket))
        assert ticket is not None and ticket.building is not None
        assert ticket.building.number == "7"
