"""A notice in a real headless Chromium (Debian's package): staff compose it, watch the audience
preview follow the audience and the schedule, preview it, send it, and see it delivered while
a resident's web chat receives it without typing."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService
from bot.scheduler.jobs import Jobs
from store.models import ChatIdentity
from tests.bot.test_dialogues import (
    NOW,
    service,  # noqa: F401 — the wired service fixture
)
from tests.browser.test_console_browser import console, shot  # noqa: F401 — the page fixture
from tests.browser.test_webchat import browser, send  # noqa: F401 — the Chromium fixture
from tests.console.conftest import (  # noqa: F401
    PASSWORD,
    base_url,
    console_accounts,
)

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
ZH = "本周六上午9点，3号楼前免费体检，请带身份证。"
EN = "Free health checks by building 3 on Saturday at 9:00; bring your ID."


@pytest.fixture
def chat(browser: Browser, base_url: str) -> Iterator[Page]:  # noqa: F811
    """A resident with the web chat open, who has said hello once."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{base_url}/chat")
    page.wait_for_function("() => localStorage.getItem('linli-session') !== null")
    send(page, "你好")
    page.wait_for_selector(".bot")
    yield page
    context.close()


def web_resident(service: ConversationService) -> int:  # noqa: F811
    """The web chat resident's person id, once their hello has been handled."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with service.sessions() as session:
            person = session.scalar(select(ChatIdentity.person_id).where(
                ChatIdentity.channel == "webchat"))
        if person is not None:
            return person
        time.sleep(0.1)
    raise AssertionError("the web chat's hello made no resident")


def count_shown(page: Page) -> str:
    return page.inner_text("#audience-count")


def test_a_notice_is_composed_previewed_and_delivered(
        console: Page, chat: Page, base_url: str,  # noqa: F811
        service: ConversationService) -> None:  # noqa: F811
    resident = web_resident(service)
    page = console
    page.goto(f"{base_url}/console/notices/new")
    page.fill("input[name=username]", "zhao_min")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/notices/new")
    page.wait_for_load_state("load")
    everyone = count_shown(page)
    assert page.locator(f"#audience-people tr[data-person='{resident}']").count() == 1

    # The preview follows the audience without a reload...
    page.select_option("#nt-to", "grid:G2")
    page.wait_for_function("() => document.getElementById('audience-count')"
                           ".textContent.trim() === '共 2 人'")
    assert sorted(page.locator("#audience-people tbody td:first-child").all_inner_texts()) == [
        "Anna Smith", "周小雨"]
    # ...and the schedule: at 23:00 quiet hours hold it until 07:00.
    page.fill("#nt-at", "2026-11-21T23:00")
    page.wait_for_selector("#audience-warnings li[data-code=quiet_hours]")
    assert "07:00" in page.inner_text("#audience-warnings")
    page.check("input[name=kind][value=now]")
    page.wait_for_selector("#audience-warnings li[data-code=quiet_hours]", state="detached")
    page.select_option("#nt-to", "all")
    page.wait_for_function(f"() => document.getElementById('audience-count')"
                           f".textContent.trim() === '{everyone}'")
    page.fill("#nt-zh", ZH)
    page.fill("#nt-en", EN)
    shot(page, "console-notice-compose.png")

    page.click("#nt-preview")
    page.wait_for_selector("#notice-preview")
    assert ZH in page.inner_text("#notice-preview") and EN in page.inner_text("#notice-preview")
    assert page.locator(f"#audience-people tr[data-person='{resident}']").count() == 1
    page.click("#nt-send")
    page.wait_for_url("**/console/notices/*?m=created")
    page.wait_for_load_state("load")
    assert page.locator("#latest-delivery").inner_text().strip() == "还没发出"

    Jobs(current_runtime()).sweep(NOW + dt.timedelta(seconds=1))  # as linli serve does
    chat.wait_for_selector(f".bot >> text={ZH}")  # the resident never typed again
    # The page follows the delivery live: the sending appears, then its delivered count.
    page.wait_for_function("() => { const n = document.querySelector("
                           "'#latest-delivery [data-count=delivered]');"
                           " return n !== null && Number(n.textContent) >= 1; }",
                           timeout=20000)
    shot(page, "console-notice-delivered.png")
    page.goto(f"{base_url}/console/notices")
    row = page.locator("#notices tbody tr").first
    assert "已发出" in row.inner_text() and ZH[:10] in row.inner_text()
