"""Tickets on SQLite and PostgreSQL: numbers, routing, deadlines, duplicates, state machine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.board import Viewer, board
from store.calendar import WorkCalendar
from store.community import import_community, parse_community
from store.database import transaction
from store.models import Building, Person, TicketEvent, TicketKind, TicketStatus
from store.parts import Parts, Place
from store.tickets import (
    Deadlines,
    Opened,
    TicketError,
    change_status,
    escalate,
    open_ticket,
    reported_by,
)

DEMO = Path(__file__).resolve().parents[2] / "config" / "community.demo.yml"
NOW = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)
WINDOW = dt.timedelta(hours=24)


@pytest.fixture
def community(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(sessions) as session:
        import_community(session, parse_community(yaml.safe_load(DEMO.read_text())))
    return sessions


def person(session: Session, name: str) -> Person:
    found = session.scalar(select(Person).where(Person.name == name))
    assert found is not None
    return found


def building(session: Session, number: str) -> Building:
    found = session.scalar(select(Building).where(Building.number == number))
    assert found is not None
    return found


def report(session: Session, who: str, number: str, category: str = "drainage",
           kind: TicketKind = TicketKind.REPAIR, at: dt.datetime = NOW) -> Opened:
    return open_ticket(session, reporter=person(session, who), kind=kind, category=category,
                       text="卫生间下水道堵了", language="zh", building=building(session, number),
                       unit="1", room="302", now=at, deadlines=Deadlines(),
                       duplicate_window=WINDOW)


def test_a_report_is_numbered_routed_and_given_deadlines(
        community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        opened = report(session, "李叔叔", "12", category="water")
        ticket = opened.ticket
        assert not opened.duplicate
        assert ticket.number == "BX-20261121-0001"
        assert ticket.assignee is not None and ticket.assignee.name == "刘洋"
        assert ticket.status == TicketStatus.ASSIGNED
        assert ticket.respond_by == NOW + dt.timedelta(hours=2)  # water is a utility
        assert ticket.resolve_by == NOW + dt.timedelta(hours=24)
        second = report(session, "李叔叔", "3", category="noise", kind=TicketKind.COMPLAINT)
        assert second.ticket.number == "TS-20261121-0001"
        third = report(session, "王阿姨", "3", category="lighting")
        assert third.ticket.number == "BX-20261121-0002"
        assert third.ticket.respond_by == NOW + dt.timedelta(hours=24)
        kinds = [e.kind for e in session.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]
        assert kinds == ["created", "assigned"]


def test_same_building_and_category_joins_the_open_ticket(
        community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        first = report(session, "李叔叔", "12").ticket
        again = report(session, "周小雨", "12", at=NOW + dt.timedelta(hours=3))
        assert again.duplicate and again.ticket.id == first.id
        assert [t.id for t in reported_by(session, person(session, "周小雨"))] == [first.id]
        later = report(session, "周小雨", "12", at=NOW + dt.timedelta(days=2))
        assert not later.duplicate  # outside the window: a new problem


def test_emergencies_are_never_merged(community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        first = report(session, "王阿姨", "3", "fire", TicketKind.EMERGENCY)
        second = report(session, "何大妈", "3", "fire", TicketKind.EMERGENCY)
        assert not second.duplicate and second.ticket.id != first.ticket.id
        assert first.ticket.respond_by == NOW + dt.timedelta(minutes=15)
        assert first.ticket.number.startswith("JJ-")


def test_state_machine_records_every_change(community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        ticket = report(session, "王阿姨", "3").ticket
        grid_member = person(session, "张伟")
        assert [i.number for i in board(session, Viewer.of(grid_member), as_of=NOW).items] == \
            [ticket.number]
        change_status(session, ticket, TicketStatus.ACKNOWLEDGED, actor=grid_member, now=NOW)
        change_status(session, ticket, TicketStatus.RESOLVED, actor=grid_member, now=NOW,
                      note="换了管子")
        assert ticket.acknowledged_at == NOW and ticket.resolved_at == NOW
        with pytest.raises(TicketError):
            change_status(session, ticket, TicketStatus.IN_PROGRESS, actor=grid_member, now=NOW)
        change_status(session, ticket, TicketStatus.REOPENED, actor=None, now=NOW)
        change_status(session, ticket, TicketStatus.ASSIGNED, actor=None, now=NOW)
        assert escalate(session, ticket, actor=grid_member, now=NOW) == 1
        assert escalate(session, ticket, actor=grid_member, now=NOW) == 2
        with pytest.raises(TicketError):
            escalate(session, ticket, actor=grid_member, now=NOW)
        statuses = [(e.from_status, e.to_status) for e in session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                      TicketEvent.kind == "status").order_by(TicketEvent.id))]
        assert statuses == [(TicketStatus.ASSIGNED, TicketStatus.ACKNOWLEDGED),
                            (TicketStatus.ACKNOWLEDGED, TicketStatus.RESOLVED),
                            (TicketStatus.RESOLVED, TicketStatus.REOPENED),
                            (TicketStatus.REOPENED, TicketStatus.ASSIGNED)]


def test_numbers_survive_many_reports_in_one_day(community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        numbers = [report(session, "王阿姨", str(b), category=c).ticket.number
                   for b in ("1", "2", "3", "4") for c in ("water", "gas", "lighting")]
    assert numbers[-1] == "BX-20261121-0012" and len(set(numbers)) == 12


# -- local time -------------------------------------------------------------------------------

BEIJING = ZoneInfo("Asia/Shanghai")


def test_a_report_after_midnight_in_beijing_is_numbered_by_that_day(
        community: sessionmaker[Session]) -> None:
    night = dt.datetime(2026, 12, 3, 1, 18, tzinfo=BEIJING)  # 2026-12-02 17:18 UTC
    with transaction(community) as session:
        assert report(session, "王阿姨", "3", at=night).ticket.number == "BX-20261203-0001"
        assert report(session, "何大妈", "1", at=night.astimezone(dt.UTC)).ticket.number == \
            "BX-20261203-0002"  # the moment, not how it is written, decides


def _calendar() -> WorkCalendar:
    return WorkCalendar(BEIJING, holidays=frozenset({dt.date(2027, 1, 1)}))


@pytest.mark.parametrize(("kind", "category", "at", "respond_by"), [
    # a utility at night: by the morning's start, not two hours into the night
    (TicketKind.REPAIR, "water", (2026, 12, 3, 1, 18), (2026, 12, 3, 8, 30)),
    # ... on a Saturday too: utilities are answered every day
    (TicketKind.REPAIR, "water", (2026, 12, 5, 1, 18), (2026, 12, 5, 8, 30)),
    (TicketKind.REPAIR, "water", (2026, 12, 7, 10, 0), (2026, 12, 7, 12, 0)),
    # other repairs keep to working days: Saturday's report on Monday morning
    (TicketKind.REPAIR, "lighting", (2026, 12, 5, 10, 0), (2026, 12, 7, 8, 30)),
    (TicketKind.REPAIR, "lighting", (2026, 12, 3, 1, 18), (2026, 12, 4, 8, 30)),
    (TicketKind.COMPLAINT, "noise", (2026, 12, 31, 16, 0), (2027, 1, 4, 8, 30)),  # New Year
    # emergencies run on the clock
    (TicketKind.EMERGENCY, "fire", (2026, 12, 5, 3, 0), (2026, 12, 5, 3, 15)),
])
def test_promises_keep_to_their_hours(kind: TicketKind, category: str,
                                      at: tuple[int, int, int, int, int],
                                      respond_by: tuple[int, int, int, int, int]) -> None:
    deadlines = Deadlines(calendar=_calendar())
    due = deadlines.due(kind, category, dt.datetime(*at, tzinfo=BEIJING))
    assert due.respond_by == dt.datetime(*respond_by, tzinfo=BEIJING)
    assert due.escalate_by > due.respond_by


# -- duplicates follow what is shared ---------------------------------------------------------

PARTS = Parts.default()


def place_report(session: Session, who: str, number: str, place: Place, *,
                 unit: str | None, room: str | None, category: str = "water",
                 kind: TicketKind = TicketKind.REPAIR) -> Opened:
    return open_ticket(session, reporter=person(session, who), kind=kind, category=category,
                       text="漏水", language="zh", building=building(session, number),
                       unit=unit, room=room, now=NOW, deadlines=Deadlines(),
                       duplicate_window=WINDOW, place=place, parts=PARTS)


def test_a_shared_part_joins_within_its_unit_or_building(
        community: sessionmaker[Session]) -> None:
    lift, roof = PARTS.place_of("lift"), PARTS.place_of("roof")
    with transaction(community) as session:
        first = place_report(session, "李叔叔", "12", lift, unit="1", room="302",
                             category="elevator")
        assert (first.ticket.unit, first.ticket.room) == ("1", None)  # no flat's lift
        same_unit = place_report(session, "周小雨", "12", lift, unit="1", room="1202",
                                 category="elevator")
        assert same_unit.duplicate and same_unit.joined
        assert same_unit.ticket.id == first.ticket.id
        unit_unknown = place_report(session, "Raj Patel", "12", lift, unit=None, room=None,
                                    category="elevator")
        assert unit_unknown.ticket.id == first.ticket.id
        other_unit = place_report(session, "Anna Smith", "12", lift, unit="3", room="902",
                                  category="elevator")
        assert not other_unit.duplicate
        roof_1 = place_report(session, "李叔叔", "12", roof, unit="1", room="302")
        roof_3 = place_report(session, "何大妈", "12", roof, unit="3", room="902")
        assert roof_3.ticket.id == roof_1.ticket.id and roof_1.ticket.unit is None
        stairwell = place_report(session, "周小雨", "12", PARTS.place_of("stairwell"),
                                 unit="1", room=None)
        assert not stairwell.duplicate  # another part of the building, another problem


def test_a_problem_inside_a_flat_joins_only_that_flat(community: sessionmaker[Session]) -> None:
    bathroom, radiator = PARTS.place_of("bathroom"), PARTS.place_of("radiator")
    with transaction(community) as session:
        first = place_report(session, "李叔叔", "12", bathroom, unit="1", room="302")
        other_flat = place_report(session, "周小雨", "12", radiator, unit="3", room="902")
        assert not other_flat.duplicate
        same_flat = place_report(session, "周小雨", "12", PARTS.place_of("home"), unit="1",
                                 room="302")
        assert same_flat.joined and same_flat.ticket.id == first.ticket.id
        kitchen = place_report(session, "李叔叔", "12", PARTS.place_of("kitchen"), unit="1",
                               room="302")
        assert not kitchen.duplicate  # the same flat, but its kitchen, not its bathroom
        shared = place_report(session, "何大妈", "12", PARTS.place_of("stairwell"), unit="1",
                              room="302")
        assert not shared.duplicate  # a leak in the stairwell is not the flat's


def test_without_a_flat_number_only_the_reporter_is_the_same_flat(
        community: sessionmaker[Session]) -> None:
    unknown = Place(None)
    with transaction(community) as session:
        first = place_report(session, "李叔叔", "12", unknown, unit=None, room=None)
        again = place_report(session, "李叔叔", "12", unknown, unit=None, room=None)
        assert again.duplicate and not again.joined and again.ticket.id == first.ticket.id
        stranger = place_report(session, "周小雨", "12", unknown, unit=None, room=None)
        assert not stranger.duplicate


def test_a_subscriber_reporting_another_place_gets_a_ticket_of_their_own(
        community: sessionmaker[Session]) -> None:
    lift = PARTS.place_of("lift")
    with transaction(community) as session:
        first = place_report(session, "李叔叔", "12", lift, unit="1", room="302",
                             category="elevator")
        assert place_report(session, "周小雨", "12", lift, unit="1", room="1202",
                            category="elevator").joined
        again = place_report(session, "周小雨", "12", lift, unit="1", room="1202",
                             category="elevator")
        assert again.duplicate and not again.joined  # already on it: nothing new recorded
        own = place_report(session, "周小雨", "12", PARTS.place_of("bathroom"), unit="1",
                           room="1202")
        assert not own.duplicate and own.ticket.id != first.ticket.id
        subscribed = session.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == first.ticket.id, TicketEvent.kind == "subscribed")).all()
        assert len(subscribed) == 1
