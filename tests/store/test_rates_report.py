"""The rates broken down by category and week, the tickets behind each figure, the report
document and its workbook — on SQLite and PostgreSQL, on the hand-counted scenario of
tests/store/test_rates.py."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.rates import (
    FIGURES,
    Rates,
    rates,
    rates_by_category,
    rates_by_grid,
    report,
    tickets_behind,
    weekly,
    weeks,
)
from store.rates_xlsx import workbook
from tests.store.test_rates import (
    AS_OF,
    BEIJING,
    COMMUNITY,
    G1,
    SINCE,
    UNTIL,
    demo_community,
    grid,
    scenario,
    statements,
)

__all__ = ["scenario", "statements"]  # fixtures


def total(parts: list[Rates]) -> tuple[int, ...]:
    return tuple(sum(getattr(getattr(p, f), side) for p in parts)
                 for f in FIGURES for side in ("numerator", "denominator"))


def flat(result: Rates) -> tuple[int, ...]:
    return total([result])


def test_categories_add_up_to_the_whole(scenario: sessionmaker[Session]) -> None:
    with scenario() as session:
        community = demo_community(session)
        by_category = rates_by_category(session, community.id, SINCE, UNTIL, AS_OF)
        g1 = rates_by_category(session, community.id, SINCE, UNTIL, AS_OF,
                               grid(session, "G1").id)
    # every scenario ticket has a category of its own: cancelled and duplicates are absent
    assert len(by_category) == COMMUNITY.opened
    assert total(list(by_category.values())) == flat(COMMUNITY)
    assert sum(r.opened for r in by_category.values()) == COMMUNITY.opened
    assert total(list(g1.values())) == flat(G1)


def test_weeks_are_cut_at_local_mondays() -> None:
    since = dt.datetime(2026, 11, 1, tzinfo=BEIJING)  # a Sunday
    cuts = weeks(since, dt.datetime(2026, 11, 20, tzinfo=BEIJING), BEIJING)
    assert [(a.astimezone(BEIJING).date().isoformat(), b.astimezone(BEIJING).date().isoformat())
            for a, b in cuts] == [("2026-11-01", "2026-11-02"), ("2026-11-02", "2026-11-09"),
                                  ("2026-11-09", "2026-11-16"), ("2026-11-16", "2026-11-20")]


def test_the_weekly_trend_adds_up_to_the_period(scenario: sessionmaker[Session]) -> None:
    with scenario() as session:
        community = demo_community(session)
        trend = weekly(session, community.id, SINCE, UNTIL, AS_OF, BEIJING)
    assert total([r for _, r in trend]) == flat(COMMUNITY)
    # T0 (Nov 10) is in the week of Monday Nov 9: most of the scenario opened then
    by_week = {start.astimezone(BEIJING).date().isoformat(): r.opened for start, r in trend}
    assert by_week["2026-11-09"] == 7 and sum(by_week.values()) == COMMUNITY.opened


@pytest.mark.parametrize("figure", list(FIGURES))
def test_each_figure_drills_down_to_its_tickets(scenario: sessionmaker[Session],
                                                figure: str) -> None:
    with scenario() as session:
        community = demo_community(session)
        whole = getattr(rates(session, community.id, SINCE, UNTIL, AS_OF), figure)
        g1 = getattr(G1, figure)
        counted = {part: tickets_behind(session, community.id, SINCE, UNTIL, AS_OF, figure,
                                        part) for part in ("numerator", "denominator",
                                                           "missing")}
        in_g1 = tickets_behind(session, community.id, SINCE, UNTIL, AS_OF, figure,
                               "numerator", grid_id=grid(session, "G1").id)
        paged = tickets_behind(session, community.id, SINCE, UNTIL, AS_OF, figure,
                               "denominator", limit=2)
        rest = tickets_behind(session, community.id, SINCE, UNTIL, AS_OF, figure,
                              "denominator", after_id=paged[-1].id if paged else None)
    assert len(counted["numerator"]) == whole.numerator
    assert len(counted["denominator"]) == whole.denominator
    ids = {part: {t.id for t in found} for part, found in counted.items()}
    assert ids["numerator"] | ids["missing"] == ids["denominator"]
    assert not ids["numerator"] & ids["missing"]
    assert len(in_g1) == g1.numerator
    assert [t.id for t in [*paged, *rest]] == sorted(ids["denominator"])


def test_drill_down_refuses_a_figure_that_is_not_one(scenario: sessionmaker[Session]) -> None:
    with scenario() as session, pytest.raises(ValueError):
        tickets_behind(session, demo_community(session).id, SINCE, UNTIL, AS_OF, "speed",
                       "numerator")


def test_the_report_and_its_workbook_agree(scenario: sessionmaker[Session]) -> None:
    with scenario() as session:
        community = demo_community(session)
        document = report(session, community, dt.date(2026, 11, 1), dt.date(2026, 12, 1),
                          AS_OF)
        one_grid = report(session, community, dt.date(2026, 11, 1), dt.date(2026, 12, 1),
                          AS_OF, grid(session, "G1"))
        by_grid = rates_by_grid(session, community.id,
                                dt.datetime(2026, 11, 1, tzinfo=BEIJING),
                                dt.datetime(2026, 12, 1, tzinfo=BEIJING), AS_OF)
    assert document["by_grid"]["G1"]["response"]["numerator"] == by_grid["G1"].response.numerator
    assert "by_grid" not in one_grid and one_grid["grid"] == "G1"
    book = openpyxl.load_workbook(io.BytesIO(workbook(document)))
    cells = {row[0]: row[1:] for row in book["by_grid"].iter_rows(min_row=2, values_only=True)}

    def expected(part: dict[str, Any]) -> tuple[Any, ...]:
        return (part["opened"], *(part[f][k] for f in FIGURES
                                  for k in ("numerator", "denominator", "value")))

    assert cells == {code: expected(part) for code, part in document["by_grid"].items()}
    summary = next(book["summary"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert summary[1:] == expected(document)
    weekly_rows = list(book["weekly"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in weekly_rows] == [w["week"] for w in document["weekly"]]
    assert "by_grid" not in openpyxl.load_workbook(io.BytesIO(workbook(one_grid))).sheetnames


@pytest.mark.parametrize("grid_code", [None, "G1", "G3"])
def test_the_report_in_one_query_equals_the_functions_one_by_one(
        scenario: sessionmaker[Session], statements: list[str], grid_code: str | None) -> None:
    first, until = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    since = dt.datetime.combine(first, dt.time(), BEIJING)
    end = dt.datetime.combine(until, dt.time(), BEIJING)
    with scenario() as session:
        community = demo_community(session)
        chosen = grid(session, grid_code) if grid_code else None
        chosen_id = chosen.id if chosen else None
        statements.clear()
        document = report(session, community, first, until, AS_OF, chosen)
        queries = len(statements)
        whole = rates(session, community.id, since, end, AS_OF, chosen_id)
        by_grid = rates_by_grid(session, community.id, since, end, AS_OF)
        by_category = rates_by_category(session, community.id, since, end, AS_OF, chosen_id)
        trend = weekly(session, community.id, since, end, AS_OF, BEIJING, chosen_id)
    assert queries <= 2  # the counts, and the grids' codes
    assert document["opened"] == whole.opened
    assert all(document[f] == {"numerator": getattr(whole, f).numerator,
                               "denominator": getattr(whole, f).denominator,
                               "value": getattr(whole, f).value} for f in FIGURES)
    if chosen is None:
        assert {code: part["opened"] for code, part in document["by_grid"].items()} == {
            code: result.opened for code, result in by_grid.items()}
        assert [document["by_grid"][code]["response"]["numerator"] for code in by_grid] == [
            result.response.numerator for result in by_grid.values()]
    assert {name: (part["opened"], part["satisfaction"]["numerator"])
            for name, part in document["by_category"].items()} == {
        name: (result.opened, result.satisfaction.numerator)
        for name, result in by_category.items()}
    assert [(w["week"], w["opened"], w["response"]["denominator"])
            for w in document["weekly"]] == [
        (start.astimezone(BEIJING).date().isoformat(), result.opened,
         result.response.denominator) for start, result in trend]


def test_a_report_of_one_day(scenario: sessionmaker[Session]) -> None:
    with scenario() as session:
        document = report(session, demo_community(session), dt.date(2026, 11, 10),
                          dt.date(2026, 11, 11), AS_OF)
    assert [w["week"] for w in document["weekly"]] == ["2026-11-10"]
    assert document["weekly"][0]["opened"] == document["opened"] == 7
