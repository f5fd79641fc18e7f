"""The console's pages without JavaScript: forms carry the CSRF token, a correction by start
and end, a bulk correction confirmed on its own page, the language switch; and the audit log."""

from __future__ import annotations

import re

import httpx

from tests.console.conftest import Login
from tests.console.test_operator_api import inbound, say


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page's forms carry the CSRF token"
    return found.group(1)


def test_a_correction_by_form_with_start_and_end(base_url: str, login: Login) -> None:
    say(base_url, "p1", "我住7栋，身份证110101199003071234")
    client = login("sun_li")
    message = inbound(client, chat="p1")[0]
    assert "110101199003071234" not in str(message) and "1101**********1234" in message["text"]
    page = client.get(f"/messages/{message['id']}")
    assert page.status_code == 200 and "1101**********1234" in page.text
    del client.headers["X-CSRF-Token"]  # a plain browser form, no script
    form = {"intent": "register_household", "new_entity": "building", "new_start": "2",
            "new_end": "4", "csrf": csrf_of(page.text)}
    assert client.post(f"/messages/{message['id']}/correction",
                       data={**form, "csrf": "forged"}).status_code == 403
    saved = client.post(f"/messages/{message['id']}/correction", data=form)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    shown = client.get(f"/api/messages/{message['id']}").json()["message"]
    assert shown["correction"]["intent"] == "register_household"
    assert {"entity": "building", "value": "7", "start": 2, "end": 4} in \
        shown["correction"]["entities"]
    wrong = client.post(f"/messages/{message['id']}/correction",
                        data={**form, "new_start": "30", "new_end": "99"})
    assert wrong.status_code == 303 and "error=" in wrong.headers["location"]


def test_a_bulk_correction_is_confirmed_on_its_own_page(base_url: str, login: Login) -> None:
    for text in ("今天天气怎么样", "推荐一部电影"):
        say(base_url, "p2", text)
    client = login("sun_li")
    listing = client.get("/messages", params={"chat": "p2", "direction": "in"})
    ids = re.findall(r'name="ids" value="(\d+)"', listing.text)
    assert len(ids) == 2
    del client.headers["X-CSRF-Token"]
    body = {"csrf": csrf_of(listing.text), "intent": "out_of_scope", "ids": ids,
            "back": "/console/messages?chat=p2"}
    asked = client.post("/messages/bulk", data=body)
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text
    assert client.get("/api/messages", params={"chat": "p2", "corrected": "1"}).json()[
        "items"] == []
    done = client.post("/messages/bulk", data={**body, "confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"].endswith("done=2")
    corrected = client.get("/api/messages", params={"chat": "p2", "corrected": "1"}).json()
    assert len(corrected["items"]) == 2


def test_the_page_follows_the_account_language_and_switches(base_url: str,
                                                           login: Login) -> None:
    client = login("anna_op")  # an English account
    assert "<h1>Conversations</h1>" in client.get("/messages").text
    page = client.get("/messages").text
    switched = client.post("/language", data={"csrf": csrf_of(page), "language": "zh",
                                              "next": "/console/messages"})
    assert switched.status_code == 303
    assert "<h1>对话记录</h1>" in client.get("/messages").text
    assert client.get("/api/session").json()["language"] == "zh"


def test_staff_see_no_transcript_page_and_admins_read_the_audit_log(
        base_url: str, login: Login) -> None:
    staff = login("zhao_min")
    assert staff.get("/messages").status_code == 403
    assert staff.get("/api/audit").status_code == 403
    home = staff.get("/", follow_redirects=True)
    assert home.status_code == 200 and "zhao_min" in home.text
    httpx.post(f"{base_url}/console/login", data={"username": "zhao_min", "password": "x"})
    admin = login("admin_a")
    entries = admin.get("/api/audit").json()
    actions = [(e["user"], e["action"]) for e in entries]
    assert ("zhao_min", "refused") in actions and ("zhao_min", "login_failed") in actions
    assert ("zhao_min", "login") in actions
