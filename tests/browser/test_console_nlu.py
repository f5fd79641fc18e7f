"""An operator in a real headless Chromium retrains the model with the progress in view,
reads the comparison and activates the new version; the bot then answers differently."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from bot.conversation import ConversationService
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.browser.test_console_browser import shot
from tests.browser.test_webchat import browser  # noqa: F401 — headless Chromium
from tests.console.conftest import PASSWORD, console_accounts  # noqa: F401
from tests.console.test_nlu_models import base_url, corrected, parse, parser  # noqa: F401

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture
def operator_page(browser: Browser, base_url: str) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.goto(f"{base_url}/console/login")
    page.fill("input[name=username]", "anna_op")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], form button")
    page.wait_for_url(re.compile(r".*/console/(messages|home).*"))
    yield page
    context.close()
    assert problems == [], "the page logged errors (a CSP refusal shows up here)"


def test_retrain_with_visible_progress_then_activate(
        operator_page: Page, base_url: str, service: ConversationService  # noqa: F811
) -> None:
    page = operator_page
    text = "物业能不能在小区门口装个快递柜啊"
    before = parse(base_url, text)
    wanted = "ask_faq" if before != "ask_faq" else "make_suggestion"
    corrected(service, text, wanted)

    page.click("nav.menu >> text=Models")
    page.wait_for_url(re.compile(r".*/console/nlu/models$"))
    page.click("#nlu-train")

    page.wait_for_url(re.compile(r".*/console/nlu/jobs/[0-9-a-f]+$"))
    # The bar moves while the job runs, without reloading the page.
    page.wait_for_function("() => { const bar = document.getElementById('nlu-job-bar');"
                           " return bar && bar.value > 0.05 && bar.value < 1; }",
                           timeout=120_000)
    assert re.fullmatch(r"\d+%", page.inner_text("#nlu-job-percent"))
    assert page.inner_text("#nlu-job-stage").strip() != ""
    shot(page, "console-training.png")
    page.wait_for_url(re.compile(r".*/console/nlu/models/[0-9-a-f]+$"), timeout=300_000)
    changed = page.inner_text("#nlu-compare-corrections table.changed")
    assert text in changed and wanted in changed
    assert parse(base_url, text) == before
    shot(page, "console-compare.png")

    page.click("#nlu-activate")

    page.wait_for_url(re.compile(r".*/console/nlu/models\?m=activated$"))
    assert page.inner_text("#nlu-message") != ""
    assert page.inner_text("#nlu-active") not in ("", "Packaged model (training data only)")
    assert parse(base_url, text) == wanted
    shot(page, "console-models.png")
