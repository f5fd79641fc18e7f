"""The staff board in a real headless Chromium (Debian's package): a resident's emergency
appears on the open board without a reload, and resolving a ticket from the browser brings the
resident their satisfaction poll."""

from __future__ import annotations

import datetime as dt
import re
import threading

from playwright.sync_api import Page, expect
from sqlalchemy import select

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService
from bot.scheduler.jobs import Jobs
from store.models import OutboxMessage
from tests.bot.test_dialogues import (
    NOW,
    service,  # noqa: F401 — the wired service fixture
    talker,
)
from tests.browser.test_console_browser import console, pytestmark, shot  # noqa: F401
from tests.browser.test_webchat import browser  # noqa: F401 — the Chromium fixture
from tests.console.conftest import (  # noqa: F401
    PASSWORD,
    base_url,
    console_accounts,
)
from tests.console.test_operator_api import say

#: The board looks at the database every 2 s; a little more than two rounds.
LIVE = 8_000


def test_an_emergency_appears_live_and_resolving_it_brings_the_poll(
        console: Page, base_url: str, service: ConversationService) -> None:  # noqa: F811
    say(base_url, "r-lift", "12号楼电梯坏了")
    page = console
    page.goto(f"{base_url}/console/login")
    page.fill("input[name=username]", "zhao_min")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/tickets")  # staff open on the board
    expect(page.locator("#board-live")).to_be_visible(timeout=LIVE)
    assert page.locator("#tickets tbody tr").count() == 1
    page.evaluate("window.stillTheSamePage = true")

    fire = say(base_url, "r-fire", "着火了 1号楼 快来人")
    found = re.search(r"JJ-\d{8}-\d{4}", "\n".join(fire))
    assert found is not None, fire
    number = found.group()
    row = page.locator(f'#tickets tr[data-number="{number}"]')
    expect(row).to_be_visible(timeout=LIVE)
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    assert page.locator("#tickets tbody tr").first.get_attribute("data-number") == number
    assert "urgent" in (row.get_attribute("class") or "")
    expect(page.locator("#count-emergencies strong")).to_have_text("1")
    shot(page, "console-board.png")

    row.locator("a").first.click()
    page.wait_for_url(f"**/console/tickets/{number}")
    assert "着火了" in page.locator("#ticket-text").inner_text()
    shot(page, "console-ticket.png")
    # The grid member accepts it from his phone (in a thread: Playwright holds this one's loop).
    accepting = threading.Thread(target=talker(service, "zhang_wei"), args=(f"/accept {number}",))
    accepting.start()
    accepting.join(timeout=30)
    expect(page.locator("#ticket-news")).to_be_visible(timeout=LIVE)
    page.fill("#do-resolve textarea[name=note]", "消防已处置，明火扑灭")
    page.click("#do-resolve button")
    expect(page.locator("#ticket-done")).to_be_visible()
    assert "消防已处置" in page.locator("#ticket-events").inner_text()

    Jobs(current_runtime()).sweep(NOW + dt.timedelta(minutes=10))  # the scheduler's round
    with service.sessions() as session:
        queued = session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.chat_id == "r-fire")).all()
    assert any("打个分" in text and number in text for text in queued)
    # the resident reads the outcome and the poll on their channel the next time they write
    heard = "\n".join(say(base_url, "r-fire", "好的"))
    assert "消防已处置" in heard and "打个分" in heard

    page.goto(f"{base_url}/console/tickets")
    expect(page.locator(f'#tickets tr[data-number="{number}"]')).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/console/tickets")
    shot(page, "console-board-phone.png")
