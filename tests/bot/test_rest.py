"""The HTTP service over real HTTP: Rasa's REST channel, /model/parse, health, metrics, chat,
and what the edge makes of strings no database can hold."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService
from bot.rest import create_app
from nlu.pipeline import NluPipeline
from store.database import make_engine
from store.models import ChatIdentity, Direction, TranscriptMessage
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def base_url(service: ConversationService, pipeline: NluPipeline) -> Iterator[str]:  # noqa: F811
    with serving(create_app(service, pipeline)) as url:
        yield url


def post_raw(url: str, body: Any, **kwargs: Any) -> httpx.Response:
    """POST ``body`` as JSON with every non-ASCII character escaped, so lone surrogates
    (valid JSON, unencodable UTF-8) reach the server as a client may send them."""
    return httpx.post(url, content=json.dumps(body).encode("ascii"),
                      headers={"Content-Type": "application/json"}, **kwargs)


def stored_inbound(sessions: sessionmaker[Session], chat_id: str) -> list[TranscriptMessage]:
    with sessions() as session:
        return list(session.scalars(select(TranscriptMessage).where(
            TranscriptMessage.channel == "rest", TranscriptMessage.chat_id == chat_id,
            TranscriptMessage.direction == Direction.IN)))


def test_rest_channel_answers_like_rasa(base_url: str) -> None:
    reply = httpx.post(f"{base_url}/webhooks/rest/webhook",
                       json={"sender": "tester", "message": "12号楼1单元302卫生间下水道堵了"})
    assert reply.status_code == 200
    messages = reply.json()
    assert messages and all(m["recipient_id"] == "tester" for m in messages)
    assert "BX-20261121-0001" in messages[0]["text"]


def test_numeric_sender_and_retry_with_message_id(base_url: str) -> None:
    body = {"sender": 42, "message": "3栋停电了", "message_id": "abc"}
    first = httpx.post(f"{base_url}/webhooks/rest/webhook", json=body).json()
    again = httpx.post(f"{base_url}/webhooks/rest/webhook", json=body).json()
    assert first == again and first[0]["recipient_id"] == "42"


@pytest.mark.parametrize("body", [b"not json", b'{"message": "hi"}', b'{"sender": null}',
                                  b'{"sender": false, "message": "hi"}',
                                  b'{"sender": "a", "message_id": true}'])
def test_malformed_requests_are_refused_cleanly(base_url: str, body: bytes) -> None:
    reply = httpx.post(f"{base_url}/webhooks/rest/webhook", content=body,
                       headers={"Content-Type": "application/json"})
    assert reply.status_code == 422
    assert "Traceback" not in reply.text


def test_model_parse(base_url: str) -> None:
    result = httpx.post(f"{base_url}/model/parse", json={"text": "3栋电梯坏了"}).json()
    assert result["intent"]["name"] == "report_repair" and result["language"] == "zh"


def test_health_metrics_and_chat_page(base_url: str) -> None:
    assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok", "database": "ok"}
    httpx.post(f"{base_url}/webhooks/rest/webhook", json={"sender": "m", "message": "hi"})
    metrics = httpx.get(f"{base_url}/metrics").text
    assert "linli_messages_total 1" in metrics
    page = httpx.get(f"{base_url}/", follow_redirects=True)
    assert page.status_code == 200 and "/chat/assets/chat.js" in page.text
    script = httpx.get(f"{base_url}/chat/assets/chat.js").text  # the page's text is escaped
    assert "textContent" in script and "innerHTML" not in script


@pytest.mark.parametrize("field", ["sender", "message", "message_id"])
def test_a_lone_surrogate_is_replaced_and_the_message_kept(
        base_url: str, sessions: sessionmaker[Session], field: str) -> None:
    body = {"sender": "lone", "message": "3栋停电了", "message_id": "m-1"}
    body[field] = body[field] + "\ud800"
    reply = post_raw(f"{base_url}/webhooks/rest/webhook", body)
    assert reply.status_code == 200, reply.text
    sender = "lone\ufffd" if field == "sender" else "lone"
    assert reply.json()[0]["recipient_id"] == sender
    [stored] = stored_inbound(sessions, sender)
    assert stored.text == ("3栋停电了\ufffd" if field == "message" else "3栋停电了")
    assert stored.external_id == ("m-1\ufffd" if field == "message_id" else "m-1")


def test_a_valid_surrogate_pair_is_kept_as_the_character_it_makes(
        base_url: str, sessions: sessionmaker[Session]) -> None:
    reply = post_raw(f"{base_url}/webhooks/rest/webhook", {"sender": "emoji", "message": "🙂"})
    assert reply.status_code == 200
    assert [m.text for m in stored_inbound(sessions, "emoji")] == ["🙂"]


def test_a_nul_in_the_sender_is_removed_and_the_message_kept(
        base_url: str, sessions: sessionmaker[Session]) -> None:
    reply = httpx.post(f"{base_url}/webhooks/rest/webhook",
                       json={"sender": "nul\x00sender", "message": "hi\x00 there"})
    assert reply.status_code == 200, reply.text
    assert reply.json()[0]["recipient_id"] == "nulsender"
    assert [m.text for m in stored_inbound(sessions, "nulsender")] == ["hi there"]


@pytest.mark.parametrize("field", ["sender", "message_id"])
def test_an_id_too_long_to_store_is_refused_with_a_reason(
        base_url: str, sessions: sessionmaker[Session], field: str) -> None:
    body = {"sender": "ok", "message": "hi", field: "x" * 101}
    reply = httpx.post(f"{base_url}/webhooks/rest/webhook", json=body)
    assert reply.status_code == 422
    [error] = reply.json()["detail"]
    assert error["loc"] == ["body", field] and "at most 100" in error["msg"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(TranscriptMessage).where(
            TranscriptMessage.channel == "rest")) == 0
    exactly = httpx.post(f"{base_url}/webhooks/rest/webhook", json={**body, field: "x" * 100})
    assert exactly.status_code == 200


def test_an_empty_sender_is_refused(base_url: str, sessions: sessionmaker[Session]) -> None:
    reply = httpx.post(f"{base_url}/webhooks/rest/webhook", json={"sender": " ", "message": "hi"})
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "sender"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChatIdentity).where(
            ChatIdentity.channel == "rest")) == 0


def test_model_parse_takes_a_lone_surrogate(base_url: str) -> None:
    reply = post_raw(f"{base_url}/model/parse", {"text": "3栋电梯坏了\udfff"})
    assert reply.status_code == 200
    assert reply.json()["text"] == "3栋电梯坏了\ufffd"
    assert reply.json()["intent"]["name"] == "report_repair"


@pytest.mark.parametrize("path", ["/chat", "/healthz", "/webhooks/rest/webhook", "/nowhere",
                                  "/chat/assets/chat.js"])
def test_every_response_carries_the_security_headers(base_url: str, path: str) -> None:
    if path.startswith("/webhooks"):
        reply = httpx.post(base_url + path, json={"sender": "h", "message": "hi"})
    else:
        reply = httpx.get(base_url + path)
    csp = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    if path.startswith("/chat"):  # the page keeps its own policy: its script must run
        assert "script-src 'self'" in csp
    else:
        assert "default-src 'none'" in csp


def test_database_errors_never_show_the_values_bound(tmp_path: Any) -> None:
    """Tracebacks in the log must not carry residents' ids and names."""
    engine = make_engine(f"sqlite:///{tmp_path / 'hidden.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE who (name TEXT UNIQUE)")
        connection.exec_driver_sql("INSERT INTO who VALUES (?)", ("王阿姨 13812345678",))
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO who VALUES (?)", ("王阿姨 13812345678",))
    assert "13812345678" not in str(raised.value)
    assert "hidden" in str(raised.value)
