"""A complaint about a worker goes one level up, never to them (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.board import Viewer, board
from store.conflict import complained_about, escalation_targets, may_know, staff_told
from store.database import transaction
from store.models import Person, PersonRole, Role, TicketEvent, TicketKind
from store.parts import Parts
from store.tickets import Deadlines, open_ticket
from tests.store import test_tickets
from tests.store.test_tickets import NOW, WINDOW, building, person

community = test_tickets.community  # the demo community, as the ticket tests load it
PARTS = Parts.default()


def about(session: Session, text: str, number: str) -> tuple[str, str | None, str | None, int]:
    found = complained_about(session, PARTS, text, building(session, number),
                             building(session, number).community_id)
    assert found is not None, text
    return (found.role, found.person.name if found.person else None,
            found.handler.name if found.handler else None, found.level)


@pytest.mark.parametrize(("text", "number", "expected"), [
    ("我要投诉网格员，打电话都不接", "3", ("grid_member", "张伟", "李娜", 1)),
    ("张伟从来不接电话，我要投诉", "3", ("grid_member", "张伟", "李娜", 1)),
    # another grid's member, named: their own supervisor takes it
    ("刘洋说好来修又没来，我要投诉", "3", ("grid_member", "刘洋", "李娜", 1)),
    ("the grid member never answers", "9", ("grid_member", "王芳", "李娜", 1)),
    ("我要投诉督导员李娜不作为", "3", ("supervisor", "李娜", "陈杰", 2)),
    # both named: the higher one decides, so neither handles it
    ("网格员不管，找督导员也不管", "3", ("supervisor", "李娜", "陈杰", 2)),
    ("居委会的工作人员态度恶劣", "3", ("staff", None, "李娜", 1)),
    ("赵敏办事拖拉", "3", ("staff", "赵敏", "李娜", 1)),
])
def test_whom_a_complaint_is_about_and_who_takes_it(
        community: sessionmaker[Session], text: str, number: str,
        expected: tuple[str, str | None, str | None, int]) -> None:
    with community() as session:
        assert about(session, text, number) == expected


def test_a_complaint_about_no_worker_is_nobodys_conflict(
        community: sessionmaker[Session]) -> None:
    with community() as session:
        for text in ("楼上装修太吵了", "电梯坏了三天了", "张"):  # one character is no name
            assert complained_about(session, PARTS, text, building(session, "3"),
                                    building(session, "3").community_id) is None


def test_the_accused_neither_holds_sees_nor_hears_of_it(
        community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        accused = complained_about(session, PARTS, "我要投诉督导员李娜不作为",
                                   building(session, "3"), building(session, "3").community_id)
        ticket = open_ticket(session, reporter=person(session, "王阿姨"),
                             kind=TicketKind.COMPLAINT, category="other",
                             text="我要投诉督导员李娜不作为", language="zh",
                             building=building(session, "3"), unit="2", room="501", now=NOW,
                             deadlines=Deadlines(), duplicate_window=WINDOW, parts=PARTS,
                             accused=accused).ticket
        li_na, chen_jie = person(session, "李娜"), person(session, "陈杰")
        assert ticket.assignee == chen_jie and ticket.escalation_level == 2
        assert ticket.accused == li_na and not may_know(ticket, li_na)
        assert [i.number for i in board(session, Viewer.of(chen_jie), as_of=NOW).items] == \
            [ticket.number]
        # a deadline missed at the supervisor's level goes past her, to the street
        assert escalation_targets(session, ticket, 1) == [chen_jie]
        assert li_na not in escalation_targets(session, ticket, 2)
        kinds = [e.kind for e in session.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]
        assert kinds == ["created", "escalated", "assigned"]
        again = open_ticket(session, reporter=person(session, "何大妈"),
                            kind=TicketKind.COMPLAINT, category="other", text="李娜不作为",
                            language="zh", building=building(session, "3"), unit=None,
                            room=None, now=NOW + dt.timedelta(minutes=5),
                            deadlines=Deadlines(), duplicate_window=WINDOW, parts=PARTS,
                            accused=accused)
        assert not again.duplicate  # each complaint about a person is its own case


def test_a_staff_member_complained_about_is_not_among_the_staff_told(
        community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        zhao_min = person(session, "赵敏")
        sun_li = person(session, "孙丽")
        sun_li.on_duty = True
        accused = complained_about(session, PARTS, "赵敏办事拖拉", building(session, "3"),
                                   zhao_min.community_id)
        ticket = open_ticket(session, reporter=person(session, "王阿姨"),
                             kind=TicketKind.COMPLAINT, category="other", text="赵敏办事拖拉",
                             language="zh", building=building(session, "3"), unit=None,
                             room=None, now=NOW, deadlines=Deadlines(),
                             duplicate_window=WINDOW, parts=PARTS, accused=accused).ticket
        told = staff_told(session, ticket)
        assert sun_li in told and zhao_min not in told


def test_escalation_targets_of_an_ordinary_ticket(community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        ticket = open_ticket(session, reporter=person(session, "王阿姨"),
                             kind=TicketKind.REPAIR, category="lighting", text="楼道灯坏了",
                             language="zh", building=building(session, "3"), unit="2",
                             room=None, now=NOW, deadlines=Deadlines(),
                             duplicate_window=WINDOW, parts=PARTS).ticket
        assert escalation_targets(session, ticket, 1) == [person(session, "李娜")]
        assert escalation_targets(session, ticket, 2) == [person(session, "陈杰")]
        street = person(session, "陈杰")
        session.query(PersonRole).filter(PersonRole.person_id == street.id).delete()
        session.expire(street)
        assert escalation_targets(session, ticket, 2) == [
            p for p in session.scalars(select(Person).where(Person.on_duty.is_(True)))
            if p.has_role(Role.STAFF)]  # nobody at the street: the staff on duty hear
