"""The HTTP service over real HTTP: Rasa's REST channel, /model/parse, health, metrics, chat."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from bot.conversation import ConversationService
from bot.rest import create_app
from nlu.pipeline import NluPipeline
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def base_url(service: ConversationService, pipeline: NluPipeline) -> Iterator[str]:  # noqa: F811
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service, pipeline), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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


@pytest.mark.parametrize("body", [b"not json", b'{"message": "hi"}', b'{"sender": null}'])
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
