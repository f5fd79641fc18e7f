"""Out-of-scope text on Telegram: a group hears nothing back, even when the bot is addressed;
a private chat is told briefly what Linli does."""

from __future__ import annotations

import pytest

from bot.telegram import TelegramChannel
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.telegram.emulator import Emulator
from tests.telegram.test_telegram import (  # noqa: F401 — fixtures
    GROUP,
    STRANGER,
    emulator,
    telegram,
    texts,
)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_group_hears_nothing_back_on_out_of_scope_text_even_when_addressed(
        telegram: TelegramChannel, emulator: Emulator) -> None:  # noqa: F811
    bot = f"@{emulator.username}"
    for text in (f"{bot} 附近哪家火锅店好吃 推荐一下",
                 f"{bot} anyone know if the theme park does late opening this friday",
                 "有人知道信用卡账单怎么交吗", "my phone died again lol"):
        emulator.user_says(STRANGER, text, chat_id=GROUP, chat_type="supergroup")
    # A service request said afterwards is answered: the group's only message is its ack.
    emulator.user_says(STRANGER, f"{bot} 3号楼电梯坏了", chat_id=GROUP, chat_type="supergroup")
    ack = emulator.wait_for(lambda: emulator.to(GROUP))[0]
    assert "私聊" in ack.text
    assert len(emulator.to(GROUP)) == 1


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_private_chat_is_told_what_linli_does(
        telegram: TelegramChannel, emulator: Emulator) -> None:  # noqa: F811
    emulator.user_says(STRANGER, "附近哪家火锅店好吃 推荐一下")
    emulator.wait_for(lambda: "帮不上忙" in texts(emulator, STRANGER))
    assert "报修" in texts(emulator, STRANGER)
