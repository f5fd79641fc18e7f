"""The web chat over a real socket.io client (python-socketio's AsyncClient) against the real
server: Rasa's protocol, signed sessions, pushes to an idle page, and messages that wait for a
closed one. Also the page's HTTP side: history, photo uploads and security headers."""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import socketio
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService, Incoming
from bot.delivery import DeliveryWorker, RecipientAway
from store.database import transaction
from store.models import Media, OutboxMessage, OutboxStatus, Ticket, TicketAttachment
from store.outbox import WEBCHAT, enqueue_chat
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import base_url  # noqa: F401 — the HTTP server fixture

WAIT = 10.0


class Page:
    """One socket.io connection, as a Rasa web widget makes it."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.uttered: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.client.on("bot_uttered", self.uttered.put)
        self.client.on("session_confirm", self.confirmed.put)

    async def session(self, session_id: str | None) -> str:
        await self.client.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), WAIT)

    async def say(self, text: str, session_id: str) -> list[dict[str, Any]]:
        """Send a message; the bot's messages until it has been quiet for a moment."""
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id,
                                                "customData": {"language": "zh"}})
        return [await asyncio.wait_for(self.uttered.get(), WAIT), *await self.more(0.5)]

    async def more(self, quiet: float) -> list[dict[str, Any]]:
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(self.uttered.get(), quiet))
            except TimeoutError:
                return messages


@asynccontextmanager
async def page(url: str, transport: str = "websocket") -> AsyncIterator[Page]:
    opened = Page()
    await opened.client.connect(url, transports=[transport], socketio_path="/socket.io")
    try:
        yield opened
    finally:
        await opened.client.disconnect()


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in messages)


async def grid_member_resolves(service: ConversationService, note: str) -> None:  # noqa: F811
    await service.handle(Incoming("shell", "zhang_wei", "zhang_wei",
                                  f"/resolve BX-20261121-0001 {note}"))


def test_session_request_is_confirmed_with_a_signed_session(base_url: str) -> None:  # noqa: F811
    async def scenario() -> None:
        async with page(base_url) as first:
            issued = await first.session(None)
            assert "." in issued
            assert await first.session(issued) == issued  # a reload keeps its session
            forged = issued.split(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA"
            assert await first.session(forged) not in (forged, issued)
            assert await first.session("someone-elses-sender-id") not in (forged, issued)

    asyncio.run(scenario())


def test_user_uttered_is_answered_like_rasa(base_url: str) -> None:  # noqa: F811
    async def scenario() -> None:
        async with page(base_url, transport="polling") as opened:
            session = await opened.session(None)
            [question] = await opened.say("换个语言", session)
            assert question["text"] == "您想用哪种语言？"
            assert {"content_type": "text", "title": "English",
                    "payload": '/set_language{"language": "en"}'} in question["quick_replies"]
            reply = await opened.say('/set_language{"language": "en"}', session)
            assert "English" in texts(reply) and "quick_replies" not in reply[0]

    asyncio.run(scenario())


def test_a_widget_opening_is_greeted_once(base_url: str) -> None:  # noqa: F811
    async def scenario() -> None:
        async with page(base_url) as opened:
            session = await opened.session(None)
            # rasa-webchat without an initPayload: no message at all, nothing to answer
            await opened.client.emit("user_uttered", {"session_id": session, "customData": {}})
            assert await opened.more(0.5) == []
            [greeting] = await opened.say("/get_started", session)
            assert greeting["text"].startswith("您好")

    asyncio.run(scenario())


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
def test_an_update_reaches_an_idle_page_at_once(base_url: str,  # noqa: F811
                                                service: ConversationService) -> None:  # noqa: F811
    async def scenario() -> None:
        async with page(base_url) as opened:
            session = await opened.session(None)
            reply = await opened.say("5号楼2单元楼道灯不亮了", session)
            assert "BX-20261121-0001" in texts(reply)
            await grid_member_resolves(service, "换了新的声控灯")
            pushed = await asyncio.wait_for(opened.uttered.get(), WAIT)  # nobody typed
            assert "已处理完" in pushed["text"] and "换了新的声控灯" in pushed["text"]

    asyncio.run(scenario())


def test_what_arrives_while_the_page_is_closed_waits_for_it(
        base_url: str, service: ConversationService,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    def outbox() -> list[OutboxStatus]:
        with sessions() as session:
            return list(session.scalars(select(OutboxMessage.status).where(
                OutboxMessage.channel == WEBCHAT)))

    async def scenario() -> None:
        async with page(base_url) as opened:
            session = await opened.session(None)
            await opened.say("5号楼2单元楼道灯不亮了", session)
        await grid_member_resolves(service, "换了灯泡")
        await asyncio.sleep(1.5)  # three delivery rounds: nobody to send it to
        assert outbox() == [OutboxStatus.PENDING]
        async with page(base_url) as reopened:
            assert await reopened.session(session) == session
            pushed = await asyncio.wait_for(reopened.uttered.get(), WAIT)
            assert "换了灯泡" in pushed["text"]
        for _ in range(50):  # marked sent just after it is sent
            if outbox() == [OutboxStatus.SENT]:
                break
            await asyncio.sleep(0.1)
        assert outbox() == [OutboxStatus.SENT]

    asyncio.run(scenario())


def test_a_socket_that_changes_session_hears_only_the_new_one(
        base_url: str, service: ConversationService) -> None:  # noqa: F811
    async def scenario() -> None:
        async with page(base_url) as opened:
            first = await opened.session(None)
            await opened.say("5号楼2单元楼道灯不亮了", first)
            assert await opened.session(None) != first
            async with page(base_url) as other_tab:
                await other_tab.session(first)
                await grid_member_resolves(service, "换了灯泡")
                pushed = await asyncio.wait_for(other_tab.uttered.get(), WAIT)
                assert "换了灯泡" in pushed["text"]
                assert await opened.more(1.0) == []  # the first session's news is not for it

    asyncio.run(scenario())


class ClosingPage:
    """A web chat whose page closes between the worker's look at who is online and the send."""

    name = WEBCHAT

    def __init__(self) -> None:
        self.tried: list[str] = []

    def online(self) -> set[str]:
        return {"open-page"}

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]],
                   photo: str | None = None) -> None:
        self.tried.append(chat_id)
        raise RecipientAway(chat_id)


def test_a_page_closing_mid_round_loses_nothing(sessions: sessionmaker[Session]) -> None:
    now = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
    with transaction(sessions) as session:
        for chat in ("open-page", "closed-page"):
            enqueue_chat(session, channel=WEBCHAT, chat_id=chat, text="您的工单已处理完。",
                         key=f"test:{chat}", now=now)
    page = ClosingPage()
    report = asyncio.run(DeliveryWorker(sessions, {WEBCHAT: page}, lambda: now).run_once())
    assert page.tried == ["open-page"]  # the closed page's message was not even tried
    assert (report.sent, report.failed, report.retrying) == (0, 0, 0)
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert [(r.status, r.attempts, r.last_error) for r in rows] == [
            (OutboxStatus.PENDING, 0, None)] * 2


def test_history_is_kept_in_order_for_the_session_only(
        base_url: str, service: ConversationService) -> None:  # noqa: F811
    async def scenario() -> str:
        async with page(base_url) as opened:
            session = await opened.session(None)
            await opened.say("5号楼2单元楼道灯不亮了", session)
            await grid_member_resolves(service, "换了新的声控灯")
            await asyncio.wait_for(opened.uttered.get(), WAIT)
            return session

    session = asyncio.run(scenario())
    history = httpx.get(f"{base_url}/chat/history", headers={"X-Linli-Session": session})
    said = [(m["sender"], m["text"]) for m in history.json()["messages"]]
    assert said[0] == ("user", "5号楼2单元楼道灯不亮了")
    assert said[1][0] == "bot" and "BX-20261121-0001" in said[1][1]
    assert said[-1][0] == "bot" and "换了新的声控灯" in said[-1][1]  # the update came last
    forged = session.split(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA"
    for token in (forged, "", session.split(".")[0]):
        refused = httpx.get(f"{base_url}/chat/history", headers={"X-Linli-Session": token})
        assert refused.status_code == 401 and refused.json() == {"error": "session"}


def png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG (solid orange), made here so no test file is needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + b"\xf0\x80\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                               8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_photo_joins_the_report_just_made(base_url: str,  # noqa: F811
                                            sessions: sessionmaker[Session]) -> None:
    async def scenario() -> str:
        async with page(base_url) as opened:
            session = await opened.session(None)
            await opened.say("3号楼1单元门口的路灯坏了", session)
            return session

    session = asyncio.run(scenario())
    upload = httpx.post(f"{base_url}/chat/upload", content=png(),
                        headers={"X-Linli-Session": session, "Content-Type": "image/png"})
    assert upload.status_code == 200
    answer = upload.json()
    assert "BX-20261121-0001" in texts(answer["messages"])
    assert answer["photo"].startswith("/media/")
    image = httpx.get(f"{base_url}{answer['photo']}")
    assert image.content == png() and image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    with sessions() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.number == "BX-20261121-0001"))
        assert ticket is not None
        [attached] = db.scalars(select(TicketAttachment).where(
            TicketAttachment.ticket_id == ticket.id)).all()
        assert attached.channel == WEBCHAT
        stored = db.scalar(select(Media).where(
            Media.token == attached.file_id.removeprefix("media:")))
        assert stored is not None and stored.data == png()
    history = httpx.get(f"{base_url}/chat/history", headers={"X-Linli-Session": session})
    mine = [m for m in history.json()["messages"] if m["sender"] == "user"]
    assert mine[-1]["attachment"]["payload"]["src"] == answer["photo"]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("body", "status", "error"), [
    (b"GIF89a" + b"\x00" * 64, 415, "type"),
    (b"<svg onload=alert(1)>", 415, "type"),
    (b"", 415, "type"),
    (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), 413, "too_large"),
])
def test_uploads_that_are_not_photos_are_refused(base_url: str, body: bytes,  # noqa: F811
                                                 status: int, error: str) -> None:
    async def scenario() -> str:
        async with page(base_url) as opened:
            return await opened.session(None)

    session = asyncio.run(scenario())
    refused = httpx.post(f"{base_url}/chat/upload", content=body,
                         headers={"X-Linli-Session": session, "Content-Type": "image/jpeg"})
    assert refused.status_code == status and refused.json() == {"error": error}
    anonymous = httpx.post(f"{base_url}/chat/upload", content=png())
    assert anonymous.status_code == 401


def test_the_page_allows_only_itself(base_url: str) -> None:  # noqa: F811
    for path in ("/chat", "/chat/assets/chat.js", "/chat/assets/socket.io.min.js"):
        reply = httpx.get(f"{base_url}{path}")
        assert reply.status_code == 200
        policy = reply.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "http" not in policy
        assert reply.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{base_url}/chat/assets/..%2Fwebchat.py").status_code == 404
    script = httpx.get(f"{base_url}/chat/assets/chat.js").text
    assert "innerHTML" not in script and "textContent" in script
