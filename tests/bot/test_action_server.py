"""The same actions, served unchanged by ``python -m rasa_sdk --actions actions``, called over
HTTP by the flow runner."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.conversation import ConversationService, Incoming
from bot.settings import Settings
from bot.wiring import build_runtime, build_service, load_community_file
from flows.executor import HttpActions
from nlu.pipeline import NluPipeline
from tests.bot.test_rest import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def action_server(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    settings = Settings(home=tmp_path)
    runtime = build_runtime(settings)
    load_community_file(runtime, settings.config_dir / "community.demo.yml")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)],
        cwd=tmp_path, env=dict(os.environ, LINLI_HOME=str(tmp_path), PYTHONPATH=str(REPO)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.time() < deadline and server.poll() is None, "action server did not start"
        time.sleep(0.3)
    yield f"http://127.0.0.1:{port}/webhook", settings
    server.terminate()
    server.wait(timeout=10)


def test_a_report_through_the_action_server(action_server: tuple[str, Settings],
                                            pipeline: NluPipeline) -> None:
    url, settings = action_server
    service: ConversationService = build_service(build_runtime(settings), pipeline,
                                                 actions=HttpActions(url))

    def say(text: str, message_id: str) -> str:
        replies = asyncio.run(service.handle(Incoming("rest", "r1", "r1", text, message_id)))
        return "\n".join(r["text"] for r in replies)

    assert "几号楼" in say("家里停水了", "1")
    assert "没找到这栋楼" in say("99", "2")  # the validation action runs on the server too
    created = say("7", "3")
    assert "BX-" in created and "王芳" in created
    assert "已派给网格员" in say("我的工单怎么样了", "4")


def test_rasa_style_calls_without_linli_slots(action_server: tuple[str, Settings]) -> None:
    """Rasa itself calls the actions with only its own slots: the sender is the resident."""
    url, _ = action_server
    tracker = {"sender_id": "rasa-user-1", "slots": {"building": "7", "category": "elevator"},
               "latest_message": {"text": "7号楼电梯坏了", "language": "zh",
                                  "intent": {"name": "report_repair", "confidence": 0.99},
                                  "entities": []},
               "events": [], "paused": False, "followup_action": None, "active_loop": {},
               "latest_action_name": None}
    created = httpx.post(url, json={"next_action": "action_open_ticket",
                                    "sender_id": "rasa-user-1", "tracker": tracker,
                                    "domain": {}, "version": "3.6.21"}).json()
    assert created["responses"][0]["response"] == "utter_ticket_created"
    assert created["responses"][0]["grid_member"] == "王芳"
    status = httpx.post(url, json={"next_action": "action_ticket_status",
                                   "sender_id": "rasa-user-1", "tracker": tracker,
                                   "domain": {}, "version": "3.6.21"}).json()
    assert status["responses"][0]["ticket"] == created["responses"][0]["ticket"]
