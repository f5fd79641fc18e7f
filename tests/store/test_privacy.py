"""A resident's data: the export holds everything about them, and after erasure no row of any
table holds their name, phone, ID number or message texts, while their tickets still count
the same in the rates. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import JSON, String, Text, cast, func, select
from sqlalchemy.orm import Session, sessionmaker

from store import privacy
from store.database import transaction
from store.models import (
    Base,
    Building,
    ChatIdentity,
    ConversationState,
    Direction,
    Event,
    EventSignup,
    Handoff,
    Household,
    Media,
    OutboxMessage,
    Person,
    PersonRole,
    Question,
    Role,
    SignupStatus,
    Suggestion,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TranscriptMessage,
)
from store.outbox import enqueue
from store.rates import rates
from store.tickets import Deadlines, change_status, open_ticket
from tests import demo

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
NAME, PHONE, ID_NUMBER = "李小红", "13987654321", "110101199003071234"
SAID = ("我家厨房水管漏水了，电话13987654321", "我家的猫丢了怎么办呀", "楼下广场舞太吵了我是李小红")


def _resident(session: Session) -> Person:
    """A resident with everything Linli can hold: identities on two channels, a household,
    a ticket with her number and ID in it, a note, a suggestion, a question, a signup, her
    messages in and out, a group message, what her grid member was told, an export."""
    community_id = session.scalar(select(Building.community_id))
    building = session.scalar(select(Building).where(Building.number == "3"))
    assert community_id is not None and building is not None
    home = Household(building=building, unit="2", room="602")
    person = Person(community_id=community_id, name=NAME, phone=PHONE, household=home,
                    language="zh", roles=[PersonRole(role=Role.RESIDENT)], created_at=NOW)
    session.add(person)
    session.flush()
    session.add_all([ChatIdentity(person_id=person.id, channel="rest", external_id="s-77"),
                     ChatIdentity(person_id=person.id, channel="telegram", external_id="5551")])
    opened = open_ticket(session, reporter=person, kind=TicketKind.REPAIR, category="water",
                         text=f"{SAID[0]} 身份证{ID_NUMBER}", language="zh", building=building,
                         unit="2", room="602", now=NOW, deadlines=Deadlines(),
                         duplicate_window=dt.timedelta(hours=24))
    ticket = opened.ticket
    session.add(TicketEvent(ticket_id=ticket.id, at=NOW, actor_id=person.id, kind="located",
                            note=f"在3号楼门口，打{PHONE}"))
    change_status(session, ticket, TicketStatus.ACKNOWLEDGED, actor=ticket.assignee,
                  now=NOW + dt.timedelta(minutes=5))
    event = session.scalar(select(Event))
    assert event is not None
    session.add_all([
        Suggestion(community_id=community_id, person_id=person.id,
                   text=f"建议装路灯，联系{NAME} {PHONE}", created_at=NOW),
        Question(community_id=community_id, person_id=person.id, text=SAID[1], created_at=NOW),
        EventSignup(event_id=event.id, person_id=person.id, count=2,
                    status=SignupStatus.CONFIRMED),
        ConversationState(channel="rest", chat_id="s-77", person_key="s-77",
                          state={"slots": {"report_text": SAID[0]}}, updated_at=NOW),
    ])
    inbound = TranscriptMessage(channel="rest", chat_id="s-77", person_id=person.id,
                                direction=Direction.IN, text=SAID[0], at=NOW,
                                parse={"text": SAID[0], "entities": [
                                    {"entity": "phone", "value": PHONE}]})
    session.add(inbound)
    session.flush()
    session.add_all([
        TranscriptMessage(channel="rest", chat_id="s-77", person_id=person.id,
                          direction=Direction.OUT, text=f"好的{NAME}，已登记 {ticket.number}",
                          reply_to_id=inbound.id, at=NOW),
        TranscriptMessage(channel="rest", chat_id="s-77", person_id=person.id,
                          direction=Direction.IN, text=SAID[1], at=NOW),
        TranscriptMessage(channel=privacy.GROUP_CHANNEL, chat_id="-100", direction=Direction.IN,
                          text=SAID[2], at=NOW, parse={"sender": "5551"}),
    ])
    assert ticket.assignee is not None
    enqueue(session, person=ticket.assignee, text=f"新报修：{NAME} {PHONE} {SAID[0]}",
            key="t:grid", now=NOW)
    enqueue(session, person=person, text=f"{NAME}您好，{ticket.number} 已受理", key="t:me",
            now=NOW)
    session.add(TranscriptMessage(channel="shell", chat_id="zhang_wei",
                                  person_id=ticket.assignee.id, direction=Direction.OUT,
                                  text=f"{NAME}（{PHONE}）：{SAID[0]}", at=NOW))
    session.add(Handoff(community_id=community_id, resident_id=person.id, started_at=NOW,
                        last_activity_at=NOW))
    privacy.save_export(session, person, NOW)
    return person


def _holding(session: Session, needle: str) -> list[str]:
    """Every table.column whose text (JSON as its text) holds ``needle``."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            text = cast(column, Text) if isinstance(column.type, JSON) else column
            if session.scalar(select(func.count()).select_from(table).where(
                    text.contains(needle, autoescape=True))):
                found.append(f"{table.name}.{column.name}")
    return found


def _setup(sessions: sessionmaker[Session]) -> int:
    demo.load_community(sessions, NOW.date())
    with transaction(sessions) as session:
        return _resident(session).id


def test_the_export_holds_everything_about_the_resident(
        sessions: sessionmaker[Session]) -> None:
    person_id = _setup(sessions)
    with sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None
        document = json.loads(privacy.export_json(privacy.export(session, person, NOW)))
    assert document["person"]["name"] == NAME and document["person"]["phone"] == PHONE
    assert document["person"]["household"] == {"building": "3", "unit": "2", "room": "602"}
    assert {(i["channel"], i["id"]) for i in document["identities"]} == {
        ("rest", "s-77"), ("telegram", "5551")}
    [ticket] = document["tickets"]
    assert ticket["text"].startswith(SAID[0]) and ticket["status"] == "acknowledged"
    assert [e["kind"] for e in ticket["events"]][:2] == ["created", "assigned"]
    assert [m["text"] for m in document["messages"]] == [
        SAID[0], f"好的{NAME}，已登记 {ticket['number']}", SAID[1], SAID[2]]
    assert document["suggestions"][0]["text"].startswith("建议装路灯")
    assert document["questions"] == [{"text": SAID[1], "answered": False,
                                      "at": NOW.isoformat()}]
    assert document["signups"][0]["count"] == 2


def test_after_erasure_no_row_holds_her_name_phone_id_or_words(
        sessions: sessionmaker[Session]) -> None:
    person_id = _setup(sessions)
    with sessions() as session:
        for needle in (NAME, PHONE, ID_NUMBER, *SAID):
            assert _holding(session, needle), needle  # the search finds what is there
        community_id = session.scalar(select(Building.community_id))
        assert community_id is not None
        before = rates(session, community_id, NOW - dt.timedelta(days=1),
                       NOW + dt.timedelta(days=1), NOW + dt.timedelta(hours=1))
    with transaction(sessions) as session:
        person = session.get(Person, person_id)
        assert person is not None
        erased = privacy.erase(session, person, NOW)
    assert erased.name and erased.phone and erased.household and erased.identities == 2
    assert erased.messages == 4 and erased.masked >= 4
    with sessions() as session:
        for needle in (NAME, PHONE, ID_NUMBER, *SAID):
            assert _holding(session, needle) == [], needle
        person = session.get(Person, person_id)
        assert person is not None
        assert (person.name, person.phone, person.household_id) == (f"居民#{person_id}", None,
                                                                    None)
        assert session.scalar(select(func.count()).select_from(ChatIdentity).where(
            ChatIdentity.person_id == person_id)) == 0
        assert session.scalar(select(func.count()).select_from(Media).where(
            Media.content_type == privacy.EXPORT_TYPE)) == 0
        ticket = session.scalar(select(Ticket).where(Ticket.reporter_id == person_id))
        assert ticket is not None and ticket.status == TicketStatus.ACKNOWLEDGED
        assert ticket.text.startswith("我家厨房水管漏水了，电话139****4321")
        assert rates(session, community_id, NOW - dt.timedelta(days=1),
                     NOW + dt.timedelta(days=1), NOW + dt.timedelta(hours=1)) == before
        # Nothing more reaches her: what waited for her is not delivered.
        assert session.scalar(select(OutboxMessage.status).where(
            OutboxMessage.dedupe_key == "t:me")) == "failed"
        assert session.scalar(select(func.count()).select_from(ConversationState)) == 0
        assert session.scalar(select(Handoff.ended_by)) == "resident"  # nobody can answer


def test_erasing_twice_changes_nothing_the_second_time(
        sessions: sessionmaker[Session]) -> None:
    person_id = _setup(sessions)
    with transaction(sessions) as session:
        person = session.get(Person, person_id)
        assert person is not None
        assert privacy.erase(session, person, NOW).anything
    with sessions() as session:
        snapshot = [tuple(row) for table in Base.metadata.sorted_tables
                    for row in session.execute(select(table)).all()
                    if table.name not in ("media",)]
    with transaction(sessions) as session:
        person = session.get(Person, person_id)
        assert person is not None
        assert not privacy.erase(session, person, NOW).anything
    with sessions() as session:
        assert snapshot == [tuple(row) for table in Base.metadata.sorted_tables
                            for row in session.execute(select(table)).all()
                            if table.name not in ("media",)]


def test_old_transcript_texts_go_in_batches_and_new_ones_stay(
        sessions: sessionmaker[Session]) -> None:
    demo.load_community(sessions, NOW.date())
    with transaction(sessions) as session:
        session.add_all([TranscriptMessage(channel="rest", chat_id="x", direction=Direction.IN,
                                           text=f"old {n}", at=NOW - dt.timedelta(days=200),
                                           parse={"text": f"old {n}"}) for n in range(5)])
        session.add(TranscriptMessage(channel="rest", chat_id="x", direction=Direction.IN,
                                      text="recent", at=NOW - dt.timedelta(days=10)))
    cutoff = NOW - dt.timedelta(days=180)
    batches = []
    while True:
        with transaction(sessions) as session:
            batches.append(privacy.erase_old_texts(session, cutoff, 2))
        if batches[-1] < 2:
            break
    assert batches == [2, 2, 1]
    with sessions() as session:
        rows = session.execute(select(TranscriptMessage.text, TranscriptMessage.parse)
                               .order_by(TranscriptMessage.id)).all()
    assert [tuple(row) for row in rows] == [(privacy.ERASED, None)] * 5 + [("recent", None)]


def test_a_person_is_found_by_id_identity_or_community_key(
        sessions: sessionmaker[Session]) -> None:
    person_id = _setup(sessions)
    with sessions() as session:
        assert privacy.find_person(session, str(person_id)).id == person_id  # type: ignore[union-attr]
        assert privacy.find_person(session, "telegram:5551").id == person_id  # type: ignore[union-attr]
        assert privacy.find_person(session, "rest:s-77").id == person_id  # type: ignore[union-attr]
        wang = privacy.find_person(session, "wang_aiyi")
        assert wang is not None and wang.name == "王阿姨"
        assert privacy.find_person(session, "telegram:0") is None
        assert privacy.find_person(session, "nobody") is None


def test_a_name_anyone_may_use_is_taken_out_only_of_what_was_about_her(
        sessions: sessionmaker[Session]) -> None:
    demo.load_community(sessions, NOW.date())
    with transaction(sessions) as session:
        community_id = session.scalar(select(Building.community_id))
        building = session.scalar(select(Building).where(Building.number == "9"))
        other = session.scalar(select(Person).where(Person.name == "Raj Patel"))
        assert community_id is not None and building is not None and other is not None
        anna = Person(community_id=community_id, name="Anna", roles=[
            PersonRole(role=Role.RESIDENT)], created_at=NOW)
        session.add(anna)
        session.flush()
        ticket = open_ticket(session, reporter=anna, kind=TicketKind.REPAIR,
                             category="lighting", text="hallway light out", language="en",
                             building=building, unit="1", room=None, now=NOW,
                             deadlines=Deadlines(), duplicate_window=dt.timedelta(hours=24)
                             ).ticket
        assert ticket.assignee is not None
        enqueue(session, person=ticket.assignee, text=f"New: {ticket.number} from Anna",
                key=f"ticket:{ticket.number}:new:{ticket.assignee.id}", now=NOW)
        enqueue(session, person=other, text="Anna and Annabel say hi", key="other", now=NOW)
        session.add(TranscriptMessage(channel="shell", chat_id="raj", person_id=other.id,
                                      direction=Direction.IN, text="Anna is my neighbour",
                                      at=NOW))
        anna_id = anna.id
    with transaction(sessions) as session:
        person = session.get(Person, anna_id)
        assert person is not None
        assert privacy.erase(session, person, NOW).name
    with sessions() as session:
        texts = dict(session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.text)).all())
        assert texts["other"] == "Anna and Annabel say hi"
        assert [t for k, t in texts.items() if k.startswith("ticket:")] == [
            f"New: {ticket.number} from 居民#{anna_id}"]
        assert session.scalar(select(TranscriptMessage.text).where(
            TranscriptMessage.chat_id == "raj")) == "Anna is my neighbour"
