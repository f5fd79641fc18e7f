"""The three rates in the console, over real HTTP on SQLite and PostgreSQL: the JSON equals
``linli report rates --json``, the workbook has the same figures, a figure drills down to exactly
the tickets it counts, and each account sees only the grids it may."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.rates_command import run
from store import accounts
from store.database import transaction
from store.models import AuditEntry, Building, Community, Ticket, TicketKind, TicketStatus
from store.privacy import find_person
from tests.bot.test_dialogues import NOW
from tests.console.conftest import PASSWORD, Login

BEIJING = ZoneInfo("Asia/Shanghai")
S = TicketStatus
HOUR = dt.timedelta(hours=1)
NOVEMBER = {"since": "2026-11-01", "until": "2026-11-22"}


def beijing(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=BEIJING)


#: number → (building or None, category, opened, status, answered after, rating). NOW is
#: 2026-11-21 09:30 in Beijing; every ticket must respond within 24 h.
TICKETS: dict[str, tuple[str | None, str, dt.datetime, TicketStatus, dt.timedelta | None,
                         int | None]] = {
    "BX-1": ("3", "drainage", beijing(11, 2), S.CLOSED, HOUR, 5),          # G1 in time
    "BX-2": ("3", "drainage", beijing(11, 10), S.IN_PROGRESS, 30 * HOUR, None),  # G1 late
    "BX-3": ("4", "lighting", beijing(11, 10), S.ASSIGNED, None, None),    # G1 never answered
    "BX-4": ("3", "lighting", beijing(11, 21, 9), S.ASSIGNED, None, None),  # G1 not yet due
    "BX-5": ("7", "drainage", beijing(11, 12), S.RESOLVED, HOUR, 2),        # G2 in time
    "BX-6": ("7", "drainage", beijing(11, 12), S.CANCELLED, None, None),    # G2 left out
    "BX-7": ("8", "water", beijing(11, 15), S.CLOSED, HOUR, 0),             # G2 "not solved"
    "BX-8": (None, "water", beijing(11, 16), S.CLOSED, HOUR, 4),            # no building
    "BX-9": ("3", "drainage", beijing(10, 20), S.CLOSED, HOUR, 5),          # G1 in October
}


@pytest.fixture
def rated(base_url: str, sessions_of: sessionmaker[Session]) -> sessionmaker[Session]:
    """The tickets above, and accounts for G1's grid member and the supervisor of all grids."""
    with transaction(sessions_of) as session:
        community = session.scalar(select(Community))
        reporter = find_person(session, "wang_aiyi")
        assert community is not None and reporter is not None
        buildings = {b.number: b.id for b in session.scalars(select(Building))}
        for number, (building, category, opened, status, answered, rating) in TICKETS.items():
            session.add(Ticket(
                number=number, community_id=community.id, kind=TicketKind.REPAIR,
                category=category, status=status, text="下水道堵了",
                building_id=buildings[building] if building else None,
                reporter_id=reporter.id, created_at=opened, respond_by=opened + 24 * HOUR,
                resolve_by=opened + 7 * 24 * HOUR, rating=rating,
                acknowledged_at=opened + answered if answered else None,
                resolved_at=opened + 2 * HOUR if status in (S.RESOLVED, S.CLOSED) else None))
        for name, roles in (("zhang_wei", ("grid_member",)), ("li_na", ("supervisor",))):
            accounts.add_user(session, name, PASSWORD, roles, NOW,
                              person=find_person(session, name))
    return sessions_of


def cli_json(sessions: sessionmaker[Session], **options: Any) -> dict[str, Any]:
    """What ``linli report rates --json`` prints for ``options``, judged at the console's
    clock (the command's own body, in-process on the same database)."""
    with sessions() as session:
        community = session.scalar(select(Community))
        assert community is not None
        printed = run(session, community, since=options.get("since"),
                      until=options.get("until"), grid=options.get("grid"), as_json=True,
                      by=None, xlsx=None, as_of=NOW, category=options.get("category"))
    assert len(printed) == 1
    result: dict[str, Any] = json.loads(printed[0])
    return result


@pytest.mark.parametrize("options", [
    NOVEMBER, {**NOVEMBER, "grid": "G1"}, {**NOVEMBER, "grid": "G2"},
    {**NOVEMBER, "category": "drainage"}, {**NOVEMBER, "grid": "G1", "category": "lighting"},
    {"since": "2026-10-01", "until": "2026-12-01"}])
def test_the_api_answers_what_the_command_prints(rated: sessionmaker[Session], login: Login,
                                                 options: dict[str, str]) -> None:
    reply = login("zhao_min").get("/api/rates", params=options)
    assert reply.status_code == 200, reply.text
    assert reply.json() == cli_json(rated, **options)


def test_the_figures_of_november_counted_by_hand(rated: sessionmaker[Session],
                                                 login: Login) -> None:
    whole = login("zhao_min").get("/api/rates", params=NOVEMBER).json()
    # BX-6 cancelled and BX-9 in October are out; BX-4 is not due yet
    assert whole["opened"] == 7
    assert whole["response"] == {"numerator": 4, "denominator": 6, "value": 4 / 6}
    assert whole["resolution"] == {"numerator": 4, "denominator": 7, "value": 4 / 7}
    assert whole["satisfaction"] == {"numerator": 2, "denominator": 4, "value": 0.5}
    assert whole["by_grid"]["G1"]["opened"] == 4 and whole["by_grid"]["G3"]["opened"] == 0
    assert sum(w["opened"] for w in whole["weekly"]) == 7
    assert "未到时限" in whole["meanings"]["response"]["zh"]


def test_without_dates_the_last_30_days_of_the_console_clock(rated: sessionmaker[Session],
                                                             login: Login) -> None:
    result = login("zhao_min").get("/api/rates").json()
    assert (result["since"], result["until"]) == ("2026-10-23", "2026-11-22")
    assert result == cli_json(rated, since="2026-10-23", until="2026-11-22")


def test_the_workbook_has_the_figures_of_the_json(rated: sessionmaker[Session],
                                                  login: Login) -> None:
    client = login("zhao_min")
    result = client.get("/api/rates", params=NOVEMBER).json()
    reply = client.get("/rates.xlsx", params=NOVEMBER)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "rates-" in reply.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(reply.content))
    assert book.sheetnames == ["summary", "by_grid", "by_category", "weekly"]

    def expected(part: dict[str, Any]) -> list[Any]:
        return [part["opened"]] + [part[f][k] for f in ("response", "resolution",
                                                        "satisfaction")
                                   for k in ("numerator", "denominator", "value")]

    summary = list(book["summary"].iter_rows(values_only=True))
    assert summary[1][0] == "all" and list(summary[1][1:]) == expected(result)
    for sheet, part in (("by_grid", result["by_grid"]),
                        ("by_category", result["by_category"])):
        rows = {row[0]: list(row[1:]) for row in
                book[sheet].iter_rows(min_row=2, values_only=True)}
        assert rows == {key: expected(value) for key, value in part.items()}
    one_grid = openpyxl.load_workbook(io.BytesIO(
        client.get("/rates.xlsx", params={**NOVEMBER, "grid": "G2"}).content))
    g2 = list(one_grid["summary"].iter_rows(values_only=True))[1]
    assert g2[0] == "G2" and list(g2[1:]) == expected(result["by_grid"]["G2"])
    with rated() as session:
        exports = session.scalars(select(AuditEntry.target).where(
            AuditEntry.action == "rates_export")).all()
    assert sorted(str(target) for target in exports) == ["G2", "all"]


#: figure, part, options → the tickets it must list
DRILLS = [
    ("response", "numerator", {}, {"BX-1", "BX-5", "BX-7", "BX-8"}),
    ("response", "denominator", {}, {"BX-1", "BX-2", "BX-3", "BX-5", "BX-7", "BX-8"}),
    ("response", "missing", {"grid": "G1"}, {"BX-2", "BX-3"}),
    ("resolution", "missing", {}, {"BX-2", "BX-3", "BX-4"}),
    ("resolution", "denominator", {"category": "drainage"}, {"BX-1", "BX-2", "BX-5"}),
    ("satisfaction", "numerator", {}, {"BX-1", "BX-8"}),
    ("satisfaction", "missing", {"grid": "G2"}, {"BX-5", "BX-7"}),
]


@pytest.mark.parametrize(("figure", "part", "options", "numbers"), DRILLS)
def test_a_figure_drills_down_to_exactly_the_tickets_it_counts(
        rated: sessionmaker[Session], login: Login, figure: str, part: str,
        options: dict[str, str], numbers: set[str]) -> None:
    client = login("zhao_min")
    asked = {**NOVEMBER, **options}
    listed = client.get("/api/rates/tickets", params={**asked, "figure": figure,
                                                      "part": part}).json()
    assert {item["number"] for item in listed["items"]} == numbers
    assert listed["next"] is None
    rate = client.get("/api/rates", params=asked).json()[figure]
    counted = {"numerator": rate["numerator"], "denominator": rate["denominator"],
               "missing": rate["denominator"] - rate["numerator"]}[part]
    assert counted == len(numbers)
    page = client.get("/rates/tickets", params={**asked, "figure": figure, "part": part})
    assert page.status_code == 200
    assert set(re.findall(r'href="/console/tickets/(BX-\d)"', page.text)) == numbers


def test_the_dashboard_explains_and_links_every_figure(rated: sessionmaker[Session],
                                                       login: Login) -> None:
    client = login("zhao_min")
    page = client.get("/rates", params=NOVEMBER)
    assert page.status_code == 200
    text = page.text
    assert "按时回应的工单 / 已到回应时限的工单（未到时限、尚未回应的不计入）" in text
    assert "<svg" in text and "66.7%" in text and "57.1%" in text
    assert "/console/rates/tickets?since=2026-11-01&amp;until=2026-11-22&amp;figure=response" \
        "&amp;part=missing" in text
    assert "/console/rates.xlsx?since=2026-11-01&amp;until=2026-11-22" in text
    english = client.get("/rates", params={**NOVEMBER, "lang": "en"}).text
    assert "answered in time / tickets already due a response" in english
    assert "Response rate" in english and "2 not answered in time" in english


def test_presets_count_their_own_days(rated: sessionmaker[Session], login: Login) -> None:
    client = login("zhao_min")
    last_month = client.get("/rates", params={"period": "last_month"}).text
    assert "2026-10-01" in last_month and "2026-10-31" in last_month
    assert re.search(r"2026-10-31 · (新开工单 )?1", last_month)
    week = client.get("/rates", params={"period": "7d", "since": "2026-01-01"}).text
    assert "2026-11-15" in week and "2026-11-21" in week  # the preset wins over stale dates


def test_a_grid_member_sees_only_their_grid(rated: sessionmaker[Session],
                                            login: Login) -> None:
    member = login("zhang_wei")
    own = member.get("/api/rates", params=NOVEMBER)
    assert own.status_code == 200
    assert own.json()["grid"] == "G1" and own.json() == cli_json(rated, **NOVEMBER, grid="G1")
    assert "by_grid" not in own.json()
    for path in ("/api/rates", "/api/rates/tickets"):
        other = member.get(path, params={**NOVEMBER, "grid": "G2", "figure": "response",
                                         "part": "denominator"})
        assert other.status_code == 403
    assert member.get("/rates.xlsx", params={"grid": "G2"}).status_code == 403
    page = member.get("/rates", params=NOVEMBER).text
    assert 'value="G1"' in page and 'value="G2"' not in page
    with rated() as session:
        refusals = session.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "refused", AuditEntry.username == "zhang_wei")).all()
    assert len(refusals) == 3 and all(r == {"reason": "grid"} for r in refusals)


def test_a_supervisor_chooses_among_the_grids_they_supervise(rated: sessionmaker[Session],
                                                             login: Login) -> None:
    supervisor = login("li_na")
    assert supervisor.get("/api/rates", params=NOVEMBER).json()["grid"] == "G1"
    g2 = supervisor.get("/api/rates", params={**NOVEMBER, "grid": "G2"})
    assert g2.status_code == 200 and g2.json()["opened"] == 2


def test_other_roles_and_strangers_are_refused(rated: sessionmaker[Session], login: Login,
                                               base_url: str) -> None:
    operator = login("anna_op")
    assert operator.get("/api/rates").status_code == 403
    assert operator.get("/rates").status_code == 403
    assert httpx.get(f"{base_url}/console/api/rates").status_code == 401
    assert httpx.get(f"{base_url}/console/api/rates/tickets").status_code == 401
    page = httpx.get(f"{base_url}/console/rates")
    assert page.status_code == 303 and "/console/login" in page.headers["location"]
    assert httpx.get(f"{base_url}/console/rates.xlsx").status_code == 303


def test_bad_requests_are_clear(rated: sessionmaker[Session], login: Login) -> None:
    client = login("zhao_min")
    backwards = client.get("/api/rates", params={"since": "2026-11-10", "until": "2026-11-01"})
    assert backwards.status_code == 422 and "before" in backwards.json()["message"]
    unknown = client.get("/api/rates", params={"grid": "Z9"})
    assert unknown.status_code == 422 and "Z9" in unknown.json()["message"]
    assert client.get("/api/rates", params={"since": "11/01/2026"}).status_code == 422
    page = client.get("/rates", params={"grid": "Z9"})
    assert page.status_code == 422 and "没有这个网格" in page.text and "Traceback" not in page.text


def test_rates_are_in_the_menu_of_those_who_may_read_them(rated: sessionmaker[Session],
                                                          login: Login) -> None:
    assert 'href="/console/rates"' in login("zhang_wei").get("/home").text
    assert 'href="/console/rates"' not in login("anna_op").get("/messages").text


def test_tickets_opened_across_two_weeks_are_split_by_monday(
        rated: sessionmaker[Session], login: Login) -> None:
    weekly = login("zhao_min").get("/api/rates", params=NOVEMBER).json()["weekly"]
    assert [w["week"] for w in weekly] == ["2026-11-01", "2026-11-02", "2026-11-09",
                                           "2026-11-16"]
    assert [w["opened"] for w in weekly] == [0, 1, 4, 2]
    assert list(itertools.accumulate(w["opened"] for w in weekly))[-1] == 7
