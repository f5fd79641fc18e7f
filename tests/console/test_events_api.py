"""Events and polls in the console (共建, 共评, 共享), over real HTTP on SQLite and PostgreSQL:
an event made in the browser takes residents' sign-ups in the chat, its list and its exports
agree, a reminder reaches the confirmed; a poll reaches its audience, their button presses are
counted, and the published results reach them. Roles: staff only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.conversation import ConversationService
from store import accounts, polls
from store.database import transaction
from store.models import AuditEntry, OutboxMessage, Person, Poll
from store.privacy import export, find_person
from tests.bot.test_dialogues import NOW, talker
from tests.console.conftest import PASSWORD, Login

#: Thursday 26 November 2026, 15:00 in Beijing (NOW is Saturday 21st, 09:30).
STARTS = "2026-11-26T15:00"
CALLIGRAPHY = {"title_zh": "书法兴趣班", "title_en": "Calligraphy class", "place": "2号楼活动室",
               "place_en": "Activity room, Building 2", "starts_at": STARTS, "capacity": 2}


def outbox(service: ConversationService, key_start: str) -> list[tuple[str, str, list[str]]]:
    """(recipient's demo name, text, button payloads) of rows whose key starts so."""
    with service.sessions() as session:
        rows = session.execute(select(Person.name, OutboxMessage.text, OutboxMessage.buttons)
                               .join(Person, OutboxMessage.person_id == Person.id)
                               .where(OutboxMessage.dedupe_key.startswith(key_start))
                               .order_by(OutboxMessage.id)).all()
    return [(name, text, [b["payload"] for b in (buttons or {}).get("buttons", [])])
            for name, text, buttons in rows]


def sign_up(service: ConversationService, who: str, key: str, count: int = 1) -> str:
    said = talker(service, who)(f'/event_signup{{"event": "{key}", "count": "{count}"}}')
    return "\n".join(said)


def test_an_event_made_in_the_console_takes_signups_and_exports_them(
        service: ConversationService, login: Login) -> None:
    staff = login("zhao_min")
    made = staff.post("/api/events", json=CALLIGRAPHY)
    assert made.status_code == 201, made.text
    event = made.json()
    assert event["key"] == "calligraphy-class" and event["starts_at"].startswith(
        "2026-11-26T15:00:00+08:00") and event["waitlist"] is True

    assert "书法兴趣班" in sign_up(service, "wang_aiyi", event["key"])
    assert "Calligraphy class" in sign_up(service, "anna", event["key"])
    assert "候补第 1 位" in sign_up(service, "li_shushu", event["key"])

    listed = staff.get(f"/api/events/{event['id']}/signups").json()
    assert [(s["name"], s["status"], s["position"]) for s in listed["signups"]] == [
        ("王阿姨", "confirmed", None), ("Anna Smith", "confirmed", None),
        ("李叔叔", "waitlisted", 1)]
    assert (listed["event"]["taken"], listed["event"]["waiting"]) == (2, 1)

    rows = list(csv.reader(io.StringIO(
        staff.get(f"/events/{event['id']}/signups.csv").content.decode("utf-8-sig"))))
    assert rows[0][0] == "姓名 name"
    assert [(r[0], r[1], r[2], r[4]) for r in rows[1:]] == [
        (s["name"], s["phone"], s["building"], s["status"]) for s in listed["signups"]]
    xlsx = staff.get(f"/events/{event['id']}/signups.xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [[str(c) for c in row[:5]] for row in sheet.iter_rows(min_row=2, values_only=True)] \
        == [[*r[:5]] for r in rows[1:]]

    page = staff.get(f"/events/{event['id']}")
    assert page.status_code == 200 and "李叔叔" in page.text and "13912340002" in page.text


def test_editing_an_event_moves_the_waitlist_up_and_tells_them(
        service: ConversationService, login: Login) -> None:
    staff = login("zhao_min")
    event = staff.post("/api/events", json=CALLIGRAPHY).json()
    for who in ("wang_aiyi", "anna", "li_shushu"):
        sign_up(service, who, event["key"])

    edited = staff.patch(f"/api/events/{event['id']}", json={
        "capacity": 3, "place": "社区活动中心", "place_en": "Community centre",
        "starts_at": "2026-11-27T14:00"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["promoted"], edited.json()["told"]) == (1, 3)
    assert (edited.json()["taken"], edited.json()["waiting"]) == (3, 0)
    [(name, text, _)] = outbox(service, f"event:{event['id']}:promoted:")
    assert name == "李叔叔" and "增加了名额" in text and "书法兴趣班" in text
    moved = {name: text for name, text, _ in outbox(service, f"event:{event['id']}:changed:")}
    assert sorted(moved) == sorted(["Anna Smith", "王阿姨", "李叔叔"])
    assert "11月27日（周五）14:00" in moved["王阿姨"] and "社区活动中心" in moved["王阿姨"]
    assert "Fri 27 Nov 14:00" in moved["Anna Smith"] and "Community centre" in moved["Anna Smith"]
    listed = staff.get("/api/events").json()["items"]
    [same] = [e for e in listed if e["id"] == event["id"]]
    assert (same["place"], same["place_en"], same["starts_at"][:16]) == (
        "社区活动中心", "Community centre", "2026-11-27T14:00")
    unchanged = staff.post(f"/api/events/{event['id']}", json={"capacity": 3,
                                                               "place": "社区活动中心"})
    assert (unchanged.json()["promoted"], unchanged.json()["told"]) == (0, 0)

    cancelled = staff.patch(f"/api/events/{event['id']}", json={"cancelled": True}).json()
    assert cancelled["cancelled"] is True and cancelled["told"] == 3
    called_off = {name: text for name, text, _ in outbox(
        service, f"event:{event['id']}:cancelled:")}
    assert "取消了" in called_off["李叔叔"] and "cancelled" in called_off["Anna Smith"]
    with service.sessions() as session:
        assert session.scalars(select(AuditEntry.action).where(
            AuditEntry.target == f"event:{event['id']}").order_by(AuditEntry.id)).all() == [
            "event_create", "event_edit", "event_edit", "event_edit"]


def test_a_reminder_now_reaches_the_confirmed_in_their_language(
        service: ConversationService, login: Login) -> None:
    staff = login("zhao_min")
    event = staff.post("/api/events", json=CALLIGRAPHY).json()
    for who in ("wang_aiyi", "anna", "li_shushu"):  # 李叔叔 waits: no reminder for him
        sign_up(service, who, event["key"])

    assert staff.post(f"/api/events/{event['id']}/remind").json() == {"reminded": 2}

    told = {name: text for name, text, _ in outbox(service, f"event:{event['id']}:remind:")}
    assert sorted(told) == ["Anna Smith", "王阿姨"]
    assert "书法兴趣班" in told["王阿姨"] and "2号楼活动室" in told["王阿姨"]
    assert "5天后" in told["王阿姨"]
    assert "Calligraphy class" in told["Anna Smith"] and "in 5 days" in told["Anna Smith"]


def test_without_a_waitlist_a_full_event_says_so(service: ConversationService,
                                                 login: Login) -> None:
    staff = login("zhao_min")
    event = staff.post("/api/events", json=CALLIGRAPHY | {"capacity": 1, "waitlist": False}
                       ).json()
    sign_up(service, "wang_aiyi", event["key"])
    assert "这次不设候补" in sign_up(service, "li_shushu", event["key"])
    assert [s["name"] for s in staff.get(
        f"/api/events/{event['id']}/signups").json()["signups"]] == ["王阿姨"]


def test_an_event_form_with_a_mistake_is_refused_with_what_is_wrong(login: Login) -> None:
    staff = login("zhao_min")
    refused = staff.post("/api/events", json=CALLIGRAPHY | {"capacity": 0})
    assert refused.status_code == 422
    page = staff.post("/events", data={"title_zh": "书法", "place": "", "starts_at": STARTS,
                                       "capacity": "5"}, follow_redirects=True)
    assert page.status_code == 200 and "place" in page.text
    assert staff.post("/api/events", json=CALLIGRAPHY).status_code == 201
    assert staff.post("/api/events", json=CALLIGRAPHY).json() == {"error": "taken"}


# -- polls -------------------------------------------------------------------------------------

GREENING = {"question_zh": "中心花园改造，您更希望增加什么？",
            "question_en": "What should the central garden get?",
            "options": [{"zh": "健身器材", "en": "Exercise equipment"},
                        {"zh": "儿童滑梯", "en": "A children's slide"},
                        {"zh": "长椅", "en": ""}],
            "audience": "grid:G3", "closes_at": "2026-11-24T18:00"}


def vote(service: ConversationService, who: str, payload: str) -> str:
    return "\n".join(talker(service, who)(payload))


def test_a_poll_reaches_its_audience_counts_their_votes_and_publishes_the_results(
        service: ConversationService, login: Login) -> None:
    staff = login("zhao_min")
    made = staff.post("/api/polls", json=GREENING)
    assert made.status_code == 201, made.text
    poll = made.json()
    assert (poll["status"], poll["asked"]) == ("open", 2)

    asked = {name: (text, buttons) for name, text, buttons in outbox(
        service, f"poll:{poll['id']}:ask:")}
    assert sorted(asked) == ["Raj Patel", "李叔叔"]  # G3: buildings 11–15
    assert "中心花园改造" in asked["李叔叔"][0] and "11月24日 18:00" in asked["李叔叔"][0]
    assert "central garden" in asked["Raj Patel"][0]
    payloads = asked["李叔叔"][1]
    assert len(payloads) == 3

    assert "健身器材" in vote(service, "li_shushu", payloads[0])
    assert "A children's slide" in vote(service, "raj", asked["Raj Patel"][1][1])
    assert "长椅" in vote(service, "raj", asked["Raj Patel"][1][2])  # changed: still one vote
    assert "其他楼栋" in vote(service, "wang_aiyi", payloads[0])  # G1: not asked, not counted

    results = staff.get(f"/api/polls/{poll['id']}").json()
    assert [r["votes"] for r in results["results"]] == [1, 0, 1] and results["total"] == 2
    page = staff.get(f"/polls/{poll['id']}")
    assert page.status_code == 200 and "<svg" in page.text and "健身器材" in page.text

    assert staff.post(f"/api/polls/{poll['id']}/publish").json() == {"told": 2}
    published = {name: text for name, text, _ in outbox(service, f"poll:{poll['id']}:results:")}
    assert sorted(published) == ["Raj Patel", "李叔叔"]
    assert "健身器材：1（50%）" in published["李叔叔"] and "长椅：1（50%）" in published["李叔叔"]
    assert "Exercise equipment: 1 (50%)" in published["Raj Patel"]
    assert "2 people voted" in published["Raj Patel"]
    assert staff.post(f"/api/polls/{poll['id']}/publish").status_code == 409
    assert staff.get(f"/api/polls/{poll['id']}").json()["status"] == "published"

    with transaction(service.sessions) as session:
        stored = session.get(Poll, poll["id"])
        shushu = find_person(session, "li_shushu")
        assert stored is not None and shushu is not None
        with pytest.raises(polls.PollError):  # after it closes, a press changes nothing
            polls.vote(session, stored, shushu, 1, stored.closes_at)
        assert [v["answer"] for v in export(session, shushu, NOW)["poll_votes"]] == [
            {"zh": "健身器材", "en": "Exercise equipment"}]


@pytest.mark.parametrize(("change", "error"), [
    ({"options": [{"zh": "只有一个"}]}, "options"),
    ({"options": [{"zh": str(n)} for n in range(7)]}, "options"),
    ({"closes_at": "2026-11-20T18:00"}, "closes_at"),
    ({"audience": "grid:G9"}, "audience"),
    ({"audience": "groups"}, "audience"),
    ({"question_zh": "", "question_en": " "}, "empty")])
def test_a_poll_that_cannot_be_asked_is_refused(login: Login, change: dict[str, object],
                                                error: str) -> None:
    refused = login("zhao_min").post("/api/polls", json=GREENING | change)
    assert refused.status_code == 422 and refused.json()["error"] == error


def test_a_poll_made_on_the_page_goes_out(service: ConversationService, login: Login) -> None:
    staff = login("zhao_min")
    page = staff.post("/polls", data={"question_zh": "周末义诊时间", "option1_zh": "周六上午",
                                      "option2_zh": "周日下午", "audience": "building:3",
                                      "closes_at": "2026-11-25T12:00"}, follow_redirects=True)
    assert page.status_code == 200 and "投票已发给 1 位居民" in page.text
    assert [name for name, _, _ in outbox(service, "poll:")] == ["王阿姨"]


# -- who may ---------------------------------------------------------------------------------

@pytest.fixture
def grid_member(service: ConversationService) -> str:
    with transaction(service.sessions) as session:
        accounts.add_user(session, "zhang_wei", PASSWORD, ["grid_member"], NOW,
                          person=find_person(session, "zhang_wei"))
    return "zhang_wei"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/events"), ("POST", "/api/events"), ("PATCH", "/api/events/1"),
    ("GET", "/api/events/1/signups"), ("POST", "/api/events/1/remind"),
    ("GET", "/api/polls"), ("POST", "/api/polls"), ("POST", "/api/polls/1/publish")])
def test_only_staff_run_events_and_polls(service: ConversationService, login: Login,
                                         base_url: str, grid_member: str, method: str,
                                         path: str) -> None:
    import httpx

    body = CALLIGRAPHY if path == "/api/events" else GREENING if path == "/api/polls" else {}
    with httpx.Client(base_url=f"{base_url}/console") as stranger:
        assert stranger.request(method, path, json=body).status_code == 401
    for account in ("anna_op", "admin_a", grid_member):
        assert login(account).request(method, path, json=body).status_code == 403, account
    allowed = login("zhao_min").request(method, path, json=body)
    assert allowed.status_code in (200, 201, 404), allowed.text
    with service.sessions() as session:
        refusals = session.scalars(select(AuditEntry.username).where(
            AuditEntry.action == "refused")).all()
    assert sorted(refusals) == sorted(["anna_op", "admin_a", grid_member])


def test_the_pages_need_staff(login: Login, base_url: str) -> None:
    import httpx

    with httpx.Client(base_url=f"{base_url}/console") as stranger:
        away = stranger.get("/events")
        assert away.status_code == 303 and "/login" in away.headers["location"]
        assert stranger.get("/events/1/signups.xlsx").status_code == 303
    assert login("anna_op").get("/polls").status_code == 403
    staff = login("zhao_min")
    for path in ("/events", "/polls"):
        page = staff.get(path)
        assert page.status_code == 200 and re.search(r'href="[^"]*/suggestions"', page.text)


def test_an_event_title_is_escaped_on_the_pages(login: Login) -> None:
    staff = login("zhao_min")
    event = staff.post("/api/events", json=CALLIGRAPHY | {
        "title_zh": "<script>alert(1)</script>"}).json()
    page = staff.get(f"/events/{event['id']}").text + staff.get("/events").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_events_list_keeps_the_clock(login: Login) -> None:
    """The list holds what is to come and the last month, soonest first."""
    staff = login("zhao_min")
    staff.post("/api/events", json=CALLIGRAPHY | {"starts_at": "2026-11-01T10:00",
                                                  "title_en": "Long ago"})
    staff.post("/api/events", json=CALLIGRAPHY | {"starts_at": "2026-09-01T10:00",
                                                  "title_en": "Too long ago"})
    starts = [dt.datetime.fromisoformat(e["starts_at"]) for e in
              staff.get("/api/events").json()["items"]]
    assert starts == sorted(starts) and starts[0].date() == dt.date(2026, 11, 1)


def test_the_pages_texts_are_their_own() -> None:
    """The console's catalogue keeps the first text of a key: another page's key of the same
    name would show its words here."""
    import importlib
    import pkgutil

    import console
    from console.events_texts import TEXTS

    for module in pkgutil.iter_modules(console.__path__):
        if module.name.endswith("_texts") and module.name != "events_texts":
            other = importlib.import_module(f"console.{module.name}")
            assert not set(TEXTS) & set(getattr(other, "TEXTS", {})), module.name
