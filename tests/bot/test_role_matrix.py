"""Who may do what, through which channel: one table, played through the real channels.

The demo community: 王阿姨 (resident, building 3) has reported a blocked drain, ticket
BX-20261121-0001 in grid G1, held by its grid member 张伟. 王芳 is grid G2's grid member,
赵敏 is staff. On Telegram each has a user id; on the REST channel and the web chat nobody has
an identity yet, so whoever writes there is a resident — whatever sender id or session they
claim. A refusal is a polite answer and changes nothing: no ticket moves, no event, no notice,
no notification.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService, Incoming
from store.models import Notice, OutboxMessage, Person, Ticket, TicketEvent, TicketStatus
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import base_url  # noqa: F401 — the HTTP server fixture
from tests.bot.test_webchat_socketio import page
from tests.telegram.emulator import Emulator
from tests.telegram.test_telegram import (  # noqa: F401 — the Telegram fixtures
    ManualClock,
    deliver_rounds,
    emulator,
    on_telegram,
    telegram,
)

TICKET = "BX-20261121-0001"
REFUSED = "您没有做这件事的权限"
NOT_YOURS = "没有找到您名下的这个单号"
#: Telegram user ids of the demo people who use Telegram here.
ON_TELEGRAM = {"王阿姨": 1001, "张伟": 2001, "王芳": 2002, "赵敏": 2501}


class Row(NamedTuple):
    channel: str  # rest, webchat, telegram
    speaker: str  # rest: the sender id sent; webchat: the session id asked for; telegram: who
    says: str  # {resident} stands for 王阿姨's person id
    allowed: bool
    answer: str  # a fragment of the reply


#: What only grid members and staff may do, as a resident would type it.
WORK = [f"/accept {TICKET}", f"/progress {TICKET}", f"/resolve {TICKET} 修好了",
        f"/escalate {TICKET}", f"/note {TICKET} 明天去看", "/queue", "/broadcast", "/notices",
        '/notice_confirm{"notice": "1"}', '/notice_cancel{"notice": "1"}',
        "/reply {resident} 您好", "/end {resident}"]
#: What only the reporter may do with their ticket, as a button payload another would forge.
REPORTERS = [f'/ticket_status{{"ticket_id": "{TICKET}"}}',
             f'/ticket_cancel{{"ticket_id": "{TICKET}"}}',
             f'/rate{{"ticket_id": "{TICKET}", "rating": "1"}}']

MATRIX = [
    # A resident, on every channel, is refused every work command.
    *(Row("rest", "resident-1", says, False, REFUSED) for says in WORK),
    *(Row("webchat", "", says, False, REFUSED) for says in WORK),
    *(Row("telegram", "王阿姨", says, False, REFUSED) for says in WORK),
    # Nobody else sees, cancels or rates 王阿姨's ticket, not even her grid's grid member.
    *(Row("rest", "resident-2", says, False, NOT_YOURS) for says in REPORTERS),
    *(Row("webchat", "", says, False, NOT_YOURS) for says in REPORTERS),
    *(Row("telegram", "张伟", says, False, NOT_YOURS) for says in REPORTERS),
    # Identities are per channel: a staff member's or grid member's name, key or Telegram id
    # claimed as a REST sender or a web chat session is a stranger's.
    Row("rest", "zhang_wei", f"/accept {TICKET}", False, REFUSED),
    Row("rest", str(ON_TELEGRAM["张伟"]), f"/accept {TICKET}", False, REFUSED),
    Row("rest", "zhao_min", "/broadcast", False, REFUSED),
    Row("rest", str(ON_TELEGRAM["赵敏"]), "/reply {resident} 您好", False, REFUSED),
    Row("webchat", "zhang_wei", "/queue", False, REFUSED),
    Row("webchat", str(ON_TELEGRAM["张伟"]), f"/accept {TICKET}", False, REFUSED),
    # A grid member works the tickets of their own grid, not another grid's; staff broadcast.
    Row("telegram", "王芳", f"/accept {TICKET}", False, REFUSED),
    Row("telegram", "王芳", f"/resolve {TICKET} 修好了", False, REFUSED),
    Row("telegram", "张伟", "/broadcast", False, REFUSED),
    Row("telegram", "赵敏", "/broadcast", True, "这条通知发给谁"),
    Row("telegram", "张伟", "/queue", True, TICKET),
    Row("telegram", "张伟", f"/accept {TICKET}", True, "网格员已接单"),
]


def state(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """What a refused command must leave as it was."""
    with sessions() as session:
        return (session.scalar(select(Ticket.status)),
                *(session.scalar(select(func.count()).select_from(table))
                  for table in (TicketEvent, Notice, OutboxMessage)))


def resident_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        person = session.scalar(select(Person.id).where(Person.name == "王阿姨"))
        assert person is not None
        return person


def settle(count: Callable[[], int], before: int, done: Callable[[], bool] = lambda: True,
           quiet: float = 0.4) -> None:
    """Wait for an answer, and for the part of it ``done`` looks for (a reply of several
    messages arrives one by one, slower on a busy machine), then until nothing more arrives
    for ``quiet`` seconds."""
    deadline = time.monotonic() + 15
    while count() <= before or not done():
        if time.monotonic() >= deadline:
            assert count() > before, "no answer"
            break  # the caller's assertion says what is missing
        time.sleep(0.02)
    seen, still = count(), time.monotonic()
    while time.monotonic() - still < quiet:
        time.sleep(0.05)
        if count() != seen:
            seen, still = count(), time.monotonic()


def speak(channel: str, speaker: str, says: str, reach: Any, expect: str = "") -> list[str]:
    """Say something as ``speaker`` through the real channel; the texts that came back (on
    Telegram, waited for until they hold ``expect``)."""
    if channel == "rest":
        replies = httpx.post(f"{reach}/webhooks/rest/webhook", timeout=30,
                             json={"sender": speaker, "message": says}).json()
        return [str(reply["text"]) for reply in replies]
    if channel == "webchat":
        async def scenario() -> list[str]:
            async with page(reach) as opened:
                session = await opened.session(speaker or None)
                assert session.split(".")[0] != speaker  # the server chose the session
                return [str(m.get("text", "")) for m in await opened.say(says, session)]

        return asyncio.run(scenario())
    api: Emulator = reach
    user = ON_TELEGRAM[speaker]
    before = len(api.to(user))
    command = re.match(r"/\w+", says)  # what Telegram's clients mark as the command
    assert command is not None
    api.user_says(user, says, entities=[
        {"type": "bot_command", "offset": 0, "length": len(command.group())}])
    settle(lambda: len(api.to(user)), before,
           lambda: expect in "\n".join(sent.text for sent in api.to(user)[before:]))
    return [sent.text for sent in api.to(user)[before:]]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("channel", ["rest", "webchat", "telegram"])
def test_who_may_do_what_through_which_channel(
        channel: str, request: pytest.FixtureRequest, service: ConversationService,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    if channel == "telegram":
        request.getfixturevalue("telegram")
        reach = request.getfixturevalue("emulator")
        on_telegram(sessions, {name: user for name, user in ON_TELEGRAM.items()
                               if name in ("王芳", "赵敏")})  # the fixture has the others
    else:
        reach = request.getfixturevalue("base_url")
    asyncio.run(service.handle(Incoming("shell", "wang_aiyi", "wang_aiyi", "家里下水道堵了")))
    resident = resident_id(sessions)
    for row in (row for row in MATRIX if row.channel == channel):
        says = row.says.replace("{resident}", str(resident))
        before = state(sessions)
        answer = "\n".join(speak(channel, row.speaker, says, reach, row.answer))
        where = f"{row.speaker or 'a new session'} on {channel}: {says!r} → {answer!r}"
        assert row.answer in answer, where
        if not row.allowed:
            assert state(sessions) == before, f"{where} changed something"
    if channel == "telegram":
        with sessions() as session:
            assert session.scalar(select(Ticket.status)) == TicketStatus.ACKNOWLEDGED


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("presser", "allowed"), [("王阿姨", False), ("王芳", False),
                                                  ("赵敏", False), ("张伟", True)])
def test_a_button_works_only_for_whom_it_was_sent(
        presser: str, allowed: bool, emulator: Emulator,  # noqa: F811
        telegram: object, service: ConversationService,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    """张伟's "accept" button on his new-ticket message, pressed by each of them."""
    on_telegram(sessions, {"王芳": ON_TELEGRAM["王芳"], "赵敏": ON_TELEGRAM["赵敏"]})
    asyncio.run(service.handle(Incoming("shell", "wang_aiyi", "wang_aiyi", "家里下水道堵了")))
    deliver_rounds(emulator, sessions, ManualClock(), [0])
    note = emulator.wait_for(lambda: [s for s in emulator.to(ON_TELEGRAM["张伟"])
                                      if TICKET in s.text])[0]
    accept = note.reply_markup["inline_keyboard"][0][0]
    assert accept["text"] == "✅ 接单"
    before = state(sessions)
    user = ON_TELEGRAM[presser]
    emulator.user_presses(user, accept["callback_data"], note, chat_id=user)
    emulator.wait_for(lambda: emulator.answered_callbacks)
    if allowed:
        emulator.wait_for(lambda: [e for e in emulator.edits if "网格员已接单" in
                                   str(e.get("text", ""))])
        with sessions() as session:
            assert session.scalar(select(Ticket.status)) == TicketStatus.ACKNOWLEDGED
    else:
        time.sleep(0.5)  # what a refused press would have done, it would have done by now
        assert state(sessions) == before
        assert emulator.edits == [] and emulator.to(user) == []
