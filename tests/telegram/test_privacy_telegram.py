"""Data rights on Telegram: the export arrives as a JSON document (the real PTB stack against
the Bot API emulator), and after erasure the chat starts afresh as someone new."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.telegram import TelegramChannel
from store.models import ChatIdentity, Person
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.telegram.emulator import Emulator
from tests.telegram.test_telegram import (  # noqa: F401 — fixtures
    WANG,
    ManualClock,
    deliver_rounds,
    emulator,
    telegram,
    texts,
)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_export_arrives_as_a_json_document(
        telegram: TelegramChannel, emulator: Emulator,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    emulator.user_says(WANG, "家里下水道堵了")
    emulator.wait_for(lambda: "BX-20261121-0001" in texts(emulator, WANG))
    emulator.user_says(WANG, "导出我的数据")
    emulator.wait_for(lambda: "JSON" in texts(emulator, WANG), timeout=20)
    assert "/media/" not in texts(emulator, WANG)  # a file, not a link
    deliver_rounds(emulator, sessions, ManualClock(), [0])
    document = emulator.wait_for(lambda: [s for s in emulator.to(WANG)
                                          if s.method == "sendDocument"])[0]
    upload = emulator.uploads[int(document.text.removeprefix("upload:"))]
    data = json.loads(upload.decode("utf-8"))
    assert data["person"]["name"] == "王阿姨"
    assert [t["number"] for t in data["tickets"]] == ["BX-20261121-0001"]
    assert "家里下水道堵了" in [m["text"] for m in data["messages"]]
    emulator.wait_for(lambda: "这是邻里保存的您的全部信息" in texts(emulator, WANG))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_after_erasure_the_chat_is_someone_new(
        telegram: TelegramChannel, emulator: Emulator,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    emulator.user_says(WANG, "删除我的个人信息")
    question = emulator.wait_for(lambda: [s for s in emulator.to(WANG)
                                          if "确定要删除" in s.text])[0]
    confirm = next(key["callback_data"] for row in question.reply_markup["inline_keyboard"]
                   for key in row if key["text"] == "确认删除")
    emulator.user_presses(WANG, confirm, question)
    emulator.wait_for(lambda: "已删除您的姓名" in texts(emulator, WANG), timeout=20)
    with sessions() as session:
        assert session.scalar(select(Person).where(Person.name == "王阿姨")) is None
    before = len(emulator.to(WANG))
    emulator.user_says(WANG, "你好")
    emulator.wait_for(lambda: len(emulator.to(WANG)) > before)
    assert "王阿姨" not in texts(emulator, WANG).split("\n")[-1]
    with sessions() as session:
        newcomer = session.scalar(select(Person).join(ChatIdentity).where(
            ChatIdentity.channel == "telegram", ChatIdentity.external_id == str(WANG)))
        assert newcomer is not None and newcomer.household_id is None
        assert newcomer.phone is None and newcomer.name != "王阿姨"
