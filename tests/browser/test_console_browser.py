"""The operator console in a real headless Chromium (Debian's package): log in, search, open a
conversation, correct an entity by selecting its words."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from bot.conversation import ConversationService
from store.corrections import latest_corrections
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.browser.test_webchat import browser  # noqa: F401 — the Chromium fixture
from tests.console.conftest import (  # noqa: F401
    PASSWORD,
    base_url,
    console_accounts,
)
from tests.console.test_operator_api import say

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
#: Set to a folder to save screenshots of the pages (docs/console_screenshots.py does).
SHOTS = os.environ.get("LINLI_CONSOLE_SHOTS")


@pytest.fixture
def console(browser: Browser, base_url: str) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    yield page
    context.close()
    # The wrong password's page is a 401 on purpose; anything else is a fault.
    problems = [p for p in problems if "status of 401" not in p]
    assert problems == [], "the page logged errors (a CSP refusal shows up here)"


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_an_operator_finds_a_message_and_corrects_an_entity_by_selecting_it(
        console: Page, base_url: str, service: ConversationService) -> None:  # noqa: F811
    say(base_url, "r1", "三号楼的灯坏了好几天了，电话13812345678")
    say(base_url, "r1", "谢谢")
    say(base_url, "r2", "今天天气怎么样")
    say(base_url, "r3", "hello, the lift in block 9 is stuck")
    page = console
    page.goto(f"{base_url}/console/messages")
    assert "/console/login" in page.url
    shot(page, "console-login.png")
    page.fill("input[name=username]", "sun_li")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert page.locator(".error").is_visible()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/messages")
    shot(page, "console-messages.png")

    page.fill("#q", "灯坏了")
    page.click("#filters button[type=submit]")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1
    assert "138****5678" in rows.first.inner_text() and "13812345678" not in page.content()
    rows.first.locator("a").click()
    page.wait_for_selector("#selectable")
    page.wait_for_load_state("load")  # the script that reads selections has run
    assert page.locator("#timeline li").count() >= 2  # the message and the bot's reply

    # Select "三号楼" (the first three characters) as the operator would with the mouse.
    page.evaluate("""() => {
        const node = document.getElementById('selectable').firstChild;
        const range = document.createRange();
        range.setStart(node, 0); range.setEnd(node, 3);
        const selection = window.getSelection();
        selection.removeAllRanges(); selection.addRange(range);
        document.getElementById('selectable').dispatchEvent(new MouseEvent('mouseup'));
    }""")
    assert page.input_value("#new-start") == "0" and page.input_value("#new-end") == "3"
    page.select_option("#new-entity", "building")
    page.select_option("#intent", "report_repair")
    shot(page, "console-conversation.png")
    page.click("#correct button[type=submit]")
    page.wait_for_selector(".notice")
    assert "building=3" in page.locator("#timeline li.current").inner_text()
    with service.sessions() as session:
        made = latest_corrections(session)
    assert [(c.intent, c.entities[-1]) for c in made] == [
        ("report_repair", {"entity": "building", "value": "3", "start": 0, "end": 3})]

    page.goto(f"{base_url}/console/review")
    shot(page, "console-review.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/console/messages")
    shot(page, "console-phone.png")
    # Switch to English: the account's language changes and stays.
    page.click("button[name=language]")
    assert page.locator("h1").inner_text() == "Conversations"
    assert httpx.get(f"{base_url}/console/api/session").status_code == 401
