"""Community data in a real headless Chromium: an admin fixes a phone (the error shows next to
the field), uploads a file with a bad row (named by its line, nothing written), then a good
one, previews it and confirms it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from bot.conversation import ConversationService
from store.privacy import find_person
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.browser.test_console_browser import shot
from tests.browser.test_webchat import browser  # noqa: F401 — the Chromium fixture
from tests.console.conftest import (  # noqa: F401
    PASSWORD,
    base_url,
    console_accounts,
)

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
HEADER = "key,name,phone,language,roles,home,identities"


@pytest.fixture
def admin(browser: Browser, base_url: str) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "status of 422" not in message.text else None)
    page.goto(f"{base_url}/console/community")
    page.fill("input[name=username]", "admin_a")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/community")
    yield page
    context.close()
    assert problems == [], "the page logged errors (a CSP refusal shows up here)"


def test_an_admin_edits_and_imports_people(
        admin: Page, base_url: str, tmp_path: Path,  # noqa: F811
        service: ConversationService) -> None:  # noqa: F811
    page = admin
    shot(page, "console-community.png")
    page.click("#community-tables a[href$='/community/people']")
    page.fill("input[name=q]", "王阿姨")
    page.click("form.row button")
    assert "139****0001" in page.locator("#community-rows").inner_text()
    page.click("#community-rows a")
    page.fill("input[name=phone]", "139 1234")
    page.click("#community-form button.primary")
    assert page.locator(".field-error[data-field=phone]").is_visible()
    shot(page, "console-community-edit.png")
    page.fill("input[name=phone]", "13912345678")
    page.click("#community-form button.primary")
    page.wait_for_selector("#community-message")

    bad = tmp_path / "people.csv"
    bad.write_text("\n".join([HEADER, "newcomer,新来的,13912340100,zh,resident,99-1-101,",
                              "he_dama,何大妈,13912340006,zh,resident,1-1-101,"]) + "\n",
                   encoding="utf-8")
    page.goto(f"{base_url}/console/community/people/import")
    page.set_input_files("input[name=file]", str(bad))
    page.click("form[enctype] button")
    errors = page.locator("tr.row-error")
    assert errors.count() == 1 and errors.first.locator("td").first.inner_text() == "2"
    assert page.locator("#confirm-import").count() == 0
    shot(page, "console-community-import-errors.png")

    good = tmp_path / "people-fixed.csv"
    good.write_text(bad.read_text(encoding="utf-8").replace("99-1-101", "9-1-101"),
                    encoding="utf-8")
    page.set_input_files("input[name=file]", str(good))
    page.click("form[enctype] button")
    assert page.locator("tr.change-added").count() == 1
    assert page.locator("tr.change-unchanged").count() == 1
    shot(page, "console-community-import-preview.png")
    page.click("#confirm-import")
    page.wait_for_selector("#community-message.notice")
    with service.sessions() as session:
        newcomer = find_person(session, "newcomer")
        assert newcomer is not None and newcomer.household is not None
        aiyi = find_person(session, "wang_aiyi")
        assert aiyi is not None and aiyi.phone == "13912345678"
