"""The web chat in a real headless Chromium (Debian's package), talking to the real server over
socket.io: pushes while the resident is idle, history after a reload, buttons, photos."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService, Incoming
from bot.scheduler.jobs import Jobs
from store.models import Media, Ticket, TicketAttachment, TicketStatus
from tests.bot.test_dialogues import (
    NOW,
    service,  # noqa: F401 — the wired service fixture
)
from tests.bot.test_rest import base_url  # noqa: F401 — the HTTP server fixture
from tests.bot.test_webchat_socketio import png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs Debian's chromium (.ci/run); it is missing")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.goto(f"{base_url}/chat")
    page.wait_for_function("() => localStorage.getItem('linli-session') !== null")
    yield page
    context.close()
    assert problems == [], "the page logged errors (a CSP refusal shows up here)"


def send(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("form button[type=submit]")


def grid_member(service: ConversationService, text: str) -> None:  # noqa: F811
    """The grid member works the ticket from their own channel, not the resident's page (in
    a thread of its own: Playwright's event loop holds this one)."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run,
                      service.handle(Incoming("shell", "zhang_wei", "zhang_wei", text))).result()


def scrolled_to_the_end(page: Page) -> bool:
    return bool(page.evaluate(
        "() => { const log = document.getElementById('log');"
        " return log.scrollHeight - log.scrollTop - log.clientHeight < 2; }"))


def test_a_newcomer_reports_a_repair_in_the_browser(page: Page, tmp_path: Path) -> None:
    send(page, "电梯又坏了")
    page.wait_for_selector(".bot >> text=几号楼")
    send(page, "7")
    page.wait_for_selector(".bot >> text=BX-20261121-0001")
    assert "王芳" in page.inner_text("#log")
    send(page, "English please")
    page.wait_for_selector(".bot >> text=in English")
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)


def test_markup_is_shown_as_text_never_run(page: Page) -> None:
    send(page, "<img src=x onerror=\"document.title='pwned'\"> 3栋停水")
    # filed ("已为您登记报修") or, the markup making the reading unsure, offered with the
    # resident's words quoted ("要我帮您登记报修吗（“<img src=x …”）"): either way as text
    page.wait_for_selector(".bot >> text=/登记报修/")
    assert page.title() != "pwned"
    assert "<img src=x" in page.inner_text(".me")


def test_updates_and_the_poll_arrive_while_the_resident_is_idle(
        page: Page, service: ConversationService,  # noqa: F811
        sessions: sessionmaker[Session]) -> None:
    send(page, "5号楼2单元楼道灯不亮了")
    page.wait_for_selector(".bot >> text=BX-20261121-0001")
    grid_member(service, '/accept{"ticket_id": "BX-20261121-0001"}')
    page.wait_for_selector(".bot >> text=接单")
    grid_member(service, "/resolve BX-20261121-0001 换了新的声控灯")
    page.wait_for_selector(".bot >> text=换了新的声控灯")
    assert page.locator(".me").count() == 1  # the resident never typed again
    Jobs(current_runtime()).sweep(NOW + dt.timedelta(minutes=10))  # the poll falls due
    page.wait_for_selector(".buttons button >> text=很满意")
    assert page.locator(".me").count() == 1
    assert scrolled_to_the_end(page)
    page.click(".buttons button >> text=很满意")  # a web resident can rate the repair
    page.wait_for_selector(".bot >> text=谢谢您的评价")
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == "BX-20261121-0001"))
        assert ticket is not None and ticket.status == TicketStatus.CLOSED


def test_a_reload_keeps_the_conversation(page: Page,
                                         service: ConversationService) -> None:  # noqa: F811
    send(page, "换个语言")
    page.wait_for_selector(".buttons button >> text=English")
    send(page, "5号楼2单元楼道灯不亮了")
    page.wait_for_selector(".bot >> text=BX-20261121-0001")
    grid_member(service, "/resolve BX-20261121-0001 换了新的声控灯")
    page.wait_for_selector(".bot >> text=换了新的声控灯")
    session = page.evaluate("localStorage.getItem('linli-session')")
    before = page.inner_text("#log")

    page.reload()
    page.wait_for_selector(".bot >> text=换了新的声控灯")
    assert page.inner_text("#log") == before
    assert page.evaluate("localStorage.getItem('linli-session')") == session
    # what was answered before the reload cannot be answered again
    assert page.locator(".buttons button >> text=English").is_disabled()
    answers = page.locator(".bot").count()
    send(page, "谢谢")  # the conversation goes on in the same session
    page.wait_for_function(f"() => document.querySelectorAll('.bot').length > {answers}")
    assert page.locator(".me").count() == 3


def test_buttons_are_disabled_once_used(page: Page) -> None:
    page.click("#quick button >> text=活动")
    page.wait_for_selector(".buttons button >> text=报名 >> nth=3")
    signups = page.locator(".buttons button >> text=报名")
    # the events came as one answer: each can still be chosen
    assert [signups.nth(i).is_enabled() for i in range(4)] == [True] * 4
    assert scrolled_to_the_end(page)  # down to the last button
    signups.nth(1).click()
    page.wait_for_selector(".me >> text=报名")
    assert [signups.nth(i).is_disabled() for i in range(4)] == [True] * 4
    assert "chosen" in (signups.nth(1).get_attribute("class") or "")

    send(page, "换个语言")
    page.wait_for_selector(".buttons button >> text=English")
    send(page, "你好")  # typed instead of pressing: the question's buttons retire
    page.wait_for_selector(".me >> text=你好")
    assert page.locator(".buttons button >> text=English").is_disabled()


def test_shortcuts_speak_the_page_language(browser: Browser, base_url: str) -> None:  # noqa: F811
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{base_url}/chat")
    page.click("#quick button >> text=My requests")
    page.wait_for_selector(".bot >> text=no repairs or complaints")
    assert page.inner_text(".me") == "My requests"
    page.click("#quick button >> text=Repair")  # asks for the resident's own words
    page.wait_for_selector(".bot >> text=what is broken")
    page.click("#switch")
    page.wait_for_selector("#quick button >> text=报修")
    context.close()


def test_a_photo_is_attached_to_the_report(page: Page, tmp_path: Path,
                                           sessions: sessionmaker[Session]) -> None:
    send(page, "3号楼1单元门口的路灯坏了")
    page.wait_for_selector(".bot >> text=BX-20261121-0001")
    photo = tmp_path / "lamp.png"
    photo.write_bytes(png(640, 480))
    page.set_input_files("#photo", str(photo))
    page.wait_for_selector(".bot >> text=照片已附在工单")
    page.wait_for_selector("img.me")
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == "BX-20261121-0001"))
        assert ticket is not None
        [attached] = session.scalars(select(TicketAttachment).where(
            TicketAttachment.ticket_id == ticket.id)).all()
        stored = session.scalar(select(Media).where(
            Media.token == attached.file_id.removeprefix("media:")))
        assert stored is not None
        # the page sent a JPEG it drew itself (smaller, and without the camera's details)
        assert stored.content_type == "image/jpeg" and stored.data.startswith(b"\xff\xd8\xff")


def test_ticket_numbers_never_wrap(page: Page) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    send(page, "12号楼1单元302卫生间下水道堵了，已经好几天了，麻烦尽快派人来看看")
    page.wait_for_selector(".ticket >> text=BX-20261121-0001")
    for index in range(page.locator(".nowrap").count()):
        lines = page.locator(".nowrap").nth(index).evaluate("e => e.getClientRects().length")
        assert lines == 1


def test_chinese_is_drawn_with_a_chinese_font(page: Page) -> None:
    """The font Chromium really used for the greeting, as its DevTools report it."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("DOM.enable")
    devtools.send("CSS.enable")
    root = devtools.send("DOM.getDocument")["root"]["nodeId"]
    greeting = devtools.send("DOM.querySelector", {"nodeId": root, "selector": ".bot"})
    fonts = devtools.send("CSS.getPlatformFontsForNode", {"nodeId": greeting["nodeId"]})["fonts"]
    used = {font["familyName"] for font in fonts}
    assert used & {"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                   "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei"}, used
