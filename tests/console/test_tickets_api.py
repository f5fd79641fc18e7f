"""The staff console's ticket board over real HTTP, on SQLite and PostgreSQL: who sees which
tickets, the board's order and filters, one ticket in full, and the work on it — each action
leaving what its chat twin leaves (actions/ticket_work.py is the one rule set)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService
from bot.scheduler.jobs import Jobs
from store import accounts, handoffs, media
from store.database import transaction
from store.models import (
    AuditEntry,
    Grid,
    OutboxMessage,
    Ticket,
    TicketAttachment,
    TicketKind,
)
from store.privacy import find_person
from tests.actions.test_ticket_work import by_service, history, person, report, told
from tests.bot.test_dialogues import NOW, talker
from tests.console.conftest import PASSWORD, Login

HOUR = dt.timedelta(hours=1)
#: Console accounts of the demo's ticket workers: username → roles.
WORKERS = {"zhang_wei": ("grid_member",), "wang_fang": ("grid_member",),
           "li_na": ("supervisor",)}


@pytest.fixture
def workers(service: ConversationService, console_accounts: dict[str, str]) -> None:
    with transaction(service.sessions) as session:
        for name, roles in WORKERS.items():
            accounts.add_user(session, name, PASSWORD, roles, NOW,
                              person=find_person(session, name))


@pytest.fixture
def three_grids(sessions: sessionmaker[Session], service: ConversationService) -> list[str]:
    """A ticket in each grid: G1 (building 3), G2 (building 7), G3 (building 12)."""
    return [report(sessions, "wang_aiyi", "3", "lighting"),
            report(sessions, "zhou_xiaoyu", "7", "lighting"),
            report(sessions, "li_shushu", "12", "lighting")]


def numbers(client: httpx.Client, **params: str) -> list[str]:
    reply = client.get("/api/tickets", params=params)
    assert reply.status_code == 200, reply.text
    return [item["number"] for item in reply.json()["items"]]


def test_without_a_session_the_board_is_401(base_url: str) -> None:
    for path in ("/api/tickets", "/api/tickets/BX-20261121-0001", "/api/tickets/live"):
        assert httpx.get(f"{base_url}/console{path}").status_code == 401
    assert httpx.post(f"{base_url}/console/api/tickets/BX-20261121-0001/actions",
                      json={"action": "accept"}).status_code == 401
    page = httpx.get(f"{base_url}/console/tickets")
    assert page.status_code == 303 and "/console/login" in page.headers["location"]


def test_each_role_sees_its_own_part(login: Login, workers: None, three_grids: list[str],
                                     sessions: sessionmaker[Session]) -> None:
    g1, g2, g3 = three_grids
    assert sorted(numbers(login("zhao_min"))) == sorted(three_grids)  # staff: all
    assert numbers(login("zhang_wei")) == [g1]
    assert numbers(login("wang_fang")) == [g2]
    supervisor = login("li_na")
    assert sorted(numbers(supervisor)) == sorted(three_grids)  # she supervises the three
    with transaction(sessions) as session:
        grid = session.scalar(select(Grid).where(Grid.code == "G3"))
        assert grid is not None
        grid.supervisor_id = None
    assert sorted(numbers(supervisor)) == [g1, g2]
    assert supervisor.get(f"/api/tickets/{g3}").status_code == 404


def test_another_grids_ticket_is_not_there(login: Login, workers: None,
                                           three_grids: list[str],
                                           sessions: sessionmaker[Session]) -> None:
    g1, g2, _ = three_grids
    grid_member = login("zhang_wei")
    assert grid_member.get(f"/api/tickets/{g1}").status_code == 200
    # someone else's ticket and a number that does not exist answer alike
    for number in (g2, "BX-20261121-0999"):
        assert grid_member.get(f"/api/tickets/{number}").json() == {"error": "not_found"}
        acted = grid_member.post(f"/api/tickets/{number}/actions", json={"action": "accept"})
        assert acted.status_code == 404
        assert grid_member.get(f"/tickets/{number}").status_code == 404
    assert [e[0] for e in history(sessions, g2)] == ["created", "assigned"]


@pytest.mark.parametrize("account", ["anna_op", "admin_a"])
def test_an_account_that_works_no_tickets_is_refused_and_logged(
        login: Login, account: str, three_grids: list[str],
        sessions: sessionmaker[Session]) -> None:
    client = login(account)
    number = three_grids[0]
    assert client.get("/api/tickets").status_code == 403
    assert client.get(f"/api/tickets/{number}").status_code == 403
    assert client.post(f"/api/tickets/{number}/actions",
                       json={"action": "accept"}).status_code == 403
    assert client.get("/tickets").status_code == 403
    with sessions() as session:
        refused = session.scalars(select(AuditEntry.target).where(
            AuditEntry.action == "refused", AuditEntry.username == account)).all()
    assert "GET /console/api/tickets" in refused
    assert [e[0] for e in history(sessions, number)] == ["created", "assigned"]


def test_emergencies_and_handoffs_first_then_late_ones(
        login: Login, service: ConversationService, sessions: sessionmaker[Session]) -> None:
    quiet = report(sessions, "wang_aiyi", "3", "greenery", text="草坪该修剪了")
    late = report(sessions, "zhou_xiaoyu", "7", "greenery", at=NOW - 30 * HOUR,
                  text="树枝挡路")
    talking = report(sessions, "anna", "9", "lighting", text="corridor light out")
    fire = report(sessions, "he_dama", "1", "fire", kind=TicketKind.EMERGENCY, text="1号楼冒烟")
    with transaction(sessions) as session:
        handoffs.start(session, person(session, "anna"), NOW)
    staff = login("zhao_min")
    answer = staff.get("/api/tickets").json()
    assert [i["number"] for i in answer["items"]] == [fire, talking, late, quiet]
    assert [(i["urgent"], i["overdue"], i["handoff"]) for i in answer["items"]] == [
        (True, False, False), (True, False, True), (False, True, False), (False, False, False)]
    assert answer["counts"] == {"open": 4, "emergencies": 1, "overdue": 1, "escalated": 0,
                                "unassigned": 0, "handoffs": 1}
    assert [h["resident"] for h in answer["handoffs"]] == ["Anna Smith"]
    assert numbers(staff, kind="emergency") == [fire]
    assert numbers(staff, grid="G2") == [talking, late]
    assert numbers(staff, overdue="true") == [late]
    assert numbers(staff, category="greenery", grid="G1") == [quiet]
    # a page at a time, by the cursor, the same order
    walked, cursor = [], None
    while True:
        reply = staff.get("/api/tickets", params={"limit": 1, **(
            {"cursor": cursor} if cursor else {})}).json()
        walked += [i["number"] for i in reply["items"]]
        cursor = reply["next"]
        if cursor is None:
            break
    assert walked == [fire, talking, late, quiet]
    for bad in ({"status": "closed"}, {"kind": "party"}, {"overdue": "maybe"},
                {"cursor": "nonsense"}, {"category": "x"}):
        refused = staff.get("/api/tickets", params=bad)
        assert refused.status_code == 422 and refused.json()["error"] == "bad_request"


def test_a_ticket_in_full(login: Login, workers: None, service: ConversationService,
                          sessions: sessionmaker[Session]) -> None:
    said = "12号楼1单元302卫生间下水道堵了，电话13912340002"
    talker(service, "li_shushu")(said)
    with sessions() as session:
        number = session.scalars(select(Ticket.number)).one()
    talker(service, "liu_yang")(f"/accept {number}")
    shown = login("zhao_min").get(f"/api/tickets/{number}").json()
    assert shown["reporter"] == "李叔叔" and shown["reporter_phone"] == "13912340002"
    assert shown["contact_visible"] is True and shown["room"] == "302"
    assert shown["status"] == "acknowledged" and shown["assignee"] == "刘洋"
    assert [(e["kind"], e["to"], e["actor"]) for e in shown["events"]] == [
        ("created", "new", "李叔叔"), ("assigned", "assigned", None),
        ("status", "acknowledged", "刘洋")]
    assert shown["subscribers"] == []  # nobody else has joined the report
    assert shown["respond_by"] and shown["resolve_by"] and shown["created_at"]
    assert said in [m["text"] for m in shown["conversation"] if m["direction"] == "in"]
    assert any(number in m["text"] for m in shown["conversation"] if m["direction"] == "out")
    assert set(shown["actions"]) == {"accept", "progress", "resolve", "note", "escalate",
                                     "assign", "reply"}
    assert {"刘洋", "王芳", "李娜", "赵敏"} <= {c["name"] for c in shown["assignable"]}
    # another grid's grid member does not even see it
    assert login("zhang_wei").get(f"/api/tickets/{number}").status_code == 404


def chat_then_console(service: ConversationService, sessions: sessionmaker[Session],
                      console: httpx.Client, commands: list[tuple[str, str | None]]
                      ) -> tuple[str, str]:
    """The same commands by 张伟: in chat on one ticket, in the console on another."""
    in_chat = report(sessions, "wang_aiyi", "3", "lighting")
    in_console = report(sessions, "he_dama", "1", "lighting")
    chat = talker(service, "zhang_wei")
    for action, note in commands:
        chat(f"/{action} {in_chat}" + (f" {note}" if note else ""))
        reply = console.post(f"/api/tickets/{in_console}/actions",
                             json={"action": action, "note": note})
        assert reply.status_code == 200, reply.text
        assert reply.json()["ok"] is True and in_console in reply.json()["message"]
    return in_chat, in_console


def same_people_told(sessions: sessionmaker[Session], one: str, other: str) -> None:
    def plain(number: str) -> list[tuple[str | None, str]]:
        """Only the resident and her place differ between the two tickets."""
        same = {"1号楼": "3号楼", "何大妈": "王阿姨", "13912340006": "13912340001"}

        def text_of(text: str) -> str:
            for one, other in same.items():
                text = text.replace(one, other)
            return text

        return [(same.get(who or "", who), text_of(text)) for who, text in told(sessions, number)]

    assert plain(one) == plain(other)


@pytest.mark.parametrize("commands", [
    [("accept", None), ("note", "明早带灯泡过去"), ("progress", None), ("progress", "在修了"),
     ("resolve", "换了声控灯")],
    [("escalate", "需要物业配合"), ("escalate", None)],
])
def test_each_action_leaves_what_its_chat_twin_leaves(
        login: Login, workers: None, service: ConversationService,
        sessions: sessionmaker[Session], commands: list[tuple[str, str | None]]) -> None:
    in_chat, in_console = chat_then_console(service, sessions, login("zhang_wei"), commands)
    assert history(sessions, in_chat)[1:] == history(sessions, in_console)[1:]
    assert len(history(sessions, in_console)) == 2 + len(commands)
    same_people_told(sessions, in_chat, in_console)
    with sessions() as session:
        audited = session.scalars(select(AuditEntry.action).where(
            AuditEntry.username == "zhang_wei", AuditEntry.target == in_console)).all()
    assert audited == [f"ticket_{action}" for action, _ in commands[:1]] + [
        f"ticket_{action}" for action, _ in commands[1:]]


def test_reassign_and_reply_equal_the_service_the_chat_uses(
        login: Login, workers: None, service: ConversationService,
        sessions: sessionmaker[Session]) -> None:
    by_chat_service = report(sessions, "wang_aiyi", "3", "lighting")
    by_console = report(sessions, "he_dama", "1", "lighting")
    by_service(sessions, "li_na", by_chat_service, "assign", to="wang_fang")
    by_service(sessions, "li_na", by_chat_service, "reply", "师傅下午两点到")
    supervisor = login("li_na")
    with sessions() as session:
        wang_fang = person(session, "wang_fang").id
    assert supervisor.post(f"/api/tickets/{by_console}/actions",
                           json={"action": "assign", "to": wang_fang}).status_code == 200
    replied = supervisor.post(f"/api/tickets/{by_console}/actions",
                              json={"action": "reply", "text": "师傅下午两点到"})
    assert replied.status_code == 200 and "何大妈" in replied.json()["message"]
    assert history(sessions, by_chat_service)[1:] == history(sessions, by_console)[1:]
    same_people_told(sessions, by_chat_service, by_console)


def outbox_to(sessions: sessionmaker[Session], chat: str) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.chat_id == chat).order_by(OutboxMessage.id)))


def test_a_reply_reaches_the_resident(login: Login, service: ConversationService,
                                      sessions: sessionmaker[Session]) -> None:
    number = report(sessions, "wang_aiyi", "3", "water")
    staff = login("zhao_min")
    reply = staff.post(f"/api/tickets/{number}/actions",
                       json={"action": "reply", "text": "师傅下午两点到，请家里留人"})
    assert reply.status_code == 200
    assert any("师傅下午两点到，请家里留人" in text and number in text
               for text in outbox_to(sessions, "wang_aiyi"))
    # and she reads it on her channel the next time she writes
    assert any("师傅下午两点到" in r for r in talker(service, "wang_aiyi")("你好"))


def test_resolving_sends_the_resident_the_poll(login: Login, service: ConversationService,
                                               sessions: sessionmaker[Session]) -> None:
    number = report(sessions, "wang_aiyi", "3", "water")
    staff = login("zhao_min")
    reply = staff.post(f"/api/tickets/{number}/actions",
                       json={"action": "resolve", "note": "换了阀门"})
    assert reply.status_code == 200 and "已处理完" in reply.json()["message"]
    Jobs(current_runtime()).sweep(NOW + dt.timedelta(minutes=10))
    told_her = outbox_to(sessions, "wang_aiyi")
    assert any("换了阀门" in text for text in told_her)
    assert any("打个分" in text and number in text for text in told_her)


def test_refusals_say_why_and_change_nothing(login: Login, workers: None,
                                            three_grids: list[str],
                                            sessions: sessionmaker[Session]) -> None:
    g1 = three_grids[0]
    grid_member = login("zhang_wei")

    def do(body: dict[str, Any]) -> httpx.Response:
        return grid_member.post(f"/api/tickets/{g1}/actions", json=body)

    with sessions() as session:
        wang_fang = person(session, "wang_fang").id
    refused = do({"action": "assign", "to": wang_fang})
    assert refused.status_code == 403 and refused.json()["response"] == "utter_not_allowed"
    assert do({"action": "reply", "text": "  "}).status_code == 422
    assert do({"action": "note"}).status_code == 422
    assert do({"action": "fly"}).status_code == 422
    assert do({"action": "resolve", "note": "修好了"}).status_code == 200
    again = do({"action": "accept"})
    assert again.status_code == 409 and g1 in again.json()["message"]
    without_token = httpx.post(f"{str(grid_member.base_url).rstrip('/')}/api/tickets/{g1}/actions",
                               json={"action": "note", "note": "x"},
                               cookies=grid_member.cookies)
    assert without_token.status_code == 403
    assert [e[0] for e in history(sessions, g1)] == ["created", "assigned", "status"]


def test_the_pages_work_without_javascript(login: Login, workers: None,
                                           three_grids: list[str],
                                           sessions: sessionmaker[Session]) -> None:
    g1, g2, _ = three_grids
    fire = report(sessions, "he_dama", "1", "fire", kind=TicketKind.EMERGENCY, text="1号楼冒烟")
    grid_member = login("zhang_wei")
    board = grid_member.get("/tickets")
    assert board.status_code == 200
    shown = re.findall(r'data-number="([^"]+)"', board.text)
    assert shown == [fire, g1] and g2 not in board.text
    assert grid_member.get("/tickets", params={"kind": "emergency"}).text.count(
        "data-number=") == 1
    page = grid_member.get(f"/tickets/{g1}")
    assert page.status_code == 200 and 'id="do-resolve"' in page.text
    assert 'id="do-assign"' not in page.text  # reassigning is for staff and supervisors
    csrf = str(grid_member.headers["X-CSRF-Token"])
    form = httpx.Client(base_url=str(grid_member.base_url), cookies=grid_member.cookies)
    done = form.post(f"/tickets/{g1}/actions",
                     data={"csrf": csrf, "action": "resolve", "note": "<b>换了灯泡</b>"})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=resolve")
    after = form.get(done.headers["location"].removeprefix("/console"))
    assert "&lt;b&gt;换了灯泡&lt;/b&gt;" in after.text and "<b>换了灯泡" not in after.text
    assert 'id="ticket-done"' in after.text
    again = form.post(f"/tickets/{g1}/actions", data={"csrf": csrf, "action": "accept"})
    assert again.status_code == 409 and 'id="ticket-refused"' in again.text
    forged = form.post(f"/tickets/{g1}/actions", data={"action": "note", "note": "x"})
    assert forged.status_code == 403
    form.close()


def live_events(client: httpx.Client, wanted: int, then: Any) -> list[dict[str, Any]]:
    """The board's first ``wanted`` live events; ``then()`` runs after the first."""
    seen: list[dict[str, Any]] = []
    with client.stream("GET", "/api/tickets/live") as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        for line in reply.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line.removeprefix("data: ")))
                if len(seen) == 1:
                    then()
                if len(seen) == wanted:
                    return seen
    return seen


def test_the_live_board_hears_of_a_new_emergency(login: Login, workers: None,
                                                 three_grids: list[str],
                                                 sessions: sessionmaker[Session]) -> None:
    before, after = live_events(login("zhao_min"), 2, lambda: report(
        sessions, "he_dama", "1", "fire", kind=TicketKind.EMERGENCY, text="1号楼冒烟"))
    assert (before["counts"]["open"], before["counts"]["emergencies"]) == (3, 0)
    assert (after["counts"]["open"], after["counts"]["emergencies"]) == (4, 1)
    assert before["stamp"] != after["stamp"]
    # another grid's emergency moves the stamp (the page looks again) but not her counts
    before, after = live_events(login("wang_fang"), 2, lambda: report(
        sessions, "li_shushu", "12", "fire", kind=TicketKind.EMERGENCY, text="12号楼冒烟"))
    assert before["counts"] == after["counts"] and before["counts"]["open"] == 1


def test_a_web_chat_photo_is_shown_to_those_who_see_the_ticket(
        login: Login, workers: None, three_grids: list[str],
        sessions: sessionmaker[Session]) -> None:
    g1 = three_grids[0]
    picture = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    with transaction(sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == g1))
        assert ticket is not None
        session.add_all([
            TicketAttachment(ticket_id=ticket.id, channel="webchat",
                             file_id=media.save(session, picture, "image/png", NOW)),
            TicketAttachment(ticket_id=ticket.id, channel="telegram", file_id="AgAD-1")])
    shown = login("zhang_wei").get(f"/api/tickets/{g1}").json()
    web, telegram = shown["photos"]
    assert telegram["url"] is None and web["url"] == f"/console/tickets/{g1}/photos/0"
    photo = login("zhao_min").get(web["url"].removeprefix("/console"))
    assert photo.status_code == 200 and photo.content == picture
    assert photo.headers["content-type"] == "image/png"
    assert login("wang_fang").get(web["url"].removeprefix("/console")).status_code == 404
    assert 'src="/console/tickets/' in login("zhang_wei").get(f"/tickets/{g1}").text
