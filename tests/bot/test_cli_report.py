"""``linli report rates`` as a user runs it: the real console script on a populated database."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml
from sqlalchemy import select

from bot.columns import width
from store.community import import_community, parse_community
from store.database import make_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import Building, Community, Person, Ticket, TicketKind, TicketStatus

REPO = Path(__file__).resolve().parents[2]
LINLI = Path(sys.executable).with_name("linli")  # the console script installed beside python
BEIJING = ZoneInfo("Asia/Shanghai")
S = TicketStatus


def linli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINLI), *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)


def environment(home: Path) -> dict[str, str]:
    return dict(os.environ, LINLI_HOME=str(home),
                LINLI_DATABASE_URL=f"sqlite:///{home / 'report.db'}")


def beijing(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo community with tickets in March 2026 (Beijing dates), counted by hand:

    G1  t1 Mar 1 00:30 (Feb 28 16:30 UTC): answered in time, closed, rated 5
        t2 Mar 10: answered late, in progress
        t3 Mar 10: never answered, long due
        t4 Mar 10: answered in time, closed, rated 4
    G2  t5 Mar 12: answered in time, in progress
        t6 Mar 12: cancelled (left out)
        t7 Mar 20: answered in time, resolved, rated 2
    G1  t8 Apr 1 00:30 (Mar 31 16:30 UTC): after the period, answered in time, closed, rated 5
    G3  t9 just now: not answered, not yet due; t10 40 days ago: answered, closed, rated 5
    """
    home = tmp_path_factory.mktemp("report-home")
    variables = environment(home)
    engine = make_engine(variables["LINLI_DATABASE_URL"])
    upgrade(engine)
    sessions = session_factory(engine)
    demo = yaml.safe_load((REPO / "config" / "community.demo.yml").read_text(encoding="utf-8"))
    with transaction(sessions) as session:
        import_community(session, parse_community(demo))
    with transaction(sessions) as session:
        community = session.scalar(select(Community))
        reporter = session.scalar(select(Person).where(Person.name == "王阿姨"))
        assert community is not None and reporter is not None
        buildings = {b.number: b.id for b in session.scalars(select(Building))}
        numbers = itertools.count(1)

        def ticket(number: str, opened: dt.datetime, status: TicketStatus,
                   answered: dt.timedelta | None, rating: int | None = None) -> None:
            session.add(Ticket(
                number=f"BX-20260301-{next(numbers):04d}", community_id=community.id,
                kind=TicketKind.REPAIR, category="drainage", status=status, text="下水道堵了",
                building_id=buildings[number], reporter_id=reporter.id, created_at=opened,
                respond_by=opened + dt.timedelta(hours=24), resolve_by=opened
                + dt.timedelta(days=7), rating=rating,
                acknowledged_at=None if answered is None else opened + answered))

        hour = dt.timedelta(hours=1)
        ticket("3", beijing(3, 1, 0, 30), S.CLOSED, hour, 5)
        ticket("3", beijing(3, 10), S.IN_PROGRESS, 30 * hour)
        ticket("3", beijing(3, 10), S.ASSIGNED, None)
        ticket("3", beijing(3, 10), S.CLOSED, hour, 4)
        ticket("7", beijing(3, 12), S.IN_PROGRESS, hour)
        ticket("7", beijing(3, 12), S.CANCELLED, None)
        ticket("7", beijing(3, 20), S.RESOLVED, hour, 2)
        ticket("3", beijing(4, 1, 0, 30), S.CLOSED, hour, 5)
        now = dt.datetime.now(dt.UTC)
        ticket("12", now - dt.timedelta(seconds=1), S.ASSIGNED, None)
        ticket("12", now - dt.timedelta(days=40), S.CLOSED, hour, 5)
    engine.dispose()
    return variables


MARCH = ("--since", "2026-03-01", "--until", "2026-04-01")


def test_the_table_shows_each_rate_with_its_counts(env: dict[str, str]) -> None:
    run = linli(env, "report", "rates", *MARCH)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "2026-03-01 to 2026-03-31" in lines[0] and "6 tickets opened" in lines[0]
    assert lines[1::3] == ["响应率 response      66.7%  4/6",
                           "解决率 resolution    50.0%  3/6",
                           "满意率 satisfaction  66.7%  2/3"]
    # each rate explained in both languages; the response rate says whom it leaves out
    assert lines[2].startswith("    按时回应的工单 / 已到回应时限的工单") and "未到时限" in lines[2]
    assert lines[3].startswith("    answered in time / tickets already due a response")
    assert len(lines) == 10


def column_at(line: str, column: int) -> str:
    """The character of ``line`` that covers display column ``column`` (0-based), or ""."""
    seen = 0
    for char in line:
        seen += width(char)
        if seen > column:
            return char
    return ""


def test_breakdowns_line_up_in_both_scripts(env: dict[str, str]) -> None:
    for by, first in (("grid", "G1 第一网格"), ("category", "drainage"), ("week", "2026-03-01")):
        run = linli(env, "report", "rates", *MARCH, "--by", by)
        assert run.returncode == 0, run.stderr
        table = run.stdout.split("\n\n")[1].splitlines()
        assert table[1].startswith(first)
        # every number ends in the column its heading ends in, whatever the Chinese before it
        ends = [width(table[0][:table[0].index(h) + len(h)]) for h in
                ("开单 opened", "响应率 response", "解决率 resolution", "满意率 satisfaction")]
        for row in table[1:]:
            for end in ends:
                assert column_at(row, end - 1) not in ("", " "), (row, end)
                assert column_at(row, end) in ("", " "), (row, end)
    grid = linli(env, "report", "rates", *MARCH, "--by", "grid").stdout.split("\n\n")[1]
    assert grid.splitlines()[1].split() == ["G1", "第一网格", "4", "50.0%", "2/4", "50.0%", "2/4",
                                            "100.0%", "2/2"]


def test_the_workbook_has_the_figures_of_the_json(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "rates.xlsx"
    run = linli(env, "report", "rates", *MARCH, "--xlsx", str(path))
    assert run.returncode == 0, run.stderr and f"workbook: {path}" in run.stdout
    report: dict[str, Any] = json.loads(linli(env, "report", "rates", *MARCH,
                                              "--json").stdout)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["summary", "by_grid", "by_category", "weekly"]

    def figures(row: tuple[Any, ...]) -> list[Any]:
        return list(row[1:])

    def expected(part: dict[str, Any]) -> list[Any]:
        return [part["opened"]] + [part[f][k] for f in ("response", "resolution",
                                                        "satisfaction")
                                   for k in ("numerator", "denominator", "value")]

    summary = list(book["summary"].iter_rows(values_only=True))
    assert summary[1][0] == "all" and figures(summary[1]) == expected(report)
    for sheet, part in (("by_grid", report["by_grid"]), ("by_category", report["by_category"])):
        rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
        assert {row[0]: figures(row) for row in rows} == {k: expected(v)
                                                          for k, v in part.items()}
    weekly = list(book["weekly"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], figures(row)) for row in weekly] == [
        (week["week"], expected(week)) for week in report["weekly"]]
    assert sum(week["opened"] for week in report["weekly"]) == report["opened"] == 6
    meanings = {row[0]: row[1] for row in summary if row and row[0] and "率" in str(row[0])}
    assert meanings["响应率 response"] == report["meanings"]["response"]["zh"]


def test_json_for_one_grid(env: dict[str, str]) -> None:
    run = linli(env, "report", "rates", *MARCH, "--grid", "G1", "--json")
    assert run.returncode == 0, run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    assert report["grid"] == "G1" and report["opened"] == 4
    assert (report["since"], report["until"]) == ("2026-03-01", "2026-04-01")
    assert report["timezone"] == "Asia/Shanghai"
    assert report["response"] == {"numerator": 2, "denominator": 4, "value": 0.5}
    assert report["resolution"] == {"numerator": 2, "denominator": 4, "value": 0.5}
    assert report["satisfaction"] == {"numerator": 2, "denominator": 2, "value": 1.0}


def test_a_grid_with_nothing_to_rate_shows_a_dash(env: dict[str, str]) -> None:
    run = linli(env, "report", "rates", *MARCH, "--grid", "G3")
    assert run.returncode == 0, run.stderr
    assert "响应率 response      –  0/0" in run.stdout.splitlines()


def test_default_period_is_the_last_30_days_including_today(env: dict[str, str]) -> None:
    run = linli(env, "report", "rates", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    until = dt.date.fromisoformat(report["until"])
    assert until - dt.timedelta(days=1) in {dt.datetime.now(BEIJING).date(),
                                            dt.datetime.now(BEIJING).date()
                                            - dt.timedelta(days=1)}  # midnight may pass
    assert dt.date.fromisoformat(report["since"]) == until - dt.timedelta(days=30)
    # only t9, opened a moment ago: nothing is due a response yet, nothing is rated
    assert report["opened"] == 1
    assert report["response"] == {"numerator": 0, "denominator": 0, "value": None}
    assert report["resolution"] == {"numerator": 0, "denominator": 1, "value": 0.0}
    assert report["satisfaction"]["denominator"] == 0


def test_unknown_grid_is_a_clear_error(env: dict[str, str]) -> None:
    run = linli(env, "report", "rates", *MARCH, "--grid", "Z")
    assert run.returncode == 2
    assert "unknown grid 'Z'" in run.stderr and "G1, G2, G3" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_bad_dates_and_an_empty_database_are_clear_errors(env: dict[str, str],
                                                          tmp_path: Path) -> None:
    bad = linli(env, "report", "rates", "--since", "2026-13-01")
    assert bad.returncode == 2 and "2026-11-01" in bad.stderr
    backwards = linli(env, "report", "rates", "--since", "2026-04-01", "--until", "2026-03-01")
    assert backwards.returncode == 2 and "before" in backwards.stderr
    empty = linli(environment(tmp_path), "report", "rates")
    assert empty.returncode == 2
    assert "no community" in empty.stderr and "Traceback" not in empty.stderr
