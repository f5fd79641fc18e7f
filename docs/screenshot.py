"""Make docs/webchat.png: the web chat on a phone (390×844) in a short conversation in Chinese.

    .venv/bin/python docs/screenshot.py [OUT.png]

The whole service runs on a fresh database in a temporary LINLI_HOME (the demo community, the
NLU trained on the packaged data). A resident reports a repair on the page; the grid member
accepts and resolves it from their own chat; the satisfaction poll falls due. The last three
arrive on the page while the resident is idle. Needs Debian's chromium and fonts-noto-cjk
(fonts-noto-color-emoji draws the bot's emoji as a phone does).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, ViewportSize, sync_playwright

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService, Incoming
from bot.rest import create_app
from bot.scheduler.jobs import Jobs
from bot.settings import Settings
from bot.wiring import build_webchat, prepare

PHONE: ViewportSize = {"width": 390, "height": 844}
OUT = Path(__file__).resolve().parent / "webchat.png"


def grid_member(service: ConversationService, text: str) -> None:
    """What the grid member does in their own chat (a thread: Playwright holds this loop)."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, service.handle(
            Incoming("shell", "zhang_wei", "zhang_wei", text))).result()


def converse(page: Page, service: ConversationService) -> None:
    page.fill("#text", "5号楼2单元楼道灯不亮了，晚上上楼看不见")
    page.click("#send")
    page.wait_for_selector(".bot >> text=BX-")
    number = re.search(r"BX-\d{8}-\d{4}", page.inner_text("#log"))
    assert number is not None
    grid_member(service, f'/accept{{"ticket_id": "{number[0]}"}}')
    page.wait_for_selector(".bot >> text=接单")
    grid_member(service, f"/resolve {number[0]} 换了新的声控灯，楼道里亮了")
    page.wait_for_selector(".bot >> text=换了新的声控灯")
    runtime = current_runtime()
    with ThreadPoolExecutor(1) as thread:  # the poll falls due ten minutes later
        thread.submit(Jobs(runtime).sweep, runtime.now() + dt.timedelta(minutes=11)).result()
    page.wait_for_selector(".buttons button >> nth=4")
    time.sleep(0.5)  # let the last scroll settle


def main(out: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("needs Debian's chromium: apt-get install chromium fonts-noto-cjk")
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        pipeline, service = prepare(settings, lambda message: print(message, file=sys.stderr))
        app = create_app(service, pipeline, webchat=build_webchat(settings, service))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium,
                                                     args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport=PHONE, locale="zh-CN")
                page.goto(f"http://127.0.0.1:{port}/chat")
                converse(page, service)
                page.screenshot(path=str(out))
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
