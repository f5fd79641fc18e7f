"""接诉即办 through the real scheduler on a clock the test moves: each deadline step happens at
its time, not a second before, and only once."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from store.database import transaction
from store.models import Building, Ticket, TicketEvent, TicketKind, TicketStatus
from store.tickets import change_status, open_ticket
from tests.bot.scheduler.conftest import MONDAY, World

SECOND = dt.timedelta(seconds=1)


def report(world: World, category: str, kind: TicketKind = TicketKind.REPAIR,
           building: str = "3") -> str:
    with transaction(world.sessions) as session:
        reporter = world.person(session, "王阿姨")
        place = session.scalar(select(Building).where(Building.number == building))
        opened = open_ticket(session, reporter=reporter, kind=kind, category=category,
                             text="楼里停水了，一滴都没有", language="zh", building=place,
                             unit="2", room="501", now=world.clock(),
                             deadlines=world.runtime.deadlines,
                             duplicate_window=dt.timedelta(hours=24))
        return opened.ticket.number


def events_of(world: World, number: str) -> list[str]:
    with world.sessions() as session:
        return list(session.scalars(select(TicketEvent.kind).join(Ticket).where(
            Ticket.number == number).order_by(TicketEvent.id)))


def test_each_deadline_step_at_its_time_and_never_twice(world: World) -> None:
    number = report(world, "water")  # a utility: respond in 2 h, resolve in 24 h
    respond_by, supervisor_at = MONDAY + dt.timedelta(hours=2), MONDAY + dt.timedelta(hours=3)
    resolve_by = MONDAY + dt.timedelta(hours=24)

    async def scenario() -> list[list[tuple[str, str]]]:
        scheduler = world.scheduler()
        await scheduler.start()
        seen = []
        try:
            for moment in (respond_by - SECOND, respond_by, supervisor_at - SECOND,
                           supervisor_at, resolve_by - SECOND, resolve_by,
                           resolve_by + dt.timedelta(days=3)):
                world.clock.now = moment
                await scheduler.wait_sweeps(2)
                seen.append(list(world.outbox("ticket:")))
        finally:
            await scheduler.stop()
        return seen

    seen = asyncio.run(scenario())
    new = [after[len(before):] for before, after in zip([[], *seen], seen, strict=False)]
    assert new[0] == []  # a second before the response deadline: nothing
    assert [(who, "超时提醒" in text and number in text) for who, text in new[1]] == [
        ("张伟", True)]
    assert new[2] == []
    assert sorted(who for who, _ in new[3]) == ["李娜", "王阿姨"]
    assert any("超时上报" in text and "网格员张伟" in text for _, text in new[3])
    assert any("网格督导员" in text for who, text in new[3] if who == "王阿姨")
    assert new[4] == []
    assert sorted(who for who, _ in new[5]) == ["王阿姨", "陈杰"]
    assert any("街道（吹哨）" in text for who, text in new[5] if who == "王阿姨")
    assert new[6] == []
    assert events_of(world, number) == ["created", "assigned", "reminded", "escalated",
                                        "escalated"]
    with world.sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.escalation_level == 2


def test_an_accepted_ticket_is_not_chased(world: World) -> None:
    number = report(world, "water")
    with transaction(world.sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        change_status(session, ticket, TicketStatus.ACKNOWLEDGED,
                      actor=world.person(session, "张伟"), now=MONDAY + dt.timedelta(hours=1))
    before = len(world.outbox("ticket:"))
    world.jobs.sweep(MONDAY + dt.timedelta(hours=5))
    assert len(world.outbox("ticket:")) == before
    assert events_of(world, number)[-1] == "status"


def test_ordinary_deadlines_move_out_of_the_weekend(world: World) -> None:
    world.clock.now = dt.datetime(2026, 12, 11, 16, 0, tzinfo=MONDAY.tzinfo)  # a Friday
    number = report(world, "drainage")  # respond in 24 h, working time
    with world.sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.respond_by is not None
        local = ticket.respond_by.astimezone(MONDAY.tzinfo)
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 30)  # Monday 08:30


def test_an_emergency_nobody_answers_reaches_the_supervisor_in_half_an_hour(
        world: World) -> None:
    number = report(world, "gas", TicketKind.EMERGENCY)
    world.jobs.sweep(MONDAY + dt.timedelta(minutes=15))
    world.jobs.sweep(MONDAY + dt.timedelta(minutes=30))
    assert events_of(world, number)[-2:] == ["reminded", "escalated"]
    with world.sessions() as session:
        from store.models import OutboxMessage

        urgent = session.scalars(select(OutboxMessage.urgent).where(
            OutboxMessage.dedupe_key.like(f"ticket:{number}:escalated:1:%"))).all()
    assert urgent and all(urgent[:-1])  # the supervisor's alert is urgent (the resident's last)


def test_a_deadline_on_a_public_holiday_moves_to_the_next_working_morning(
        world: World) -> None:
    # New Year's Day 2027 is a Friday and a holiday (config/schedule.yml).
    world.clock.now = dt.datetime(2026, 12, 31, 16, 0, tzinfo=MONDAY.tzinfo)
    number = report(world, "drainage")
    with world.sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.respond_by is not None
        local = ticket.respond_by.astimezone(MONDAY.tzinfo)
    assert (local.date(), local.hour, local.minute) == (dt.date(2027, 1, 4), 8, 30)
    world.jobs.sweep(dt.datetime(2027, 1, 1, 16, 0, tzinfo=MONDAY.tzinfo))
    assert "reminded" not in events_of(world, number)  # nobody is chased on a holiday
