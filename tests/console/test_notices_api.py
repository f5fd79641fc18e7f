"""Notices from the console, over real HTTP on SQLite and PostgreSQL: the dry run's audience is
exactly who the scheduler then writes to; quiet hours, the confirmation size and cancelling
follow the chat's /broadcast rules; only staff may send; the pages work without JavaScript."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from actions.runtime import current as current_runtime
from bot.conversation import ConversationService
from bot.scheduler.jobs import Jobs
from store.models import AuditEntry, Notice, NoticeRun, NoticeStatus, OutboxMessage, Person
from store.policy import NoticeSpec
from tests.bot.test_dialogues import NOW
from tests.console.conftest import Login

BOTH = {"zh": "周六上午9点在3号楼前有免费体检。", "en": "Free health checks by building 3, "
        "Saturday 9:00."}
EVERYONE = 14  # the demo community's people (config/community.demo.yml)


def sweep(moment: dt.datetime = NOW) -> None:
    """The scheduler's sweep at ``moment``, as ``linli serve`` runs it every second."""
    Jobs(current_runtime()).sweep(moment)


def received(service: ConversationService, notice_id: int) -> list[int]:
    """Who the notice's sendings were written to (the outbox), by person id."""
    with service.sessions() as session:
        batches = [f"notice:{run}" for run in session.scalars(
            select(NoticeRun.id).where(NoticeRun.notice_id == notice_id))]
        return sorted(person for person in session.scalars(select(OutboxMessage.person_id)
                      .where(OutboxMessage.batch.in_(batches))) if person is not None)


def notices_made(service: ConversationService) -> int:
    with service.sessions() as session:
        return session.scalar(select(func.count()).select_from(Notice)) or 0


def ask(client: httpx.Client, to: str, when: str = "now", dry_run: bool = True,
        **extra: Any) -> httpx.Response:
    return client.post("/api/notices", json={"to": to, "when": when, **BOTH,
                                             "dry_run": dry_run, **extra})


@pytest.mark.parametrize("to", ["all", "grid:G2", "building:9", "language:en"])
def test_the_dry_run_audience_is_exactly_who_receives_it(
        service: ConversationService, login: Login, to: str) -> None:
    staff = login("zhao_min")

    preview = ask(staff, to).json()
    assert notices_made(service) == 0  # a dry run writes nothing
    sent = ask(staff, to, dry_run=False).json()
    sweep()

    people = sorted(p["id"] for p in preview["audience"]["people"])
    assert people and preview["audience"]["count"] == len(people)
    assert received(service, sent["notice"]["id"]) == people
    assert sum(preview["audience"]["by_grid"].values()) == len(people)
    assert sum(preview["audience"]["by_building"].values()) == len(people)
    assert sum(preview["audience"]["by_language"].values()) == len(people)
    [run] = staff.get(f"/api/notices/{sent['notice']['id']}").json()["runs"]
    assert run["recipients"] == len(people)
    assert sum(run[k] for k in ("delivered", "failed", "unreachable", "waiting",
                                "pending")) == len(people)


def test_the_preview_says_who_they_are(login: Login) -> None:
    preview = ask(login("zhao_min"), "grid:G2").json()
    assert sorted((p["name"], p["building"], p["language"])
                  for p in preview["audience"]["people"]) == [
        ("Anna Smith", "9", "en"), ("周小雨", "7", "zh")]
    assert preview["audience"]["by_grid"] == {"G2": 2}
    assert preview["audience"]["by_language"] == {"en": 1, "zh": 1}
    assert preview["to_name"] == "G2网格" and preview["warnings"] == []
    assert preview["needs_confirmation"] is False


def test_a_notice_due_at_night_warns_that_quiet_hours_hold_it(login: Login) -> None:
    staff = login("zhao_min")
    for when in ("2026-11-21T23:30", "每天23点"):
        warned = ask(staff, "all", when).json()["warnings"]
        [quiet] = [w for w in warned if w["code"] == "quiet_hours"]
        assert quiet["until"] == "2026-11-22T07:00:00+08:00"
        assert "22:00–07:00" in quiet["message"] and "07:00" in quiet["message"]
    by_day = ask(staff, "all", "2026-11-21T15:00").json()
    assert [w for w in by_day["warnings"] if w["code"] == "quiet_hours"] == []
    english = ask(login("sun_li"), "all", "2026-11-22T06:00").json()
    [quiet] = [w for w in english["warnings"] if w["code"] == "quiet_hours"]
    assert quiet["until"] == "2026-11-22T07:00:00+08:00"


def test_above_the_size_it_waits_for_confirmation(service: ConversationService,
                                                   login: Login) -> None:
    runtime = current_runtime()
    runtime.policy = runtime.policy.model_copy(update={"notices": NoticeSpec(confirm_above=5)})
    staff = login("zhao_min")
    assert ask(staff, "all").json()["needs_confirmation"] is True
    assert ask(staff, "grid:G2").json()["needs_confirmation"] is False

    waiting = ask(staff, "all", dry_run=False).json()
    notice = waiting["notice"]
    assert waiting["needs_confirmation"] is True and notice["status"] == "to_confirm"
    sweep()
    assert received(service, notice["id"]) == []  # not without the author's yes

    confirmed = staff.post(f"/api/notices/{notice['id']}/confirm")
    assert confirmed.json()["status"] == "scheduled"
    sweep()
    assert len(received(service, notice["id"])) == EVERYONE

    at_once = ask(staff, "all", dry_run=False, confirm=True).json()["notice"]
    assert at_once["status"] == "scheduled"
    sweep()
    assert len(received(service, at_once["id"])) == EVERYONE


def test_a_cancelled_notice_stops(service: ConversationService, login: Login) -> None:
    staff = login("zhao_min")
    later = ask(staff, "grid:G2", "2026-11-21T15:00", dry_run=False).json()["notice"]
    daily = ask(staff, "grid:G1", "每天10点", dry_run=False).json()["notice"]
    ten = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
    sweep(ten)
    first = received(service, daily["id"])
    assert len(first) == 2

    for notice in (later, daily):
        cancelled = staff.post(f"/api/notices/{notice['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    for days in (0, 1, 2):
        sweep(ten + dt.timedelta(days=days, hours=6))
        sweep(ten + dt.timedelta(days=days + 1))
    assert received(service, later["id"]) == []
    assert received(service, daily["id"]) == first  # the first sending only

    again = staff.post(f"/api/notices/{later['id']}/cancel")
    assert again.status_code == 404 and again.json()["error"] == "not_found"
    assert staff.post("/api/notices/999/cancel").status_code == 404
    listed = {n["id"]: n["status"] for n in staff.get("/api/notices").json()["items"]}
    assert listed == {later["id"]: "cancelled", daily["id"]: "cancelled"}
    with service.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("notice_%")).order_by(AuditEntry.id)).all()
    assert actions == ["notice_created", "notice_created", "notice_cancel", "notice_cancel"]


def test_only_staff_may_send_notices(service: ConversationService, login: Login,
                                     base_url: str) -> None:
    for account in ("anna_op", "admin_a"):
        other = login(account)
        assert ask(other, "all").status_code == 403
        assert ask(other, "all", dry_run=False).status_code == 403
        assert other.get("/api/notices").status_code == 403
        assert other.get("/notices").status_code == 403
        assert other.get("/notices/new").status_code == 403
    stranger = httpx.Client(base_url=f"{base_url}/console")
    assert ask(stranger, "all").status_code == 401
    assert stranger.get("/api/notices").status_code == 401
    assert stranger.get("/notices").status_code == 303  # to the login page
    no_token = httpx.post(f"{base_url}/console/api/notices", json={"to": "all", **BOTH},
                          cookies=login("zhao_min").cookies)
    assert no_token.status_code == 403
    assert notices_made(service) == 0


def test_a_notice_that_cannot_be_made_says_why(service: ConversationService,
                                                login: Login) -> None:
    staff = login("zhao_min")
    for to, when, texts, code in (("grid:Z9", "now", BOTH, "audience"),
                                  ("street", "now", BOTH, "audience"),
                                  ("all", "someday maybe", BOTH, "when"),
                                  ("all", "2026-11-20T08:00", BOTH, "when"),
                                  ("all", "now", {"zh": " ", "en": ""}, "text")):
        refused = staff.post("/api/notices", json={"to": to, "when": when, **texts,
                                                   "dry_run": False})
        assert refused.status_code == 422 and refused.json()["error"] == code, (to, when)
        assert refused.json()["message"]
    assert notices_made(service) == 0


def test_without_javascript_compose_preview_and_send(service: ConversationService,
                                                     login: Login) -> None:
    staff = login("zhao_min")
    csrf = staff.headers["X-CSRF-Token"]
    composer = staff.get("/notices/new", params={"to": "grid:G2"})
    assert composer.status_code == 200 and "周小雨" in composer.text
    form = {"csrf": csrf, "to": "grid:G2", "kind": "once", "at": "2026-11-21T23:00",
            "repeat": "", "zh": "<b>停水</b>通知", "en": ""}
    preview = staff.post("/notices/preview", data=form)
    assert preview.status_code == 200
    assert "&lt;b&gt;停水&lt;/b&gt;通知" in preview.text and "<b>停水" not in preview.text
    assert "Anna Smith" in preview.text and "07:00" in preview.text  # held by quiet hours
    assert notices_made(service) == 0
    empty = staff.post("/notices/preview", data={**form, "zh": ""})
    assert empty.status_code == 422 and "请至少写一种语言的内容" in empty.text
    no_time = staff.post("/notices/preview", data={**form, "at": ""})  # "once", but when?
    assert no_time.status_code == 422 and "看不懂这个时间" in no_time.text

    sent = staff.post("/notices/send", data=form)
    assert sent.status_code == 303
    number = int(re.search(r"/notices/(\d+)", sent.headers["location"])[1])  # type: ignore[index]
    page = staff.get(f"/notices/{number}")
    assert page.status_code == 200 and "已排期" in page.text
    assert staff.post(f"/notices/{number}/cancel", data={"csrf": csrf}).status_code == 303
    with service.sessions() as session:
        notice = session.get(Notice, number)
        assert notice is not None and notice.status == NoticeStatus.CANCELLED
        author = session.get(Person, notice.author_id)
        assert author is not None and author.name == "赵敏"
    assert "已取消" in staff.get("/notices").text


def test_without_javascript_a_large_audience_is_confirmed_on_the_notice_page(
        service: ConversationService, login: Login) -> None:
    runtime = current_runtime()
    runtime.policy = runtime.policy.model_copy(update={"notices": NoticeSpec(confirm_above=5)})
    staff = login("zhao_min")
    csrf = staff.headers["X-CSRF-Token"]
    form = {"csrf": csrf, "to": "all", "kind": "now", "zh": "今晚8点停电检修。", "en": ""}
    preview = staff.post("/notices/preview", data=form)
    assert 'name="confirm"' in preview.text and "超过 5 人" in preview.text

    unticked = staff.post("/notices/send", data=form)  # the box left unticked: it waits
    assert unticked.headers["location"].endswith("?m=to_confirm")
    number = int(re.search(r"/notices/(\d+)", unticked.headers["location"])[1])  # type: ignore[index]
    sweep()
    assert received(service, number) == []
    assert 'id="nt-confirm"' in staff.get(f"/notices/{number}").text
    assert staff.post(f"/notices/{number}/confirm", data={"csrf": csrf}).status_code == 303
    sweep()
    assert len(received(service, number)) == EVERYONE

    ticked = staff.post("/notices/send", data={**form, "confirm": "yes"})
    assert ticked.headers["location"].endswith("?m=created")
