"""Working tickets: the chat's /queue and work commands, and the service the console calls
(actions/ticket_work.py), on SQLite and PostgreSQL. The chat and the service are one rule set:
the same command leaves the same events and tells the same people the same things."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.base import ActionRefusedError
from actions.runtime import current as current_runtime
from actions.ticket_work import perform
from bot.conversation import ConversationService
from bot.scheduler.jobs import Jobs
from store import handoffs
from store.database import transaction
from store.models import (
    Building,
    ChatIdentity,
    OutboxMessage,
    Person,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from store.tickets import Deadlines, open_ticket
from tests.bot.test_dialogues import NOW, talker

HOUR = dt.timedelta(hours=1)


def person(session: Session, key: str) -> Person:
    found = session.scalar(select(Person).join(ChatIdentity).where(
        ChatIdentity.channel == "shell", ChatIdentity.external_id == key))
    assert found is not None
    return found


def report(sessions: sessionmaker[Session], who: str, building: str, category: str, *,
           at: dt.datetime = NOW, kind: TicketKind = TicketKind.REPAIR,
           text: str = "楼道灯不亮了") -> str:
    with transaction(sessions) as session:
        ticket = open_ticket(
            session, reporter=person(session, who), kind=kind, category=category, text=text,
            language="zh", building=session.scalar(select(Building).where(
                Building.number == building)), unit="1", room="101", now=at,
            deadlines=Deadlines(), duplicate_window=dt.timedelta(0)).ticket
        return ticket.number


def said(replies: list[str]) -> str:
    return "\n".join(replies)


def test_staff_queue_shows_the_open_emergencies_first(service: ConversationService,
                                                      sessions: sessionmaker[Session]) -> None:
    """The defect of issue 13: staff were told their queue was empty while 7 emergencies
    were open."""
    late = report(sessions, "wang_aiyi", "3", "greenery", at=NOW - 30 * HOUR, text="树枝挡路")
    emergencies = [report(sessions, "he_dama", number, "fire", kind=TicketKind.EMERGENCY,
                          at=NOW - minutes * dt.timedelta(minutes=1), text=f"{number}号楼冒烟")
                   for minutes, number in enumerate(("1", "2", "6", "7", "11", "12", "13"))]
    replies = said(talker(service, "zhao_min")("/queue"))
    assert "您名下没有待处理的工单" not in replies
    assert "待处理工单 8 件（紧急 7，超时 1" in replies
    shown = re.findall(r"(?:JJ|BX)-\d{8}-\d{4}", replies)
    # the most pressing emergency (the oldest: its 15 minutes run out first) heads the list
    assert shown == [*reversed(emergencies), late]
    assert "🚨 " + emergencies[-1] in replies and "⏰ " + late in replies


def test_each_worker_queue_covers_their_grids(service: ConversationService,
                                              sessions: sessionmaker[Session]) -> None:
    g1 = report(sessions, "wang_aiyi", "3", "lighting")
    g2 = report(sessions, "zhou_xiaoyu", "7", "lighting")
    supervisor = said(talker(service, "li_na")("/queue"))
    grid_member = said(talker(service, "zhang_wei")("/queue"))
    other = said(talker(service, "liu_yang")("/queue"))
    assert g1 in supervisor and g2 in supervisor
    assert g1 in grid_member and g2 not in grid_member
    assert "没有待处理的工单" in other
    assert "没有做这件事的权限" in said(talker(service, "wang_aiyi")("/queue"))


def name_of(session: Session, person_id: int | None) -> str | None:
    found = session.get(Person, person_id) if person_id is not None else None
    return found.name if found is not None else None


def history(sessions: sessionmaker[Session], number: str) -> list[tuple[str, str | None,
                                                                         str | None, str | None,
                                                                         str | None]]:
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        return [(e.kind, e.from_status, e.to_status, e.note,
                 name_of(session, e.actor_id))
                for e in session.scalars(select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]


def told(sessions: sessionmaker[Session], number: str) -> list[tuple[str | None, str]]:
    """Who was told what about ``number``, the ticket number taken out."""
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.text.contains(number)).order_by(OutboxMessage.id)).all()
        return [(name_of(session, r.person_id), r.text.replace(number, "#")) for r in rows]


def by_service(sessions: sessionmaker[Session], who: str, number: str, action: str,
               note: str | None = None, to: str | None = None) -> str:
    with transaction(sessions) as session:
        done = perform(session, current_runtime(), person(session, who), number, action,
                       language="zh", note=note,
                       to=person(session, to) if to is not None else None)
        return current_runtime().responses.render(done.response, "zh", **done.values).text


@pytest.mark.parametrize("commands", [
    [("accept", None), ("note", "明早带灯泡过去"), ("progress", None), ("progress", "在修了"),
     ("resolve", "换了声控灯")],
    [("escalate", "需要物业配合"), ("escalate", None)],
])
def test_chat_and_service_leave_the_same_events(
        service: ConversationService, sessions: sessionmaker[Session],
        commands: list[tuple[str, str | None]]) -> None:
    in_chat = report(sessions, "wang_aiyi", "3", "lighting")
    in_console = report(sessions, "he_dama", "1", "lighting")
    chat = talker(service, "zhang_wei")
    for action, note in commands:
        chat(f"/{action} {in_chat}" + (f" {note}" if note else ""))
        by_service(sessions, "zhang_wei", in_console, action, note)
    chat_events, console_events = history(sessions, in_chat), history(sessions, in_console)
    assert chat_events[1:] == console_events[1:]  # after "created", by each resident
    assert len(chat_events) == 2 + len(commands)  # created, assigned, then one per command
    told_chat, told_console = told(sessions, in_chat), told(sessions, in_console)
    # the same people told the same words; only the resident differs
    assert [(who if who not in ("王阿姨", "何大妈") else "resident", text)
            for who, text in told_chat] == [
        (who if who not in ("王阿姨", "何大妈") else "resident", text.replace("1号楼", "3号楼"))
        for who, text in told_console]


def test_resolving_by_the_service_brings_the_resident_the_poll(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    number = report(sessions, "wang_aiyi", "3", "lighting")
    answer = by_service(sessions, "zhao_min", number, "resolve", "换了灯泡")
    assert number in answer and "已处理完" in answer
    Jobs(current_runtime()).sweep(NOW + dt.timedelta(minutes=10))
    with sessions() as session:
        to_resident = session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.chat_id == "wang_aiyi")).all()
    assert any("换了灯泡" in text for text in to_resident)
    assert any("打个分" in text and number in text for text in to_resident)


def test_reassign_is_for_staff_and_supervisors(service: ConversationService,
                                               sessions: sessionmaker[Session]) -> None:
    number = report(sessions, "wang_aiyi", "3", "lighting")
    with pytest.raises(ActionRefusedError) as refused:
        by_service(sessions, "zhang_wei", number, "assign", to="wang_fang")
    assert refused.value.response == "utter_not_allowed"
    with pytest.raises(ActionRefusedError):
        by_service(sessions, "zhao_min", number, "assign", to="wang_aiyi")  # a resident
    by_service(sessions, "zhang_wei", number, "accept")
    by_service(sessions, "li_na", number, "assign", to="wang_fang")
    assert history(sessions, number)[-1] == ("assigned", "acknowledged", "acknowledged",
                                             "王芳", "李娜")
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.assignee is not None
        assert ticket.assignee.name == "王芳" and ticket.status == TicketStatus.ACKNOWLEDGED
    assert ("王芳", told(sessions, number)[-1][1]) == told(sessions, number)[-1]
    assert "【新工单】" in told(sessions, number)[-1][1]
    # the new holder works it; the old one no longer may
    assert "已处理完" in by_service(sessions, "wang_fang", number, "resolve", "修好了")


def test_reply_reaches_the_resident_and_stays_on_the_ticket(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    number = report(sessions, "wang_aiyi", "3", "lighting")
    answer = by_service(sessions, "zhao_min", number, "reply", "师傅下午两点到")
    assert "王阿姨" in answer
    assert history(sessions, number)[-1] == ("reply", None, None, "师傅下午两点到", "赵敏")
    assert told(sessions, number)[-1][0] == "王阿姨"
    assert "师傅下午两点到" in told(sessions, number)[-1][1]
    with pytest.raises(ActionRefusedError) as refused:
        by_service(sessions, "zhao_min", number, "reply", "  ")
    assert refused.value.response == "utter_ask_reply"


def test_the_one_a_complaint_is_about_cannot_work_it(service: ConversationService,
                                                     sessions: sessionmaker[Session]) -> None:
    number = report(sessions, "wang_aiyi", "3", "lighting")
    with transaction(sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        ticket.accused_id = person(session, "zhang_wei").id
        handoffs.start(session, person(session, "wang_aiyi"), NOW)
    for action in ("accept", "note", "reply"):
        with pytest.raises(ActionRefusedError) as refused:
            by_service(sessions, "zhang_wei", number, action, "看看")
        assert refused.value.response == "utter_not_allowed"
