"""`linli serve` with a Telegram token runs the bot: polling, answering and delivering."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

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
