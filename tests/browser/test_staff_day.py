"""A staff member's day in a real headless Chromium (Debian's package), past the board and the
notices: make an event and see a resident's sign-up and its export, ask a poll and publish the
vote it got, read the rates for 30 days down to a ticket and take the workbook home, and answer
a suggestion so that its author hears of it."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bot.conversation import ConversationService
from store.models import Event, OutboxMessage, Poll
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.browser.test_console_browser import console, pytestmark, shot  # noqa: F401
from tests.browser.test_webchat import browser  # noqa: F401 — the Chromium fixture
from tests.console.conftest import (  # noqa: F401
    PASSWORD,
    base_url,
    console_accounts,
)
from tests.console.test_operator_api import say

RESIDENT = "r-day"
IDEA = "建议在3号楼和5号楼之间加装几盏路灯，晚上太黑了"
REPLY = "居委会已联系物业，下周一前加装4盏路灯。"


def log_in(page: Page, url: str, path: str) -> None:
    page.goto(f"{url}/console{path}")
    page.fill("input[name=username]", "zhao_min")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/console{path}")


def asked_buttons(service: ConversationService, poll: int) -> list[str]:  # noqa: F811
    """The vote buttons the resident's poll message carries."""
    with service.sessions() as session:
        buttons = session.scalars(select(OutboxMessage.buttons).where(
            OutboxMessage.chat_id == RESIDENT,
            OutboxMessage.dedupe_key.startswith(f"poll:{poll}:ask:"))).all()
    assert len(buttons) == 1, buttons
    return [b["payload"] for b in (buttons[0] or {}).get("buttons", [])]


def test_staff_run_events_polls_rates_and_suggestions_from_the_browser(
        console: Page, base_url: str, tmp_path: Path,  # noqa: F811
        service: ConversationService) -> None:  # noqa: F811
    page = console
    say(base_url, RESIDENT, "你好")
    reported = "\n".join(say(base_url, RESIDENT, "12号楼电梯坏了"))
    lift = re.search(r"BX-\d{8}-\d{4}", reported)
    assert lift is not None, reported
    log_in(page, base_url, "/events")

    # 共建: an event with a capacity and its place in both languages...
    form = page.locator("#new-event")
    form.locator("input[name=title_zh]").fill("书法兴趣班")
    form.locator("input[name=title_en]").fill("Calligraphy class")
    form.locator("input[name=place]").fill("2号楼活动室")
    form.locator("input[name=place_en]").fill("Activity room, Building 2")
    form.locator("input[name=starts_at]").fill("2026-11-26T15:00")
    form.locator("input[name=capacity]").fill("12")
    form.locator("button.primary").click()
    page.wait_for_url("**/console/events/*")
    expect(page.locator("#event-message")).to_be_visible()
    meta = page.locator("p.meta").inner_text()
    assert "2026-11-26 15:00" in meta and "2号楼活动室" in meta and "0 / 12" in meta
    with service.sessions() as session:
        key = session.scalars(select(Event.key).where(Event.title_zh == "书法兴趣班")).one()
    # ...a resident signs up in the chat, and the page lists them and exports them.
    joined = "\n".join(say(base_url, RESIDENT, f'/event_signup{{"event": "{key}", "count": "2"}}'))
    assert "书法兴趣班" in joined, joined
    page.reload()
    assert "2 / 12" in page.locator("p.meta").inner_text()
    signups = page.locator("#signups tbody tr")
    expect(signups).to_have_count(1)
    assert signups.first.locator("td").nth(3).inner_text() == "2"
    shot(page, "console-event.png")
    with page.expect_download() as downloading:
        page.click("a[href$='/signups.xlsx']")
    exported = tmp_path / "signups.xlsx"
    downloading.value.save_as(exported)
    rows = list(load_workbook(exported).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and 2 in rows[1], rows

    # 共评: a poll with three options to everyone, closing on Tuesday evening.
    page.goto(f"{base_url}/console/polls")
    form = page.locator("#new-poll")
    form.locator("input[name=question_zh]").fill("中心花园改造，您最希望增加什么？")
    form.locator("input[name=question_en]").fill("What should the central garden gain?")
    for n, (zh, en) in enumerate([("健身器材", "Exercise equipment"),
                                  ("儿童滑梯", "A children's slide"),
                                  ("长椅", "Benches")], start=1):
        form.locator(f"input[name=option{n}_zh]").fill(zh)
        form.locator(f"input[name=option{n}_en]").fill(en)
    form.locator("input[name=audience]").fill("all")
    form.locator("input[name=closes_at]").fill("2026-11-24T18:00")
    form.locator("button.primary").click()
    page.wait_for_url("**/console/polls/*")
    expect(page.locator("#poll-message")).to_be_visible()
    with service.sessions() as session:
        poll = session.scalars(select(Poll.id)).one()
    choices = asked_buttons(service, poll)
    assert len(choices) == 3
    assert "长椅" in "\n".join(say(base_url, RESIDENT, choices[2]))
    page.reload()
    votes = page.locator("#results tbody tr td:last-child").all_inner_texts()
    assert votes == ["0", "0", "1"]
    assert "长椅" in (page.locator(".card svg").text_content() or "")
    shot(page, "console-poll.png")
    page.click("form[action$='/publish'] button")
    expect(page.locator("#poll-message")).to_be_visible()
    assert page.locator("form[action$='/publish']").count() == 0
    page.goto(f"{base_url}/console/polls")
    assert "结果已公布" in page.locator("#polls tbody tr").first.inner_text()

    # The rates for 30 days, down to the ticket behind a figure, and the street's workbook.
    page.goto(f"{base_url}/console/rates?period=30d")
    assert page.locator("#rates-filter select[name=period]").input_value() == "30d"
    expect(page.locator("#rate-resolution .meaning")).not_to_be_empty()
    shot(page, "console-rates.png")
    resolved = [int(n) for n in page.locator("#rate-resolution a").all_inner_texts()[:2]]
    assert resolved == [0, 1]  # the lift, still open
    page.locator("#rate-resolution a").nth(1).click()  # the tickets it counts
    page.wait_for_url("**/console/rates/tickets?*")
    page.click(f"#rates-tickets a:text('{lift.group()}')")
    page.wait_for_url(f"**/console/tickets/{lift.group()}")
    assert "电梯" in page.locator("#ticket-text").inner_text()
    page.go_back()
    page.go_back()
    with page.expect_download() as downloading:
        page.click("#rates-xlsx")
    workbook = tmp_path / "rates.xlsx"
    downloading.value.save_as(workbook)
    summary = list(load_workbook(workbook)["summary"].iter_rows(values_only=True))
    # scope, opened, then each rate's numerator, denominator and value: the page's figures
    assert summary[1][:2] == ("all", 1) and list(summary[1][5:7]) == resolved, summary[1]

    # 共谋: a resident's suggestion is adopted with a public reply, and they are told.
    say(base_url, RESIDENT, "/make_suggestion")
    assert "建议" in "\n".join(say(base_url, RESIDENT, IDEA))
    page.goto(f"{base_url}/console/suggestions?status=new")
    row = page.locator("#suggestions tbody tr").first
    assert IDEA[:10] in row.inner_text() and "2026-11-21 09:30" in row.inner_text()  # local
    row.locator("a").first.click()
    page.select_option("#decide select[name=status]", "adopted")
    page.fill("#decide textarea[name=reply]", REPLY)
    page.click("#decide button.primary")
    expect(page.locator("#suggestion-message")).to_contain_text("1")
    assert "已采纳" in page.locator("h1").inner_text()
    assert REPLY in page.locator("main").inner_text()
    assert "2026-11-21 09:30" in page.locator("p.meta").inner_text()
    shot(page, "console-suggestions.png")
    heard = "\n".join(say(base_url, RESIDENT, "好的"))
    assert "已采纳" in heard and REPLY in heard, heard


def test_an_admin_adds_a_grid_member_account(console: Page, base_url: str) -> None:  # noqa: F811
    page = console
    page.goto(f"{base_url}/console/accounts")
    page.fill("input[name=username]", "admin_a")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/accounts")
    form = page.locator("#account-add")
    form.locator("input[name=username]").fill("liu_yang")
    form.locator("input[value=grid_member]").check()
    form.locator("input[name=person]").fill("liu_yang")
    form.locator("input[name=password]").fill("a long enough password")
    form.locator("button.primary").click()
    expect(page.locator("#accounts-message")).to_contain_text("liu_yang")
    assert "网格员" in page.locator("#account-liu_yang").inner_text()
    history = page.locator("#accounts-history tbody tr").first.inner_text()
    assert "admin_a" in history and "liu_yang" in history and "新建账号" in history
    assert "2026-11-21 09:30" in history  # the community's clock, not UTC
    shot(page, "console-accounts.png")
