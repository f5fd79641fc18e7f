"""The web chat in a real headless Chromium (Debian's package), talking to the real server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import base_url  # noqa: F401 — the HTTP server fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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
    page = browser.new_page()
    page.goto(f"{base_url}/chat")
    yield page
    page.close()


def send(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("form button[type=submit]")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_newcomer_reports_a_repair_in_the_browser(page: Page, tmp_path: Path) -> None:
    send(page, "电梯又坏了")
    page.wait_for_selector(".bot >> text=几号楼")
    send(page, "7")
    page.wait_for_selector(".bot >> text=BX-20261121-0001")
    assert "王芳" in page.inner_text("#log")
    send(page, "English please")
    page.wait_for_selector(".bot >> text=in English")
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_markup_is_shown_as_text_never_run(page: Page) -> None:
    send(page, "<img src=x onerror=\"document.title='pwned'\"> 3栋停水")
    page.wait_for_selector(".bot >> text=BX-")
    assert page.title() != "pwned"
    assert "<img src=x" in page.inner_text(".me")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_buttons_can_be_pressed_instead_of_typing(page: Page) -> None:
    send(page, "换个语言")
    page.wait_for_selector(".buttons button >> text=English")
    page.click(".buttons button >> text=English")
    page.wait_for_selector(".bot >> text=in English")
