"""`linli serve` with a Telegram token runs the bot: polling, answering and delivering."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nlu.pipeline import NluPipeline
from tests.bot.test_rest import free_port
from tests.telegram.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


def test_serve_talks_to_telegram(emulator: Emulator, linli_home: Path, pipeline: NluPipeline,
                                 tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    # reuse the session's trained model instead of training again
    (home / "models" / "nlu").symlink_to(linli_home / "models" / "nlu")
    env = dict(os.environ, LINLI_HOME=str(home), LINLI_TELEGRAM_TOKEN=emulator.token,
               LINLI_TELEGRAM_BASE_URL=emulator.base_url)
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(free_port())],
                              cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        emulator.user_says(4242, "12号楼1单元302卫生间下水道堵了")
        reply = emulator.wait_for(lambda: emulator.to(4242), timeout=60)[0]
        assert "BX-" in reply.text and "刘洋" in reply.text
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "Telegram: polling" in output, output


def test_serve_in_webhook_mode(emulator: Emulator, linli_home: Path, pipeline: NluPipeline,
                               tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "nlu").symlink_to(linli_home / "models" / "nlu")
    port = free_port()
    env = dict(os.environ, LINLI_HOME=str(home), LINLI_TELEGRAM_TOKEN=emulator.token,
               LINLI_TELEGRAM_BASE_URL=emulator.base_url,
               LINLI_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
               LINLI_TELEGRAM_WEBHOOK_SECRET="s3cret")
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        emulator.wait_for(lambda: emulator.webhook, timeout=60)
        assert emulator.webhook == {"url": f"http://127.0.0.1:{port}/telegram/webhook",
                                    "secret_token": "s3cret"}
        emulator.user_says(4343, "3栋停电了")
        reply = emulator.wait_for(lambda: emulator.to(4343), timeout=30)[0]
        assert "BX-" in reply.text
        forged = httpx.post(f"http://127.0.0.1:{port}/telegram/webhook", json={"update_id": 9},
                            headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert forged.status_code == 403
    finally:
        server.terminate()
        server.communicate(timeout=20)
