"""Telegram's webhook mode over real HTTP: the served app's /telegram/webhook route feeding the
real python-telegram-bot Application (wired as `linli serve` wires it), the emulator posting
updates with the secret it was given by setWebhook."""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService
from bot.rest import create_app
from bot.settings import Settings
from bot.telegram import SECRET_HEADER, authentic, build_application, webhook_secret
from bot.wiring import run_telegram
from nlu.pipeline import NluPipeline
from store.models import ChatGroup, ChatIdentity, Person, TranscriptMessage
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import free_port
from tests.telegram.emulator import Emulator
from tests.telegram.test_telegram import ATTACKER, WANG, ZHANG, on_telegram, stored_in, texts

SECRET = "webhook-s3cret_for-tests"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


@dataclass
class Served:
    """The served app and the Telegram emulator it registered its webhook with."""

    url: str
    emulator: Emulator
    application: Any

    def post(self, body: bytes | dict[str, Any], secret: str | bytes | None = SECRET
             ) -> httpx.Response:
        header = secret.encode() if isinstance(secret, str) else secret
        headers = {SECRET_HEADER.encode(): header} if header is not None else {}
        # Encoded here, as Telegram does (ASCII escapes), so lone surrogates survive the trip
        content = json.dumps(body).encode() if isinstance(body, dict) else body
        return httpx.post(self.url, content=content, timeout=10,
                          headers={**headers, b"Content-Type": b"application/json"})


@pytest.fixture
def served(service: ConversationService, pipeline: NluPipeline,  # noqa: F811
           emulator: Emulator, sessions: sessionmaker[Session]) -> Iterator[Served]:
    on_telegram(sessions, {"王阿姨": WANG, "张伟": ZHANG})
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    settings = Settings(telegram_token=emulator.token, telegram_base_url=emulator.base_url,
                        telegram_webhook_url=url, telegram_webhook_secret=SECRET)
    application = build_application(emulator.token, emulator.base_url)
    app = create_app(service, pipeline, [lambda: run_telegram(settings, service, application)],
                     (application, SECRET))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    emulator.wait_for(lambda: emulator.webhook and server.started, timeout=20)
    yield Served(url, emulator, application)
    server.should_exit = True
    thread.join(timeout=15)


def private_message(user: int, chat: int, text: str, update_id: int = 900) -> dict[str, Any]:
    command = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] \
        if text.startswith("/") else []
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text, "entities": command,
        "chat": {"id": chat, "type": "private"},
        "from": {"id": user, "is_bot": False, "first_name": "Anyone"}}}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_webhook_answers_only_calls_with_the_secret(served: Served,
                                                        sessions: sessionmaker[Session]
                                                        ) -> None:
    assert served.emulator.webhook == {"url": served.url, "secret_token": SECRET}
    report = private_message(ATTACKER, ATTACKER, "3栋停电了", update_id=901)
    assert served.post(report, secret=None).status_code == 403
    assert served.post(report, secret="wrong").status_code == 403
    assert served.post(report, secret=SECRET[:-1]).status_code == 403
    assert served.post(report, secret="sécret".encode()).status_code == 403  # not ASCII
    served.emulator.user_says(4343, "3栋停电了")  # Telegram itself, with the secret
    served.emulator.wait_for(lambda: "BX-" in texts(served.emulator, 4343))
    assert served.emulator.to(ATTACKER) == []  # the refused calls queued nothing
    assert stored_in(sessions, ATTACKER) == 0


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"{}",
                                  b'{"update_id": "nine"}', b"[" * 100_000])
def test_what_is_not_an_update_is_refused_and_the_bot_goes_on(served: Served,
                                                              body: bytes) -> None:
    reply = served.post(body)
    assert reply.status_code == 400 and "Traceback" not in reply.text
    served.emulator.user_says(4343, "你好")
    served.emulator.wait_for(lambda: served.emulator.to(4343))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_forged_chat_gets_nothing_of_the_grid_members_queue(served: Served,
                                                             sessions: sessionmaker[Session]
                                                             ) -> None:
    served.emulator.user_says(WANG, "家里下水道堵了")  # a ticket in 张伟's queue
    served.emulator.wait_for(lambda: "BX-20261121-0001" in texts(served.emulator, WANG))
    # Someone with the grid member's user id in "from", and their own chat in "chat"
    assert served.post(private_message(ZHANG, ATTACKER, "/queue", 902)).status_code == 200
    served.emulator.user_says(ZHANG, "/queue", entities=[
        {"type": "bot_command", "offset": 0, "length": 6}])
    served.emulator.wait_for(lambda: "BX-20261121-0001" in texts(served.emulator, ZHANG))
    assert served.emulator.to(ATTACKER) == []
    assert stored_in(sessions, ATTACKER) == 0


def test_a_generated_secret_is_random_and_one_telegram_accepts() -> None:
    first, second = webhook_secret(None), webhook_secret("")
    assert first != second and len(first) >= 32
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in first + second)
    assert webhook_secret("s3cret") == "s3cret"
    with pytest.raises(ValueError, match="A-Z"):
        webhook_secret("has spaces")


def test_without_a_secret_nothing_is_authentic() -> None:
    assert not authentic(None, "")
    assert not authentic("", "")
    assert not authentic("s3cret", None)
    assert authentic("s3cret", "s3cret")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_secret_is_compared_in_constant_time(served: Served,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert served.post({"update_id": 1}, secret="guess").status_code == 403
    assert compared == [(b"guess", SECRET.encode())]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
def test_what_telegram_sends_is_made_safe_to_store(served: Served,
                                                   sessions: sessionmaker[Session]) -> None:
    """Telegram allows 64 + 64 characters of name (the column holds 100), and JSON carries
    lone surrogates and NUL, which PostgreSQL cannot store: cleaned, never a lost message."""
    report = private_message(4747, 4747, "3栋停电了\ud83d\x00", update_id=903)
    report["message"]["from"].update(first_name="王" * 64, last_name="李" * 64,
                                     username="x\x00y")
    assert served.post(report).status_code == 200
    served.emulator.wait_for(lambda: "BX-" in texts(served.emulator, 4747))
    group = {"update_id": 904, "message": {
        "message_id": 904, "date": int(time.time()), "text": "12号楼电梯坏了\ud800\x00",
        "chat": {"id": -100777, "type": "supergroup", "title": "和平里\x00群\udfff" * 30},
        "from": {"id": 4848, "is_bot": False, "first_name": "邻居\ud800"}}}
    assert served.post(group).status_code == 200
    served.emulator.wait_for(lambda: served.emulator.to(-100777))
    with sessions() as session:
        name = session.scalar(select(Person.name).join(Person.identities).where(
            ChatIdentity.external_id == "4747"))
        said = session.scalars(select(TranscriptMessage.text).where(
            TranscriptMessage.chat_id.in_(["4747", "-100777"]))).all()
        title = session.scalar(select(ChatGroup.title))
    assert name is not None and name.startswith("王" * 64) and len(name) <= 100
    assert title is not None and title.startswith("和平里群\ufffd")
    for text in [*said, title]:
        assert "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)
