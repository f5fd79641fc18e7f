"""Tickets on SQLite and PostgreSQL: numbers, routing, deadlines, duplicates, state machine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.community import import_community, parse_community
from store.database import transaction
from store.models import Building, Person, TicketEvent, TicketKind, TicketStatus
from store.tickets import (
    Deadlines,
    Opened,
    TicketError,
    change_status,
    escalate,
    open_ticket,
    queue,
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
        assert [t.id for t in queue(session, grid_member)] == [ticket.id]
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
