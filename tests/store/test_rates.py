"""The three rates and each grid's load, on SQLite and PostgreSQL, from hand-counted tickets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from store.community import import_community, parse_community
from store.database import transaction
from store.models import Building, Community, Grid, Ticket, TicketKind, TicketStatus
from store.rates import GridLoad, Rate, Rates, load_by_grid, rates, rates_by_grid
from store.tickets import Deadlines, change_status, escalate, open_ticket
from tests.store.test_tickets import person

DEMO = Path(__file__).resolve().parents[2] / "config" / "community.demo.yml"
BEIJING = ZoneInfo("Asia/Shanghai")
SINCE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
AS_OF = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
S = TicketStatus

# What the scenario below holds (G1 = buildings 1–5, G2 = 6–10, G3 = 11–15; deadlines respond
# 24 h and resolve 7 days after opening, b5's 2 h and 24 h).
#   G1 a1  T0, acknowledged exactly at respond_by, resolved, closed, rated 5
#   G1 a2  T0, acknowledged 6 h late, resolved, rated 4
#   G1 a3  T0, never acknowledged (due), escalated once                  → open, overdue
#   G1 a4  Nov 20 17:00 UTC (Nov 21 01:00 Beijing), not acknowledged, not yet due → open, new
#   G1 a5  T0, acknowledged in time, resolved, rated 0 "not solved", reopened → assigned
#   G1 a6  T0, cancelled (rated 5 to prove it is left out)
#   G1 a7  Nov 20 15:00 UTC (Nov 20 23:00 Beijing), acknowledged in time → open
#   G2 b1  T0, acknowledged in time, resolved, closed, rated 2
#   G2 b2  T0, marked duplicate after an in-time acknowledgement
#   G2 b3  T0, acknowledged in time, in progress                          → open, overdue
#   G2 b4  Oct 25 (before the period), never acknowledged, escalated twice → open, overdue
#   G2 b5  Nov 21 10:00 UTC, respond_by == AS_OF, not acknowledged     → open, new, overdue
#   G2 b6  Nov 21 11:00 UTC, cancelled
#   —  nb  T0, no building: status new, never acknowledged                 → open, overdue
#   another community's ticket in the period, acknowledged in time and rated 5
# G3 has no tickets.
G1 = Rates(response=Rate(3, 5), resolution=Rate(2, 6), satisfaction=Rate(2, 3), opened=6)
G2 = Rates(response=Rate(2, 3), resolution=Rate(1, 3), satisfaction=Rate(0, 1), opened=3)
NOTHING = Rates(response=Rate(0, 0), resolution=Rate(0, 0), satisfaction=Rate(0, 0), opened=0)
# G1 + G2 + the ticket with no building (due a response, neither answered nor resolved).
COMMUNITY = Rates(response=Rate(5, 9), resolution=Rate(3, 10), satisfaction=Rate(2, 4),
                  opened=10)


def grid(session: Session, code: str) -> Grid:
    found = session.scalar(select(Grid).where(Grid.code == code))
    assert found is not None
    return found


def demo_community(session: Session) -> Community:
    found = session.scalar(select(Community).where(Community.code == "hepingli"))
    assert found is not None
    return found


class Scenario:
    """Opens tickets as a resident and moves them as the grid member, at chosen times."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.reporter = person(session, "王阿姨")
        self.staff = person(session, "张伟")
        self.count = 0

    def open(self, number: str | None, at: dt.datetime, respond: dt.timedelta = DAY,
             resolve: dt.timedelta = 7 * DAY) -> Ticket:
        self.count += 1  # a category of its own, so no ticket joins another as a duplicate
        building = None if number is None else self.session.scalar(
            select(Building).where(Building.number == number))
        ticket = open_ticket(self.session, reporter=self.reporter, kind=TicketKind.REPAIR,
                             category=f"case{self.count}", text="卫生间下水道堵了",
                             language="zh", building=building, unit="1", room="101", now=at,
                             deadlines=Deadlines(), duplicate_window=DAY).ticket
        # Set here, not taken from the configurable deadline rules, so the counts stay exact.
        ticket.respond_by, ticket.resolve_by = at + respond, at + resolve
        return ticket

    def move(self, ticket: Ticket, *steps: tuple[TicketStatus, dt.datetime]) -> Ticket:
        for status, at in steps:
            change_status(self.session, ticket, status, actor=self.staff, now=at)
        return ticket


def build(session: Session) -> None:
    s = Scenario(session)
    a1 = s.move(s.open("3", T0), (S.ACKNOWLEDGED, T0 + DAY), (S.RESOLVED, T0 + 2 * DAY),
                (S.CLOSED, T0 + 3 * DAY))
    a1.rating = 5
    a2 = s.move(s.open("3", T0), (S.ACKNOWLEDGED, T0 + 30 * HOUR), (S.RESOLVED, T0 + 4 * DAY))
    a2.rating = 4
    escalate(session, s.open("3", T0), actor=None, now=T0 + 2 * DAY)
    s.open("3", dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC))
    a5 = s.move(s.open("3", T0), (S.ACKNOWLEDGED, T0 + HOUR), (S.RESOLVED, T0 + DAY))
    a5.rating = 0  # "not solved" reopens it, as the satisfaction poll does
    s.move(a5, (S.REOPENED, T0 + 2 * DAY), (S.ASSIGNED, T0 + 2 * DAY))
    a6 = s.move(s.open("3", T0), (S.CANCELLED, T0 + HOUR))
    a6.rating = 5
    late_evening = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
    s.move(s.open("3", late_evening), (S.ACKNOWLEDGED, late_evening + HOUR))

    b1 = s.move(s.open("7", T0), (S.ACKNOWLEDGED, T0 + HOUR), (S.RESOLVED, T0 + DAY),
                (S.CLOSED, T0 + 2 * DAY))
    b1.rating = 2
    s.move(s.open("7", T0), (S.ACKNOWLEDGED, T0 + HOUR), (S.DUPLICATE, T0 + 2 * HOUR))
    s.move(s.open("7", T0), (S.IN_PROGRESS, T0 + 2 * HOUR))
    b4 = s.open("7", dt.datetime(2026, 10, 25, 8, 0, tzinfo=dt.UTC))
    escalate(session, b4, actor=None, now=T0)
    escalate(session, b4, actor=None, now=T0)
    s.open("7", AS_OF - 2 * HOUR, respond=2 * HOUR, resolve=DAY)
    s.move(s.open("7", AS_OF - HOUR), (S.CANCELLED, AS_OF - HOUR))

    s.open(None, T0)

    other = Community(code="other", name="别的社区")
    session.add(other)
    session.flush()
    session.add(Ticket(number="BX-20261110-9999", community_id=other.id,
                       kind=TicketKind.REPAIR, category="drainage", status=S.CLOSED,
                       text="别处的工单", reporter_id=s.reporter.id, created_at=T0,
                       respond_by=T0 + DAY, acknowledged_at=T0 + HOUR, rating=5))


@pytest.fixture
def scenario(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(sessions) as session:
        import_community(session, parse_community(yaml.safe_load(DEMO.read_text())))
    with transaction(sessions) as session:
        build(session)
    return sessions


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent to the database while the test runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def test_rate_value_is_none_when_there_is_nothing_to_rate() -> None:
    assert Rate(7, 8).value == 0.875
    assert Rate(0, 3).value == 0.0
    assert Rate(0, 0).value is None


def test_rates_of_the_whole_community_count_each_case(scenario: sessionmaker[Session],
                                                      statements: list[str]) -> None:
    with scenario() as session:
        community = demo_community(session)
        statements.clear()
        assert rates(session, community.id, SINCE, UNTIL, AS_OF) == COMMUNITY
        assert len(statements) == 1


def test_rates_of_one_grid(scenario: sessionmaker[Session]) -> None:
    with scenario() as session:
        community = demo_community(session)
        assert rates(session, community.id, SINCE, UNTIL, AS_OF, grid(session, "G1").id) == G1
        assert rates(session, community.id, SINCE, UNTIL, AS_OF, grid(session, "G2").id) == G2
        assert rates(session, community.id, SINCE, UNTIL, AS_OF,
                     grid(session, "G3").id) == NOTHING


def test_rates_by_grid_lists_every_grid_in_one_statement(scenario: sessionmaker[Session],
                                                         statements: list[str]) -> None:
    with scenario() as session:
        community = demo_community(session)
        statements.clear()
        by_grid = rates_by_grid(session, community.id, SINCE, UNTIL, AS_OF)
        assert len(statements) == 1
    assert by_grid == {"G1": G1, "G2": G2, "G3": NOTHING}
    assert by_grid["G3"].response.value is None


def test_the_period_includes_since_and_excludes_until(scenario: sessionmaker[Session]) -> None:
    with scenario() as session:
        community = demo_community(session)
        assert rates(session, community.id, SINCE, T0, AS_OF) == NOTHING
        from_t0 = rates(session, community.id, T0, T0 + HOUR, AS_OF)
        # a1 a2 a3 a5 b1 b3 nb: the ones opened at T0 that were not cancelled or duplicates
        assert from_t0.opened == 7
        assert from_t0.response == Rate(4, 7) and from_t0.satisfaction == Rate(2, 4)


def test_as_of_decides_which_unanswered_tickets_are_due(scenario: sessionmaker[Session]) -> None:
    with scenario() as session:
        community = demo_community(session)
        earlier = rates(session, community.id, SINCE, UNTIL, AS_OF - HOUR)
        # b5's response is due only at AS_OF itself; a4's not before Nov 21 17:00 UTC.
        assert earlier.response == Rate(5, 8)
        later = rates(session, community.id, SINCE, UNTIL, AS_OF + 6 * HOUR)
        assert later.response == Rate(5, 10)


def test_times_in_another_zone_mean_the_same_instant(scenario: sessionmaker[Session]) -> None:
    with scenario() as session:
        community = demo_community(session)
        local = rates(session, community.id, SINCE.astimezone(BEIJING),
                      UNTIL.astimezone(BEIJING), AS_OF.astimezone(BEIJING))
        assert local == COMMUNITY
        with pytest.raises(ValueError, match="time zone"):
            rates(session, community.id, SINCE.replace(tzinfo=None), UNTIL, AS_OF)


def test_load_by_grid_on_a_local_day(scenario: sessionmaker[Session],
                                     statements: list[str]) -> None:
    day_start = dt.datetime(2026, 11, 21, tzinfo=BEIJING)  # 2026-11-20 16:00 UTC
    with scenario() as session:
        community = demo_community(session)
        statements.clear()
        load = load_by_grid(session, community.id, day_start, day_start + DAY, AS_OF)
        assert len(statements) == 1
    assert load == {
        # new: a4 (01:00 Beijing; a7 at 23:00 the day before is not); open: a3 a4 a5 a7;
        # overdue: a3 (no response), a5 (resolution); escalated: a3
        "G1": GridLoad(new=1, open=4, overdue=2, escalated=1),
        # new: b5 (b6 was cancelled); open: b3 b4 b5, all overdue; escalated: b4
        "G2": GridLoad(new=1, open=3, overdue=3, escalated=1),
        "G3": GridLoad(new=0, open=0, overdue=0, escalated=0),
        "": GridLoad(new=0, open=1, overdue=1, escalated=0),
    }


def test_load_by_grid_with_nothing_open_lists_the_grids_only(
        sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        import_community(session, parse_community(yaml.safe_load(DEMO.read_text())))
    with sessions() as session:
        community = demo_community(session)
        load = load_by_grid(session, community.id, T0, T0 + DAY, AS_OF)
        assert load == dict.fromkeys(("G1", "G2", "G3"), GridLoad(0, 0, 0, 0))
        assert rates_by_grid(session, community.id, SINCE, UNTIL, AS_OF) == dict.fromkeys(
            ("G1", "G2", "G3"), NOTHING)
