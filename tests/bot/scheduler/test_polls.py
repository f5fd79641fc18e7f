"""效果共评: the satisfaction poll after a resolution. The resident is asked once, reminded
once, and the poll closes itself; a rating or a reopening changes what comes next."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from store.database import transaction
from store.models import (
    Building,
    OutboxMessage,
    Person,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from store.outbox import buttons_of
from store.tickets import change_status, open_ticket
from tests.bot.scheduler.conftest import MONDAY, World

SECOND = dt.timedelta(seconds=1)
RESOLVED_AT = MONDAY + dt.timedelta(hours=1)


def report(world: World, who: str = "王阿姨") -> str:
    """A blocked drain in building 3 (a 7-day case: no deadline step within these tests)."""
    with transaction(world.sessions) as session:
        opened = open_ticket(session, reporter=world.person(session, who),
                             kind=TicketKind.REPAIR, category="drainage",
                             text="3号楼2单元下水道堵了", language="zh",
                             building=session.scalar(select(Building).where(
                                 Building.number == "3")),
                             unit="2", room="501", now=MONDAY, deadlines=world.runtime.deadlines,
                             duplicate_window=dt.timedelta(hours=24))
        return opened.ticket.number


def move(world: World, number: str, to: TicketStatus, at: dt.datetime, who: str,
         rating: int | None = None) -> None:
    with transaction(world.sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        if rating is not None:
            ticket.rating = rating
        change_status(session, ticket, to, actor=world.person(session, who), now=at)


def sweep(world: World, moment: dt.datetime) -> None:
    world.sweep(moment)


def messages(world: World, number: str) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(recipient, text, buttons) of every notification about the ticket, in order."""
    with world.sessions() as session:
        rows = session.execute(select(Person.name, OutboxMessage).join(
            Person, OutboxMessage.person_id == Person.id).where(
            OutboxMessage.dedupe_key.startswith(f"ticket:{number}:"))
            .order_by(OutboxMessage.id)).all()
        return [(name, row.text, buttons_of(row)) for name, row in rows]


def status_changes(world: World, number: str) -> list[tuple[TicketStatus | None, bool]]:
    """(new status, made by a person) of every status change of the ticket."""
    with world.sessions() as session:
        rows = session.execute(select(TicketEvent.to_status, TicketEvent.actor_id).join(
            Ticket).where(Ticket.number == number, TicketEvent.kind == "status")
            .order_by(TicketEvent.id)).all()
        return [(status, actor is not None) for status, actor in rows]


def status_of(world: World, number: str) -> TicketStatus:
    with world.sessions() as session:
        status = session.scalar(select(Ticket.status).where(Ticket.number == number))
        assert status is not None
        return status


def test_asked_at_the_delay_reminded_once_then_closed(world: World) -> None:
    number = report(world)
    assert report(world, "Anna Smith") == number  # Anna saw it too and follows the ticket
    move(world, number, TicketStatus.RESOLVED, RESOLVED_AT, "张伟")
    polls = world.runtime.policy.polls
    ask, remind = RESOLVED_AT + polls.delay, RESOLVED_AT + polls.delay + polls.remind_after
    close = RESOLVED_AT + polls.delay + polls.close_after
    moments = (ask - SECOND, ask, remind - SECOND, remind, close - SECOND, close,
               close + dt.timedelta(days=2))

    statuses: list[TicketStatus] = []

    async def scenario() -> list[list[tuple[str, str, list[dict[str, Any]]]]]:
        scheduler = world.scheduler()
        await scheduler.start()
        seen = []
        try:
            for moment in moments:
                world.clock.now = moment
                await scheduler.wait_sweeps(2)
                seen.append(messages(world, number))
                statuses.append(status_of(world, number))
        finally:
            await scheduler.stop()
        return seen

    seen = asyncio.run(scenario())
    new = [after[len(before):] for before, after in zip([[], *seen], seen, strict=False)]
    assert new[0] == []  # a second before the delay: not yet
    assert [who for who, _, _ in new[1]] == ["王阿姨", "Anna Smith"]
    (_, chinese, buttons), (_, english, english_buttons) = new[1]
    assert "打个分" in chinese and number in chinese
    assert "How did we do?" in english
    assert [b["payload"] for b in buttons] == [
        f'/rate{{"ticket_id": "{number}", "rating": "{n}"}}' for n in "543210"]
    assert len(english_buttons) == 6
    assert new[2] == []
    assert [who for who, _, _ in new[3]] == ["王阿姨", "Anna Smith"]
    assert all(number in text and len(buttons) == 6 for _, text, buttons in new[3])
    assert "打扰一下" in new[3][0][1]  # the reminder, not the question again
    assert new[4] == []
    assert statuses[:5] == [TicketStatus.RESOLVED] * 5  # open to a rating until the end
    assert new[5] == [] and new[6] == []  # the poll closes without a word
    assert statuses[5:] == [TicketStatus.CLOSED] * 2
    assert status_changes(world, number)[-1] == (TicketStatus.CLOSED, False)


def test_a_rating_before_the_reminder_ends_the_poll(world: World) -> None:
    number = report(world)
    move(world, number, TicketStatus.RESOLVED, RESOLVED_AT, "张伟")
    polls = world.runtime.policy.polls
    sweep(world, RESOLVED_AT + polls.delay)
    assert len(messages(world, number)) == 1
    move(world, number, TicketStatus.CLOSED, RESOLVED_AT + dt.timedelta(hours=2), "王阿姨",
         rating=5)
    for later in (polls.remind_after, polls.close_after, polls.close_after + dt.timedelta(days=1)):
        sweep(world, RESOLVED_AT + polls.delay + later)
    assert len(messages(world, number)) == 1  # no reminder, nothing on closing
    # closed once, by the resident's rating; the scheduler did not close it again
    assert status_changes(world, number)[-2:] == [(TicketStatus.RESOLVED, True),
                                                  (TicketStatus.CLOSED, True)]


def test_a_ticket_resolved_again_after_reopening_gets_a_new_poll(world: World) -> None:
    number = report(world)
    polls = world.runtime.policy.polls
    move(world, number, TicketStatus.RESOLVED, RESOLVED_AT, "张伟")
    sweep(world, RESOLVED_AT + polls.delay)
    assert len(messages(world, number)) == 1
    # "没解决": the resident reopens it, the grid member takes it back and fixes it properly
    move(world, number, TicketStatus.REOPENED, RESOLVED_AT + dt.timedelta(hours=1), "王阿姨")
    move(world, number, TicketStatus.ASSIGNED, RESOLVED_AT + dt.timedelta(hours=2), "张伟")
    sweep(world, RESOLVED_AT + dt.timedelta(hours=3))
    assert len(messages(world, number)) == 1  # no poll while it is open again
    again = RESOLVED_AT + dt.timedelta(hours=4)
    move(world, number, TicketStatus.RESOLVED, again, "张伟")
    sweep(world, again + polls.delay - SECOND)
    assert len(messages(world, number)) == 1
    sweep(world, again + polls.delay)
    second = messages(world, number)[1:]
    assert [(who, "打个分" in text, len(buttons)) for who, text, buttons in second] == [
        ("王阿姨", True, 6)]
    # the reminder counts from the second resolution, not the first
    sweep(world, RESOLVED_AT + polls.delay + polls.remind_after)
    assert len(messages(world, number)) == 2
    sweep(world, again + polls.delay + polls.remind_after)
    assert len(messages(world, number)) == 3



def test_after_an_outage_past_the_reminder_the_resident_is_asked_once(world: World) -> None:
    number = report(world)
    move(world, number, TicketStatus.RESOLVED, RESOLVED_AT, "张伟")
    polls = world.runtime.policy.polls
    back = RESOLVED_AT + polls.delay + polls.remind_after + dt.timedelta(hours=1)
    sweep(world, back)
    # the question alone: not the question and "did you see it?" in the same breath
    assert [(who, "打个分" in text) for who, text, _ in messages(world, number)] == [
        ("王阿姨", True)]
    sweep(world, back + dt.timedelta(hours=1))
    assert len(messages(world, number)) == 1
    sweep(world, RESOLVED_AT + polls.delay + polls.close_after)
    assert len(messages(world, number)) == 1
    assert status_of(world, number) == TicketStatus.CLOSED


def test_after_an_outage_past_the_close_the_poll_is_not_sent(world: World) -> None:
    number = report(world)
    move(world, number, TicketStatus.RESOLVED, RESOLVED_AT, "张伟")
    polls = world.runtime.policy.polls
    sweep(world, RESOLVED_AT + polls.delay + polls.close_after + dt.timedelta(hours=1))
    # no buttons for a rating the closed ticket would refuse
    assert messages(world, number) == []
    assert status_of(world, number) == TicketStatus.CLOSED
