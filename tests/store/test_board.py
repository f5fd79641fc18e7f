"""The staff board on SQLite and PostgreSQL: who sees which open tickets, in which order, a page
at a time; and one ticket in full, with the reporter's contact only for those handling it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store import board, handoffs
from store.board import BoardError, Filters, Viewer
from store.conflict import Accused
from store.database import transaction
from store.models import (
    Building,
    ChatIdentity,
    Direction,
    Person,
    Ticket,
    TicketAttachment,
    TicketKind,
    TicketStatus,
    TranscriptMessage,
)
from store.tickets import Deadlines, change_status, escalate, open_ticket
from tests import demo

NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def person(session: Session, key: str) -> Person:
    found = session.scalar(select(Person).join(ChatIdentity).where(
        ChatIdentity.channel == "shell", ChatIdentity.external_id == key))
    assert found is not None
    return found


def viewer(session: Session, key: str) -> Viewer:
    return Viewer.of(person(session, key))


def report(session: Session, who: str, building: str | None, category: str, *,
           at: dt.datetime, kind: TicketKind = TicketKind.REPAIR, text: str = "坏了",
           accused: Accused | None = None) -> Ticket:
    place = session.scalar(select(Building).where(Building.number == building)) \
        if building else None
    return open_ticket(session, reporter=person(session, who), kind=kind, category=category,
                       text=text, language="zh", building=place, unit="1", room="101",
                       now=at, deadlines=Deadlines(), duplicate_window=dt.timedelta(0),
                       accused=accused).ticket


@pytest.fixture
def numbers(sessions: sessionmaker[Session]) -> dict[str, str]:
    """The demo community with open tickets of every kind of urgency, and some done ones."""
    demo.load_community(sessions, NOW.date())
    with transaction(sessions) as session:
        made = {
            # G1 (buildings 1-5, 张伟), G2 (6-10, 王芳), G3 (11-15, 刘洋); 李娜 supervises all
            "fresh_g1": report(session, "wang_aiyi", "3", "noise", at=NOW - HOUR),
            "late_g2": report(session, "zhou_xiaoyu", "7", "greenery", at=NOW - 30 * HOUR),
            "soon_g1": report(session, "he_dama", "1", "lighting", at=NOW - 3 * HOUR),
            "emergency_g3": report(session, "li_shushu", "12", "fire", at=NOW - HOUR / 6,
                                   kind=TicketKind.EMERGENCY, text="着火了 电话13912340002"),
            "nowhere": report(session, "he_dama", None, "medical", at=NOW - HOUR / 12,
                              kind=TicketKind.EMERGENCY, text="有人晕倒了"),
            "talking_g2": report(session, "anna", "9", "electricity", at=NOW - HOUR),
            "escalated_g3": report(session, "raj", "14", "parking", at=NOW - 2 * HOUR),
            "done_g1": report(session, "wang_aiyi", "3", "water", at=NOW - 50 * HOUR),
        }
        session.flush()
        zhang = person(session, "zhang_wei")
        # About 张伟 himself: it goes to his supervisor and he never sees it.
        made["about_zhang"] = report(session, "wang_aiyi", "3", "property_service",
                                     at=NOW - 5 * HOUR, kind=TicketKind.COMPLAINT,
                                     text="网格员张伟态度很差",
                                     accused=Accused("grid_member", zhang,
                                                     person(session, "li_na"), 1))
        escalate(session, made["escalated_g3"], actor=None, now=NOW - HOUR, to_level=2)
        change_status(session, made["done_g1"], TicketStatus.RESOLVED, actor=zhang,
                      now=NOW - 40 * HOUR)
        change_status(session, made["fresh_g1"], TicketStatus.ACKNOWLEDGED, actor=zhang,
                      now=NOW - HOUR / 2)
        handoffs.start(session, person(session, "anna"), NOW - HOUR / 4)
        return {name: ticket.number for name, ticket in made.items()}


def numbers_on(page: board.BoardPage) -> list[str]:
    return [item.number for item in page.items]


def test_staff_see_every_open_ticket_most_urgent_first(sessions: sessionmaker[Session],
                                                       numbers: dict[str, str]) -> None:
    with sessions() as session:
        page = board.board(session, viewer(session, "zhao_min"), as_of=NOW)
    n = numbers
    # Emergencies and Anna's ticket (she is talking to staff) by deadline; then the overdue
    # and escalated; then the rest by their next deadline.
    assert numbers_on(page) == [
        n["emergency_g3"], n["nowhere"], n["talking_g2"],
        n["late_g2"], n["about_zhang"], n["escalated_g3"],
        n["soon_g1"], n["fresh_g1"]]
    assert n["done_g1"] not in numbers_on(page) and page.next is None
    listed = json.loads(json.dumps(page.as_dict()))
    assert [item["number"] for item in listed["items"]] == numbers_on(page)
    assert listed["items"][0]["urgent"] and listed["next"] is None
    first = page.items[0]
    assert first.summary == "着火了 电话139****0002" and first.grid == "G3"
    assert [item.rank for item in page.items] == [0, 0, 0, 1, 1, 1, 2, 2]
    late = page.items[3]
    assert late.overdue and late.deadline == late.respond_by == NOW - 6 * HOUR
    # the acknowledged one waits for its resolution next
    assert page.items[-1].deadline == page.items[-1].resolve_by


def test_each_viewer_sees_their_own_part(sessions: sessionmaker[Session],
                                         numbers: dict[str, str]) -> None:
    n = numbers
    with sessions() as session:
        seen = {key: set(numbers_on(board.board(session, viewer(session, key), as_of=NOW)))
                for key in ("zhang_wei", "wang_fang", "li_na", "chen_jie", "wang_aiyi")}
    assert seen["zhang_wei"] == {n["fresh_g1"], n["soon_g1"]}  # not the complaint about him
    assert seen["wang_fang"] == {n["late_g2"], n["talking_g2"]}
    # the supervisor of all three grids, not the emergency nobody has placed yet
    assert seen["li_na"] == {n[k] for k in ("fresh_g1", "soon_g1", "late_g2", "talking_g2",
                                            "emergency_g3", "escalated_g3", "about_zhang")}
    assert seen["chen_jie"] == {n["escalated_g3"]}  # the street: what was whistled up to it
    assert seen["wang_aiyi"] == set()


def test_a_console_account_without_a_person(sessions: sessionmaker[Session],
                                            numbers: dict[str, str]) -> None:
    with sessions() as session:
        community = person(session, "zhao_min").community_id
        staff = board.board(session, Viewer(community, frozenset({"staff"})), as_of=NOW)
        operator = board.board(session, Viewer(community, frozenset({"operator"})), as_of=NOW)
    assert len(staff.items) == 8 and operator.items == []


def test_pages_follow_each_other_without_gaps_or_repeats(sessions: sessionmaker[Session],
                                                         numbers: dict[str, str]) -> None:
    with sessions() as session:
        staff = viewer(session, "zhao_min")
        whole = numbers_on(board.board(session, staff, as_of=NOW))
        pages: list[str] = []
        cursor = None
        for _ in range(10):
            # later pages are judged at the first page's moment, whatever as_of says
            page = board.board(session, staff, as_of=NOW + 100 * HOUR if cursor else NOW,
                               limit=3, cursor=cursor)
            pages += numbers_on(page)
            cursor = page.next
            if cursor is None:
                break
    assert pages == whole


def test_filters(sessions: sessionmaker[Session], numbers: dict[str, str]) -> None:
    n = numbers

    def shown(filters: Filters) -> list[str]:
        with sessions() as session:
            return numbers_on(board.board(session, viewer(session, "zhao_min"), filters,
                                          as_of=NOW))

    assert shown(Filters(grids=["g1"])) == [n["about_zhang"], n["soon_g1"], n["fresh_g1"]]
    assert shown(Filters(kinds=[TicketKind.EMERGENCY])) == [n["emergency_g3"], n["nowhere"]]
    assert shown(Filters(overdue=True)) == [n["late_g2"]]
    assert shown(Filters(escalated=True)) == [n["about_zhang"], n["escalated_g3"]]
    assert shown(Filters(unassigned=True)) == [n["nowhere"]]
    assert shown(Filters(categories=["greenery", "noise"])) == [n["late_g2"], n["fresh_g1"]]
    assert shown(Filters(statuses=[TicketStatus.ACKNOWLEDGED])) == [n["fresh_g1"]]
    with pytest.raises(BoardError):
        Filters(statuses=[TicketStatus.CLOSED])


def test_counts_match_the_board(sessions: sessionmaker[Session],
                                numbers: dict[str, str]) -> None:
    with sessions() as session:
        staff = viewer(session, "zhao_min")
        counted = board.counts(session, staff, as_of=NOW)
        grid_member = board.counts(session, viewer(session, "zhang_wei"), as_of=NOW)
    assert counted == board.BoardCounts(open=8, emergencies=2, overdue=1, escalated=2,
                                        unassigned=1, handoffs=1)
    assert grid_member.open == 2 and grid_member.handoffs == 0


def test_a_cursor_that_is_not_one_is_refused(sessions: sessionmaker[Session],
                                             numbers: dict[str, str]) -> None:
    with sessions() as session, pytest.raises(BoardError):
        board.board(session, viewer(session, "zhao_min"), as_of=NOW, cursor="bm90IGEgY3Vyc29y")


def test_open_handoffs_are_for_staff(sessions: sessionmaker[Session],
                                     numbers: dict[str, str]) -> None:
    with sessions() as session:
        waiting = board.open_handoffs(session, viewer(session, "zhao_min"))
        assert [h.resident for h in waiting] == ["Anna Smith"] and waiting[0].staff is None
        assert board.open_handoffs(session, viewer(session, "zhang_wei")) == []


def test_detail_shows_the_contact_only_to_those_handling_it(
        sessions: sessionmaker[Session], numbers: dict[str, str]) -> None:
    number = numbers["escalated_g3"]
    with transaction(sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        session.add(TicketAttachment(ticket_id=ticket.id, channel="telegram", file_id="AgAD-1",
                                     created_at=NOW - 2 * HOUR))
        raj = person(session, "raj")
        said = TranscriptMessage(channel="shell", chat_id="raj", sender="raj", person_id=raj.id,
                                 direction=Direction.IN, text="车位被占了 call me 13912340005",
                                 parse={"intent": {"name": "file_complaint"}},
                                 at=NOW - 2 * HOUR)
        session.add(said)
        session.add(TranscriptMessage(channel="shell", chat_id="raj", direction=Direction.OUT,
                                      text="收到", at=NOW - 2 * HOUR + dt.timedelta(seconds=1)))
        session.add(TranscriptMessage(channel="shell", chat_id="raj", direction=Direction.IN,
                                      text="上周的事", at=NOW - 30 * HOUR))
        session.flush()
        ticket.source_message_id = said.id
    with sessions() as session:
        handler = board.detail(session, viewer(session, "liu_yang"), number, as_of=NOW)
        street = board.detail(session, viewer(session, "chen_jie"), number, as_of=NOW)
        other = board.detail(session, viewer(session, "zhang_wei"), number, as_of=NOW)
    assert other is None  # another grid's ticket is not his to see
    assert handler is not None and street is not None
    assert handler.reporter_phone == "13912340005" and handler.contact_visible
    assert handler.room == "101"
    assert street.reporter_phone == "139****0005" and not street.contact_visible
    assert street.room is None
    assert [e.kind for e in handler.events] == ["created", "assigned", "escalated"]
    assert handler.escalation_level == 2 and handler.grid == "G3"
    assert [p.file_id for p in handler.photos] == ["AgAD-1"]
    assert [s.text for s in handler.conversation] == ["车位被占了 call me 13912340005", "收到"]
    assert street.conversation[0].text == "车位被占了 call me 139****0005"
    assert handler.conversation[0].intent == "file_complaint"
    shown = json.loads(json.dumps(street.as_dict()))  # what the console's API will send
    assert shown["reporter_phone"] == "139****0005" and shown["status"] == "assigned"
    assert [e["kind"] for e in shown["events"]] == ["created", "assigned", "escalated"]
    assert shown["photos"][0]["file_id"] == "AgAD-1" and shown["room"] is None


def test_detail_lists_subscribers_and_deadlines(sessions: sessionmaker[Session],
                                                numbers: dict[str, str]) -> None:
    with transaction(sessions) as session:
        joined = open_ticket(session, reporter=person(session, "zhou_xiaoyu"),
                             kind=TicketKind.REPAIR, category="lighting", text="楼道灯也不亮",
                             language="zh",
                             building=session.scalar(select(Building).where(
                                 Building.number == "1")),
                             unit="1", room="101", now=NOW, deadlines=Deadlines(),
                             duplicate_window=dt.timedelta(days=1))
        assert joined.duplicate
    with sessions() as session:
        shown = board.detail(session, viewer(session, "zhang_wei"), numbers["soon_g1"],
                             as_of=NOW)
        late = board.detail(session, viewer(session, "wang_fang"), numbers["late_g2"],
                            as_of=NOW)
    assert shown is not None and late is not None
    assert shown.subscribers == ["周小雨"] and shown.reporter == "何大妈"
    assert shown.respond_by == NOW - 3 * HOUR + 24 * HOUR and not shown.overdue
    assert late.overdue
