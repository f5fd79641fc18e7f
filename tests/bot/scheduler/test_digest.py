"""The 08:00 digest to staff: yesterday's and open tickets by grid, the three rates and a chart;
once a day, and not at all when Linli comes back too late to call it a morning digest."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from store import media
from store.database import transaction
from store.models import Building, OutboxMessage, Person, Ticket, TicketKind, TicketStatus
from store.outbox import photo_of
from store.tickets import change_status, escalate, open_ticket
from tests.bot.scheduler.conftest import ZONE, World

SECOND = dt.timedelta(seconds=1)
STAFF = ["孙丽", "管理员", "赵敏"]  # sorted
#: Tuesday 8 December 2026 08:00: the digest about Monday the 7th.
EIGHT = dt.datetime(2026, 12, 8, 8, 0, tzinfo=ZONE)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=ZONE)


def report(world: World, who: str, building: str, category: str, when: dt.datetime,
           kind: TicketKind = TicketKind.REPAIR) -> str:
    with transaction(world.sessions) as session:
        opened = open_ticket(session, reporter=world.person(session, who), kind=kind,
                             category=category, text=f"{building}号楼 {category}",
                             language="zh", building=session.scalar(select(Building).where(
                                 Building.number == building)), unit="1", room="101",
                             now=when, deadlines=world.runtime.deadlines,
                             duplicate_window=dt.timedelta(hours=24))
        assert not opened.duplicate
        return opened.ticket.number


def handle(world: World, number: str, *steps: tuple[TicketStatus, dt.datetime],
           rating: int | None = None) -> None:
    """The grid member's status changes; with ``rating``, the last one is the resident's."""
    with transaction(world.sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.assignee is not None
        for status, when in steps:
            if status == TicketStatus.CLOSED:
                ticket.rating = rating
            change_status(session, ticket, status, actor=ticket.assignee, now=when)


def tickets(world: World) -> None:
    # G1: a water outage from last week nobody took up, raised to the supervisor by hand:
    # open, overdue and escalated.
    outage = report(world, "王阿姨", "3", "water", at(1, 10))
    with transaction(world.sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == outage))
        assert ticket is not None
        escalate(session, ticket, actor=world.person(session, "张伟"), now=at(1, 14))
    # G3: last week's blocked drain, answered in time, fixed and rated 5.
    drain = report(world, "李叔叔", "12", "drainage", at(3, 10))
    handle(world, drain, (TicketStatus.ACKNOWLEDGED, at(3, 11)),
           (TicketStatus.RESOLVED, at(3, 15)), (TicketStatus.CLOSED, at(3, 16)), rating=5)
    # Yesterday, G2: a broken light Anna reported, accepted and still being seen to.
    light = report(world, "Anna Smith", "9", "lighting", at(7, 10))
    handle(world, light, (TicketStatus.ACKNOWLEDGED, at(7, 11)))
    # Yesterday, G1: noise, handled the same afternoon but rated 2.
    noise = report(world, "何大妈", "1", "noise", at(7, 9), TicketKind.COMPLAINT)
    handle(world, noise, (TicketStatus.RESOLVED, at(7, 15)),
           (TicketStatus.CLOSED, at(7, 15, 30)), rating=2)


def digests(world: World) -> list[tuple[str, str, str | None]]:
    """(staff member, text, photo) of every digest so far."""
    with world.sessions() as session:
        rows = session.execute(select(Person.name, OutboxMessage).join(
            Person, OutboxMessage.person_id == Person.id).where(
            OutboxMessage.dedupe_key.startswith("digest:")).order_by(OutboxMessage.id)).all()
        return [(name, row.text, photo_of(row)) for name, row in rows]


def sweep(world: World, moment: dt.datetime) -> None:
    world.sweep(moment)


def test_the_morning_digest_to_each_staff_member_once(world: World) -> None:
    tickets(world)
    sweep(world, EIGHT - SECOND)
    assert digests(world) == []
    sweep(world, EIGHT)
    sent = digests(world)
    assert sorted(who for who, _, _ in sent) == STAFF
    text = sent[0][1]
    assert all(other == text for _, other, _ in sent)
    assert "2026-12-08 工单日报" in text
    assert "昨日新增 2 ｜ 在办 2 ｜ 超时 1 ｜ 已上报 1" in text
    assert "G1：新增 1，在办 1，超时 1，上报 1\nG2：新增 1，在办 1，超时 0，上报 0\n" \
           "G3：新增 0，在办 0，超时 0，上报 0" in text
    # yesterday: both answered in time, one of two resolved, its one rating a 2;
    # 30 days: the water outage was never answered, two of four resolved, ratings 5 and 2
    assert "响应率 100% (2/2) / 75% (3/4)" in text
    assert "解决率 50% (1/2) / 50% (2/4)" in text
    assert "满意率 0% (0/1) / 50% (1/2)" in text
    for _, _, photo in sent:
        assert photo is not None and photo.startswith(media.PREFIX)
        with world.sessions() as session:
            chart = media.load(session, photo)
            assert chart is not None and chart.content_type == "image/png"
            assert chart.data.startswith(b"\x89PNG")
    for later in (EIGHT, EIGHT + dt.timedelta(hours=1), EIGHT + dt.timedelta(hours=4),
                  EIGHT + dt.timedelta(hours=10)):
        sweep(world, later)
    assert len(digests(world)) == 3


def test_no_digest_when_linli_comes_back_after_the_grace(world: World) -> None:
    grace = world.runtime.policy.digest.misfire_grace
    assert EIGHT + grace < EIGHT.replace(hour=13)
    for moment in (EIGHT.replace(hour=13), EIGHT.replace(hour=20)):  # down until 13:00
        sweep(world, moment)
    assert digests(world) == []
    # The next day it is late again, but just within the grace: sent, about that day.
    sweep(world, EIGHT + dt.timedelta(days=1) + grace)
    sent = digests(world)
    assert sorted(who for who, _, _ in sent) == STAFF
    assert all("2026-12-09 工单日报" in text for _, text, _ in sent)
