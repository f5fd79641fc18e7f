"""`linli serve` with a Telegram token runs the bot: polling, answering and delivering."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.telegram import SECRET_HEADER
from nlu.pipeline import NluPipeline
from tests.bot.test_rest import free_port
from tests.telegram.emulator import Emulator
from tests.telegram.test_webhook import private_message

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


def webhook_env(emulator: Emulator, linli_home: Path, tmp_path: Path, port: int,
                **extra: str) -> dict[str, str]:
    """`linli serve` in webhook mode, reusing the session's trained model; no secret set
    unless ``extra`` sets one."""
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "nlu").symlink_to(linli_home / "models" / "nlu")
    env = {key: value for key, value in os.environ.items()
           if key != "LINLI_TELEGRAM_WEBHOOK_SECRET"}
    return dict(env, LINLI_HOME=str(home), LINLI_TELEGRAM_TOKEN=emulator.token,
                LINLI_TELEGRAM_BASE_URL=emulator.base_url,
                LINLI_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook", **extra)


def test_a_webhook_without_a_configured_secret_is_never_open(
        emulator: Emulator, linli_home: Path, pipeline: NluPipeline, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                              cwd=REPO, env=webhook_env(emulator, linli_home, tmp_path, port),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        secret = emulator.wait_for(lambda: emulator.webhook, timeout=60)["secret_token"]
        assert secret and len(secret) >= 32  # made at start-up, registered with setWebhook
        forged = private_message(4444, 4444, "3栋停电了")
        assert httpx.post(url, json=forged).status_code == 403
        assert httpx.post(url, json=forged, headers={SECRET_HEADER: ""}).status_code == 403
        emulator.user_says(4545, "3栋停电了")  # Telegram, which was given the secret
        reply = emulator.wait_for(lambda: emulator.to(4545), timeout=30)[0]
        assert "BX-" in reply.text
        assert emulator.to(4444) == []
    finally:
        server.terminate()
        server.communicate(timeout=20)


def test_a_secret_telegram_would_refuse_stops_the_start(
        emulator: Emulator, linli_home: Path, pipeline: NluPipeline, tmp_path: Path) -> None:
    port = free_port()
    env = webhook_env(emulator, linli_home, tmp_path, port,
                      LINLI_TELEGRAM_WEBHOOK_SECRET="has spaces")
    done = subprocess.run([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "LINLI_TELEGRAM_WEBHOOK_SECRET" in done.stderr
    assert emulator.webhook is None
