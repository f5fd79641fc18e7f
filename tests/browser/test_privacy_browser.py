"""Data rights in the web chat (real headless Chromium): the export is a download link on
the page, and what it downloads is the resident's own data."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import base_url  # noqa: F401 — the HTTP server fixture
from tests.browser.test_webchat import browser, page, send  # noqa: F401 — fixtures

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def test_the_export_is_a_download_of_the_residents_own_data(page: Page) -> None:  # noqa: F811
    send(page, "5号楼2单元楼道灯不亮了")
    page.wait_for_selector(".bot >> text=BX-20261121-0001")
    send(page, "导出我的数据")
    link = page.wait_for_selector(".bot a[download]")
    assert link is not None
    href = link.get_attribute("href") or ""
    assert href.startswith("/media/")
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == "linli-data.json"
    path = download.path()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [t["number"] for t in data["tickets"]] == ["BX-20261121-0001"]
    assert data["messages"][0]["text"] == "5号楼2单元楼道灯不亮了"
