"""The real python-telegram-bot stack against the local Bot API emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService
from bot.delivery import DeliveryReport, DeliveryWorker
from bot.scheduler.jobs import Jobs
from bot.telegram import (
    RateLimiter,
    TelegramChannel,
    TelegramFrontend,
    add_handlers,
    build_application,
    split_text,
)
from bot.wiring import tell_staff_unreachable
from store.database import transaction
from store.models import (
    ChatIdentity,
    OutboxMessage,
    Person,
    Ticket,
    TicketAttachment,
    TicketStatus,
    TranscriptMessage,
)
from store.outbox import enqueue
from tests.bot.test_dialogues import NOW, service  # noqa: F401 — the wired service fixture
from tests.telegram.emulator import Emulator, Fault

WANG, ZHANG, STRANGER, GROUP = 1001, 2001, 3001, -100500
ATTACKER = 6666  # someone forging updates, in their own private chat with the bot


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


def on_telegram(sessions: sessionmaker[Session], users: dict[str, int]) -> None:
    """Give demo people (by name) a Telegram user id."""
    with transaction(sessions) as session:
        for name, user in users.items():
            person = session.scalar(select(Person).where(Person.name == name))
            assert person is not None
            session.add(ChatIdentity(person_id=person.id, channel="telegram",
                                     external_id=str(user)))


@pytest.fixture
def telegram(service: ConversationService, emulator: Emulator,  # noqa: F811
             sessions: sessionmaker[Session]) -> Iterator[TelegramChannel]:
    on_telegram(sessions, {"王阿姨": WANG, "张伟": ZHANG})
    application = build_application(emulator.token, emulator.base_url)
    channel = TelegramChannel(application, sessions, RateLimiter(private_interval=0.01),
                              lambda: NOW)
    add_handlers(application, TelegramFrontend(service, channel, emulator.username))
    stop = threading.Event()

    async def run() -> None:
        await application.initialize()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.02, timeout=1)
        while not stop.is_set():
            await asyncio.sleep(0.02)
        await application.updater.stop()
        await application.stop()
        await application.shutdown()

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    yield channel
    stop.set()
    thread.join(timeout=15)


def texts(emulator: Emulator, chat: int) -> str:
    return "\n".join(s.text for s in emulator.to(chat))


def stored_in(sessions: sessionmaker[Session], chat: int) -> int:
    """How many transcript lines a chat has: a dropped update leaves none."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(TranscriptMessage).where(
            TranscriptMessage.chat_id == str(chat))) or 0


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_private_report_with_buttons_for_the_grid_member(
        telegram: TelegramChannel, emulator: Emulator, sessions: sessionmaker[Session]) -> None:
    emulator.user_says(WANG, "家里下水道堵了")
    emulator.wait_for(lambda: "BX-20261121-0001" in texts(emulator, WANG))
    # The grid member's notification is in the outbox, sent through the Telegram channel.
    deliver_rounds(emulator, sessions, ManualClock(), [0])
    note = emulator.wait_for(lambda: [s for s in emulator.to(ZHANG) if "新工单" in s.text])[0]
    keys = [key for row in note.reply_markup["inline_keyboard"] for key in row]
    titles = [key["text"] for key in keys]
    assert "✅ 接单" in titles
    accept = note.reply_markup["inline_keyboard"][0][0]["callback_data"]
    assert len(accept.encode()) <= 64

    # The grid member's button data, pressed by a resident in her own chat
    emulator.user_presses(WANG, accept, note, chat_id=WANG)
    emulator.user_presses(ZHANG, "b999999", note)  # a forged button
    emulator.wait_for(lambda: len(emulator.answered_callbacks) == 2)
    with sessions() as session:
        assert session.scalar(select(Ticket.status)) == TicketStatus.ASSIGNED

    emulator.user_presses(ZHANG, accept, note)
    edit = emulator.wait_for(lambda: [e for e in emulator.edits if "网格员已接单" in
                                      str(e.get("text", ""))])[0]
    assert edit["text"].startswith(note.text)  # the ticket message shows its new state
    with sessions() as session:
        assert session.scalar(select(Ticket.status)) == TicketStatus.ACKNOWLEDGED
    assert len(emulator.answered_callbacks) == 3

    resolve = next(key["callback_data"] for key in keys if "已解决" in key["text"])
    emulator.user_presses(ZHANG, resolve, note)
    emulator.wait_for(lambda: [e for e in emulator.edits if "已处理完" in str(e.get("text", ""))])
    Jobs(current_runtime()).sweep(NOW + dt.timedelta(minutes=10))  # the satisfaction poll
    deliver_rounds(emulator, sessions, ManualClock(), [0])
    question = emulator.wait_for(lambda: [s for s in emulator.to(WANG) if "打个分" in s.text])[0]
    five = question.reply_markup["inline_keyboard"][0][0]["callback_data"]
    emulator.user_presses(WANG, five, question)
    emulator.wait_for(lambda: "谢谢您的评价" in texts(emulator, WANG))
    with sessions() as session:
        assert session.scalar(select(Ticket.status)) == TicketStatus.CLOSED


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_group_chit_chat_is_left_alone_and_reports_continue_privately(
        telegram: TelegramChannel, emulator: Emulator) -> None:
    emulator.user_says(STRANGER, "今天天气真好啊 大家出去走走", chat_id=GROUP,
                       chat_type="supergroup")
    emulator.user_says(STRANGER, "3号楼2单元501的下水道堵了 臭死了", chat_id=GROUP,
                       chat_type="supergroup")
    ack = emulator.wait_for(lambda: emulator.to(GROUP))[0]
    assert "私聊" in ack.text and "501" not in ack.text
    link = ack.reply_markup["inline_keyboard"][0][0]["url"]
    assert link.startswith(f"https://t.me/{emulator.username}?start=g")
    emulator.user_says(STRANGER, f"/start {link.split('start=')[1]}",
                       entities=[{"type": "bot_command", "offset": 0, "length": 6}])
    emulator.wait_for(lambda: "BX-20261121-0001" in texts(emulator, STRANGER))
    assert len(emulator.to(GROUP)) == 1  # nothing about the ticket in the group


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_voice_stickers_and_edits_get_an_answer(telegram: TelegramChannel,
                                                emulator: Emulator) -> None:
    emulator.user_sends(STRANGER, "voice", {"file_id": "v1", "file_unique_id": "v",
                                           "duration": 3})
    emulator.wait_for(lambda: "语音" in texts(emulator, STRANGER))
    emulator.user_sends(STRANGER, "sticker", {"file_id": "s1", "file_unique_id": "s",
                                             "width": 1, "height": 1, "is_animated": False,
                                             "is_video": False, "type": "regular"})
    emulator.wait_for(lambda: "😊" in texts(emulator, STRANGER))


def test_long_messages_are_split_at_sensible_places() -> None:
    text = ("第一段。" * 600 + "\n\n" + "second paragraph. " * 300)
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts) and len(parts) >= 2
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", text)  # nothing lost
    assert all(p.endswith(("。", ".")) for p in parts)  # cut at sentence ends


class ManualClock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def queue_notice(sessions: sessionmaker[Session], user: int, text: str) -> None:
    with transaction(sessions) as session:
        person = Person(community_id=1, name=f"tg {user}")
        session.add(person)
        session.flush()
        session.add(ChatIdentity(person_id=person.id, channel="telegram",
                                 external_id=str(user)))
        session.flush()
        enqueue(session, person=person, text=text, key=f"notice:{user}", now=NOW)


def deliver_rounds(emulator: Emulator, sessions: sessionmaker[Session], clock: ManualClock,
                   steps: list[float], **worker_options: Any) -> list[DeliveryReport]:
    """Run delivery rounds with a real PTB bot, advancing the clock by each step first."""

    async def run() -> list[DeliveryReport]:
        application = build_application(emulator.token, emulator.base_url, timeout=1.0)
        await application.initialize()
        channel = TelegramChannel(application, sessions, RateLimiter(private_interval=0.01),
                                  clock)
        worker = DeliveryWorker(sessions, {"telegram": channel}, clock, **worker_options)
        reports = []
        for step in steps:
            clock.now += dt.timedelta(seconds=step)
            reports.append(await worker.run_once())
        await application.shutdown()
        return reports

    return asyncio.run(run())


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_429_storm_delays_only_its_chat(emulator: Emulator, service: ConversationService,  # noqa: F811
                                          sessions: sessionmaker[Session]) -> None:
    for user in (5001, 5002, 5003):
        queue_notice(sessions, user, f"停水通知 {user}")
    emulator.fail_next("sendMessage", 5001, Fault(429, "Too Many Requests: retry after 3",
                                                  retry_after=3), times=2)
    clock = ManualClock()
    deliver_rounds(emulator, sessions, clock, [0])
    assert {s.chat_id for s in emulator.sent} == {5002, 5003}
    deliver_rounds(emulator, sessions, clock, [2])
    assert len(emulator.to(5001)) == 0  # retry_after not over yet
    deliver_rounds(emulator, sessions, clock, [3, 3])
    assert [s.text for s in emulator.to(5001)] == ["停水通知 5001"]
    assert len(emulator.sent) == 3  # nothing doubled


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_user_who_blocked_the_bot_is_not_retried_and_staff_hear_of_it(
        emulator: Emulator, service: ConversationService,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    queue_notice(sessions, 6001, "活动提醒")
    emulator.fail_next("sendMessage", 6001, Fault(403, "Forbidden: bot was blocked by the user"))
    first, later = deliver_rounds(emulator, sessions, ManualClock(), [0, 3600],
                                  on_unreachable=tell_staff_unreachable())
    assert first.failed == 1 and later.sent == 0
    assert emulator.to(6001) == []
    with sessions() as session:
        person = session.scalar(select(Person).where(Person.name == "tg 6001"))
        assert person is not None and person.unreachable
        staff_note = session.scalar(select(OutboxMessage.text).where(
            OutboxMessage.chat_id == "zhao_min"))
        assert staff_note is not None and "tg 6001" in staff_note


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_restart_in_the_middle_of_a_conversation_loses_nothing(
        service: ConversationService, emulator: Emulator,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    def run_bot(until: Callable[[], bool]) -> None:
        application = build_application(emulator.token, emulator.base_url)
        channel = TelegramChannel(application, sessions, RateLimiter(private_interval=0.01),
                                  lambda: NOW)
        add_handlers(application, TelegramFrontend(service, channel, emulator.username))

        async def run() -> None:
            await application.initialize()
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.02, timeout=1)
            deadline = time.monotonic() + 20
            while not until() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await application.updater.stop()
            await application.stop()
            await application.shutdown()

        asyncio.run(run())

    emulator.user_says(7001, "电梯又坏了")
    run_bot(lambda: "几号楼" in texts(emulator, 7001))
    emulator.user_says(7001, "7")
    run_bot(lambda: "BX-" in texts(emulator, 7001))  # a new process picks up the question
    assert texts(emulator, 7001).count("几号楼") == 1  # no update answered twice
    with sessions() as session:
        assert session.scalar(select(Ticket.number)) == "BX-20261121-0001"


PHOTO = [{"file_id": "small-1", "file_unique_id": "s1", "width": 90, "height": 90},
         {"file_id": "large-1", "file_unique_id": "l1", "width": 1280, "height": 960}]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_photos_are_kept_on_the_ticket_and_shown_to_the_grid_member(
        telegram: TelegramChannel, emulator: Emulator, sessions: sessionmaker[Session]) -> None:
    emulator.user_sends(WANG, "photo", PHOTO)
    emulator.wait_for(lambda: "照片收到了" in texts(emulator, WANG))
    emulator.user_says(WANG, "楼道灯坏了")
    emulator.wait_for(lambda: "BX-20261121-0001" in texts(emulator, WANG))
    emulator.user_sends(WANG, "photo", [{**PHOTO[1], "file_id": "large-2"}])
    emulator.wait_for(lambda: "照片已附在工单 BX-20261121-0001" in texts(emulator, WANG))
    with sessions() as session:
        files = session.scalars(select(TicketAttachment.file_id).order_by(
            TicketAttachment.id)).all()
    assert files == ["large-1", "large-2"]
    deliver_rounds(emulator, sessions, ManualClock(), [0, 2])
    photos = [s.text for s in emulator.sent if s.method == "sendPhoto" and s.chat_id == ZHANG]
    assert len(photos) == 2


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_shared_location_answers_which_building(telegram: TelegramChannel,
                                                  emulator: Emulator) -> None:
    emulator.user_says(STRANGER, "电梯又不动了")
    emulator.wait_for(lambda: "几号楼" in texts(emulator, STRANGER))
    # building 7 stands at (39.9609, 116.4109) in the demo community
    emulator.user_sends(STRANGER, "location", {"latitude": 39.96092, "longitude": 116.41093})
    emulator.wait_for(lambda: "BX-20261121-0001" in texts(emulator, STRANGER))
    assert "王芳" in texts(emulator, STRANGER)
    emulator.user_sends(STRANGER, "location", {"latitude": 39.96001, "longitude": 116.41002})
    emulator.wait_for(lambda: "1号楼附近" in texts(emulator, STRANGER))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_deep_link_opens_the_reporters_ticket_only(telegram: TelegramChannel,
                                                     emulator: Emulator) -> None:
    emulator.user_says(WANG, "家里停水了")
    emulator.wait_for(lambda: "BX-20261121-0001" in texts(emulator, WANG))
    command = [{"type": "bot_command", "offset": 0, "length": 6}]
    emulator.user_says(WANG, "/start tBX202611210001", entities=command)
    emulator.wait_for(lambda: "已派给网格员" in texts(emulator, WANG))
    emulator.user_says(STRANGER, "/start tBX202611210001", entities=command)
    emulator.wait_for(lambda: "没有找到您名下的这个单号" in texts(emulator, STRANGER))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_staff_answer_a_handed_over_resident_by_replying(
        telegram: TelegramChannel, emulator: Emulator, sessions: sessionmaker[Session]) -> None:
    staff_user = 2501
    with transaction(sessions) as session:
        zhao = session.scalar(select(Person).where(Person.name == "赵敏"))
        assert zhao is not None
        session.add(ChatIdentity(person_id=zhao.id, channel="telegram",
                                 external_id=str(staff_user)))
    emulator.user_says(STRANGER, "我要找真人 电话打不通")
    emulator.wait_for(lambda: "赵敏" in texts(emulator, STRANGER))
    deliver_rounds(emulator, sessions, ManualClock(), [0])
    relayed = emulator.wait_for(lambda: [s for s in emulator.to(staff_user)
                                         if "转人工" in s.text])[0]
    emulator.user_says(staff_user, "您好，我马上给您回电话", reply_to_bot=True)
    # the emulator's reply_to_message carries the relayed text
    emulator.wait_for(lambda: "已转达" in texts(emulator, staff_user))
    deliver_rounds(emulator, sessions, ManualClock(), [0])
    emulator.wait_for(lambda: "马上给您回电话" in texts(emulator, STRANGER))
    assert "/reply" in relayed.text


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_edited_message_gets_an_answer(telegram: TelegramChannel, emulator: Emulator) -> None:
    emulator.user_edits(STRANGER, "改一下：是4号楼")
    emulator.wait_for(lambda: "修改了消息" in texts(emulator, STRANGER))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fault", [Fault(502, "Bad Gateway"),
                                   Fault(500, "Internal Server Error"),
                                   Fault(200, "slow", delay=2.0)])
def test_server_errors_and_timeouts_are_retried(emulator: Emulator,
                                                service: ConversationService,  # noqa: F811
                                                sessions: sessionmaker[Session],
                                                fault: Fault) -> None:
    queue_notice(sessions, 8001, "明早停电")
    emulator.fail_next("sendMessage", 8001, fault)
    first, second = deliver_rounds(emulator, sessions, ManualClock(), [0, 5])
    assert first.retrying == 1 and second.sent == 1
    assert [s.text for s in emulator.to(8001)] == ["明早停电"]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_building_question_has_a_button_per_building(telegram: TelegramChannel,
                                                         emulator: Emulator) -> None:
    emulator.user_says(STRANGER, "楼道灯坏了")
    question = emulator.wait_for(lambda: [s for s in emulator.to(STRANGER)
                                          if "几号楼" in s.text])[0]
    rows = question.reply_markup["inline_keyboard"]
    assert [key["text"] for key in rows[1]] == ["6号楼", "7号楼", "8号楼", "9号楼", "10号楼"]
    emulator.user_presses(STRANGER, rows[1][1]["callback_data"], question)
    emulator.wait_for(lambda: "BX-20261121-0001" in texts(emulator, STRANGER))
    assert "王芳" in texts(emulator, STRANGER)  # building 7's grid member


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_forged_private_chat_is_dropped(telegram: TelegramChannel, emulator: Emulator,
                                          sessions: sessionmaker[Session]) -> None:
    """An update with the grid member's user id and someone else's private chat (only a
    forger makes one) reaches no handler: nothing answered, stored or changed."""
    emulator.user_says(WANG, "家里下水道堵了")
    emulator.wait_for(lambda: "BX-20261121-0001" in texts(emulator, WANG))
    deliver_rounds(emulator, sessions, ManualClock(), [0])
    note = emulator.wait_for(lambda: [s for s in emulator.to(ZHANG) if "新工单" in s.text])[0]
    accept = note.reply_markup["inline_keyboard"][0][0]["callback_data"]
    queue = [{"type": "bot_command", "offset": 0, "length": 6}]

    emulator.user_says(ZHANG, "/queue", chat_id=ATTACKER, entities=queue)
    emulator.user_presses(ZHANG, accept, note, chat_id=ATTACKER)
    before = len(emulator.to(ZHANG))
    emulator.user_says(ZHANG, "/queue", entities=queue)  # the grid member, in their own chat
    # Updates are handled in order: once this one is answered, the forged ones were seen.
    # The queue comes as a headline, then one message per ticket.
    emulator.wait_for(lambda: any("BX-20261121-0001" in s.text
                                  for s in emulator.to(ZHANG)[before:]))
    assert emulator.to(ATTACKER) == []
    assert [e for e in emulator.edits if e.get("chat_id") == ATTACKER] == []
    assert emulator.answered_callbacks == []
    assert stored_in(sessions, ATTACKER) == 0
    with sessions() as session:
        assert session.scalar(select(Ticket.status)) == TicketStatus.ASSIGNED


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_command_linli_does_not_know_still_gets_an_answer(telegram: TelegramChannel,
                                                            emulator: Emulator) -> None:
    emulator.user_says(STRANGER, "/weather", entities=[
        {"type": "bot_command", "offset": 0, "length": 8}])
    emulator.wait_for(lambda: emulator.to(STRANGER))
