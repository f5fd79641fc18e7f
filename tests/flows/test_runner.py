"""The flow runner's precedence: a confident emergency outranks whatever is being asked, the
interrupted flow is offered back, a less sure reading is asked about, and a notice text is
kept word for word.

The NLU is scripted here (its own tests measure it) so that each confidence is exactly the one
a rule is about; flows, actions, responses and the store are the real ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import Runtime
from bot.conversation import ConversationService, Incoming
from bot.wiring import build_service
from flows.runner import EMERGENCY_CONFIDENCE
from store.models import (
    ChatIdentity,
    Notice,
    OutboxMessage,
    Person,
    Ticket,
    TicketKind,
    TicketStatus,
)
from tests import demo

CONFIG = Path(__file__).resolve().parents[2] / "config"
NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
GAS = "楼道里煤气味很大"


def parsed(intent: str, confidence: float = 1.0, language: str = "zh",
           **entities: str) -> dict[str, Any]:
    return {"intent": {"name": intent, "confidence": confidence}, "language": language,
            "entities": [{"entity": k, "value": v, "extractor": "script"}
                         for k, v in entities.items()]}


class ScriptedNlu:
    """Each test message with the reading the rule under test is about."""

    def __init__(self) -> None:
        self.readings: dict[str, dict[str, Any]] = {
            "楼上装修太吵了": parsed("file_complaint", category="noise"),
            GAS: parsed("report_emergency", 0.9999, category="gas"),
            "在5号楼2单元门口": parsed("register_household", 0.45, building="5", unit="2"),
            "7": parsed("event_signup", 0.99, language="und"),
            "好的": parsed("affirm"), "不用了": parsed("deny"), "不是": parsed("deny"),
            "是": parsed("affirm"),
            "我有个建议": parsed("make_suggestion"),
            "最近有什么活动": parsed("event_list"),
            "就在3号楼门口": parsed("report_emergency", 0.59, building="3"),
            "烟雾报警器一直滴滴响": parsed("report_emergency", 0.5, category="fire"),
            "不知道": parsed("bot_help", 0.49),
            "着火了 在5号楼": parsed("report_emergency", 1.0, building="5", category="fire"),
            "今晚8点消防演练，听到警报不要惊慌，着火了要用湿毛巾捂住口鼻":
                parsed("report_emergency", 0.99, category="fire"),
        }

    def parse(self, text: str) -> dict[str, Any]:
        reading = self.readings.get(text, parsed("out_of_scope", 0.3))
        return {"intent_ranking": [reading["intent"]], **reading, "text": text}


@pytest.fixture
def nlu() -> ScriptedNlu:
    return ScriptedNlu()


@pytest.fixture
def service(sessions: sessionmaker[Session], nlu: ScriptedNlu) -> ConversationService:
    demo.load_community(sessions, NOW.date())
    runtime = Runtime(sessions=sessions, responses=demo.responses(),
                      timezone=ZoneInfo("Asia/Shanghai"), clock=lambda: NOW,
                      faq=demo.faq())
    return build_service(runtime, nlu)


_IDS = itertools.count()


def say(service: ConversationService, who: str, text: str) -> str:
    replies = asyncio.run(service.handle(Incoming("shell", who, who, text,
                                                  message_id=f"{who}-{next(_IDS)}")))
    return "\n".join(r["text"] + "".join(f" [{b['title']}]" for b in r.get("buttons", []))
                     for r in replies)


def tickets(sessions: sessionmaker[Session]) -> list[tuple[str, str | None]]:
    with sessions() as session:
        return [(t.number, t.building.number if t.building else None)
                for t in session.scalars(select(Ticket).order_by(Ticket.id))]


def test_an_emergency_wins_over_the_waiting_question_and_the_flow_is_offered_back(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    assert "几号楼" in say(service, "walk_in", "楼上装修太吵了")
    said = say(service, "walk_in", GAS)
    assert said.index("119") < said.index("JJ-20261207-0001") < said.index("是在哪里")
    assert "刚才您在投诉" not in said  # offered back only once the emergency is done
    said = say(service, "walk_in", "在5号楼2单元门口")
    assert "收到，位置：5号楼2单元" in said and "刚才您在投诉（“楼上装修太吵了”）" in said
    assert "几号楼" in say(service, "walk_in", "好的")  # carried on: its question again
    assert "TS-20261207-0001" in say(service, "walk_in", "7")
    assert tickets(sessions) == [("JJ-20261207-0001", "5"), ("TS-20261207-0001", "7")]


def test_a_direct_answer_to_the_interrupted_question_carries_on(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    say(service, "walk_in", "楼上装修太吵了")
    say(service, "walk_in", GAS)
    say(service, "walk_in", "在5号楼2单元门口")
    assert "TS-20261207-0001" in say(service, "walk_in", "7")


def test_the_offer_can_be_declined_and_lapses_when_the_resident_moves_on(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    say(service, "walk_in", "楼上装修太吵了")
    say(service, "walk_in", GAS)
    say(service, "walk_in", "在5号楼2单元门口")
    assert "先放下了" in say(service, "walk_in", "不用了")
    # a neighbour (the same resident's second gas smell would be more of the first)
    say(service, "next_door", "楼上装修太吵了")
    say(service, "next_door", GAS)
    say(service, "next_door", "在5号楼2单元门口")
    assert "活动" in say(service, "next_door", "最近有什么活动")
    assert "TS-" not in say(service, "next_door", "7")  # the complaint was set aside
    assert [number for number, _ in tickets(sessions)] == ["JJ-20261207-0001",
                                                         "JJ-20261207-0002"]


def test_a_suggestion_being_written_gives_way_to_an_emergency(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    say(service, "wang_aiyi", "我有个建议")
    said = say(service, "wang_aiyi", GAS)  # the stairwell: of her own building, said back
    assert "119" in said and "您住的这栋楼记下了（3号楼2单元）" in said and "刚才您在提建议" in said
    said = say(service, "wang_aiyi", "着火了 在5号楼")  # more words, same danger: the place
    assert "5号楼" in said and "JJ-20261207-0002" not in said
    assert tickets(sessions) == [("JJ-20261207-0001", "5")]


def test_a_notice_text_is_kept_word_for_word(service: ConversationService,
                                            sessions: sessionmaker[Session]) -> None:
    say(service, "zhao_min", "/broadcast")
    say(service, "zhao_min", '/choose{"audience": "all"}')
    say(service, "zhao_min", "现在")
    drill = "今晚8点消防演练，听到警报不要惊慌，着火了要用湿毛巾捂住口鼻"
    said = say(service, "zhao_min", drill)
    assert "119" not in said and "英文" in said
    say(service, "zhao_min", "跳过")
    assert tickets(sessions) == []
    with sessions() as session:
        assert session.scalar(select(Notice.texts)) == {"zh": drill}


@pytest.mark.parametrize(("confidence", "alarm"), [(EMERGENCY_CONFIDENCE, True),
                                                   (EMERGENCY_CONFIDENCE - 0.01, False)])
def test_how_sure_the_nlu_must_be_before_anyone_is_woken(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session],
        confidence: float, alarm: bool) -> None:
    nlu.readings["楼道里好像有煤气味"] = parsed("report_emergency", confidence, category="gas")
    say(service, "walk_in", "楼上装修太吵了")
    said = say(service, "walk_in", "楼道里好像有煤气味")
    assert ("119" in said) is alarm
    assert ("是在报告正在发生的危险吗" in said) is not alarm
    assert bool(tickets(sessions)) is alarm


def test_a_doubtful_emergency_is_asked_about_and_no_puts_the_question_back(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    say(service, "walk_in", "楼上装修太吵了")
    said = say(service, "walk_in", "烟雾报警器一直滴滴响")
    assert "是在报告正在发生的危险吗" in said and "[🚨 是，很紧急]" in said
    said = say(service, "walk_in", "不是")
    assert "不是紧急情况" in said and "几号楼" in said
    assert tickets(sessions) == []
    with sessions() as session:
        assert session.scalar(select(OutboxMessage.id)) is None  # nobody woken


@pytest.mark.parametrize(("answer", "filed"), [("好的", True), ("不用了", False)])
def test_no_danger_in_a_doubtful_report_offers_it_as_the_report_it_also_read_as(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session],
        answer: str, filed: bool) -> None:
    reading = parsed("report_emergency", 0.5, building="2", category="facilities")
    nlu.readings["2号楼大门口有个大坑"] = {**reading, "intent_ranking": [
        reading["intent"], {"name": "report_repair", "confidence": 0.3}]}
    assert "是在报告正在发生的危险吗" in say(service, "walk_in", "2号楼大门口有个大坑")
    said = say(service, "walk_in", "不是")
    assert "不是紧急情况" in said and "报修" in said and "2号楼大门口有个大坑" in said
    assert tickets(sessions) == []
    said = say(service, "walk_in", answer)
    assert tickets(sessions) == ([("BX-20261207-0001", "2")] if filed else [])
    assert ("BX-20261207-0001" in said) is filed
    with sessions() as session:
        assert session.scalar(select(Ticket.text)) == ("2号楼大门口有个大坑" if filed else None)


def test_where_a_doubtful_danger_is_stays_with_it_and_is_no_home_address(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["就在5号楼"] = parsed("register_household", 0.64, building="5")
    assert "是在报告正在发生的危险吗" in say(service, "walk_in", "烟雾报警器一直滴滴响")
    said = say(service, "walk_in", "就在5号楼")
    assert "现在有没有人身危险" in said and "住在" not in said
    said = say(service, "walk_in", "是")
    assert "119" in said and "JJ-20261207-0001" in said and "是在哪里" not in said
    assert tickets(sessions) == [("JJ-20261207-0001", "5")]
    with sessions() as session:
        person = session.scalar(select(Person).join(ChatIdentity).where(
            ChatIdentity.external_id == "walk_in"))
        assert person is not None and person.household is None


def test_yes_to_a_doubtful_emergency_raises_it_with_the_original_words(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    assert "是在报告正在发生的危险吗" in say(service, "walk_in", "就在3号楼门口")
    said = say(service, "walk_in", "是")
    assert "119" in said and "JJ-20261207-0001" in said and "是在哪里" not in said
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket is not None and ticket.kind == TicketKind.EMERGENCY
        assert ticket.text == "就在3号楼门口" and ticket.building is not None


def test_more_of_a_doubtful_danger_and_where_it_is_raises_it(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["7号楼楼道着火了"] = parsed("report_emergency", 0.8, category="fire")
    nlu.readings["就在1单元 烟很大"] = parsed("register_household", 0.6, unit="1")
    assert "是在报告正在发生的危险吗" in say(service, "walk_in", "7号楼楼道着火了")
    said = say(service, "walk_in", "就在1单元 烟很大")  # no "yes", but plainly going on
    assert "119" in said and "JJ-20261207-0001" in said
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket is not None and ticket.kind == TicketKind.EMERGENCY
        assert "着火" in ticket.text and "烟很大" in ticket.text


def test_a_sure_emergency_after_a_doubtful_one_keeps_its_words_and_place(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["7号楼门口好像有烟味"] = parsed("report_emergency", 0.6, building="7")
    nlu.readings["就在2单元门口 烟越来越大"] = parsed("report_emergency", 0.95, unit="2")
    say(service, "walk_in", "7号楼门口好像有烟味")
    assert "JJ-20261207-0001" in say(service, "walk_in", "就在2单元门口 烟越来越大")
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket is not None and ticket.building is not None and ticket.unit == "2"
        assert ticket.text == "7号楼门口好像有烟味 就在2单元门口 烟越来越大"


def test_a_doubtful_danger_passed_by_is_asked_about_again_not_dropped(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["7号楼楼道着火了"] = parsed("report_emergency", 0.8, category="fire")
    assert "是在报告正在发生的危险吗" in say(service, "walk_in", "7号楼楼道着火了")
    said = say(service, "walk_in", "最近有什么活动")  # another matter first
    assert "是在报告正在发生的危险吗" in said  # answered, then the danger again
    said = say(service, "walk_in", "是")
    assert "119" in said and "JJ-20261207-0001" in said
    with sessions() as session:
        assert session.scalar(select(Ticket.text)) == "7号楼楼道着火了"


def test_a_doubtful_danger_passed_by_twice_is_let_go(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["7号楼楼道着火了"] = parsed("report_emergency", 0.8, category="fire")
    say(service, "walk_in", "7号楼楼道着火了")
    assert "是在报告正在发生的危险吗" in say(service, "walk_in", "最近有什么活动")
    assert "是在报告正在发生的危险吗" not in say(service, "walk_in", "最近有什么活动")
    assert tickets(sessions) == []


def test_a_place_answer_that_sounds_alarming_answers_the_question(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    say(service, "walk_in", "楼上装修太吵了")
    assert "TS-20261207-0001" in say(service, "walk_in", "就在3号楼门口")
    assert tickets(sessions) == [("TS-20261207-0001", "3")]


def test_not_knowing_where_keeps_the_emergency_open(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    say(service, "walk_in", "楼上装修太吵了")
    say(service, "walk_in", GAS)
    said = say(service, "walk_in", "不知道")
    assert "保持电话畅通" in said and "刚才您在投诉" in said and "已取消" not in said
    assert tickets(sessions) == [("JJ-20261207-0001", None)]


def test_the_place_never_becomes_the_household(service: ConversationService,
                                              sessions: sessionmaker[Session]) -> None:
    say(service, "wang_aiyi", GAS)
    say(service, "wang_aiyi", "在5号楼2单元门口")
    with sessions() as session:
        wang = session.scalar(select(Person).where(Person.name == "王阿姨"))
        assert wang is not None and wang.household is not None
        assert (wang.household.building.number, wang.household.unit,
                wang.household.room) == ("3", "2", "501")
    assert tickets(sessions) == [("JJ-20261207-0001", "5")]


def test_a_question_asked_while_the_building_is_asked_is_answered_then_asked_again(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["居委会几点上班"] = parsed("ask_faq", 0.99)
    say(service, "walk_in", "楼上装修太吵了")
    said = say(service, "walk_in", "居委会几点上班")
    assert said.index("8:30") < said.index("几号楼")  # the answer, then the question again
    said = say(service, "walk_in", "最近有什么活动")
    assert said.index("包饺子") < said.index("几号楼")
    assert "TS-20261207-0001" in say(service, "walk_in", "7")


@pytest.mark.parametrize("words", ["actually cancel that", "那就取消吧"])
def test_cancelling_a_report_before_it_is_filed_withdraws_nothing_else(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session],
        words: str) -> None:
    nlu.readings["3号楼楼道灯坏了"] = parsed("report_repair", building="3", category="lighting")
    nlu.readings["楼道灯坏了"] = parsed("report_repair", category="lighting")
    nlu.readings[words] = parsed("ticket_cancel", 0.73)
    say(service, "walk_in", "3号楼楼道灯坏了")
    say(service, "walk_in", "不用了")  # no number left
    assert "几号楼" in say(service, "walk_in", "楼道灯坏了")
    said = say(service, "walk_in", words)  # this report, not the one filed before
    assert "BX-20261207-0001" not in said and "几号楼" not in said
    assert "BX-" not in say(service, "walk_in", "7")
    assert tickets(sessions) == [("BX-20261207-0001", "3")]


def test_not_knowing_the_building_of_a_report_is_no_cancel(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["i dont know the number"] = parsed("deny", 0.86, language="en")
    say(service, "walk_in", "楼上装修太吵了")
    assert "Which building" in say(service, "walk_in", "i dont know the number")
    assert "TS-20261207-0001" in say(service, "walk_in", "7")


def outbox_for(sessions: sessionmaker[Session], name: str) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage.text).join(
            Person, Person.id == OutboxMessage.person_id).where(Person.name == name)
            .order_by(OutboxMessage.id)))


def test_a_wrong_building_corrected_after_filing_moves_the_report_to_its_grid_member(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["不对 是5号楼"] = parsed("deny", building="5")
    say(service, "walk_in", "楼上装修太吵了")
    assert "TS-20261207-0001" in say(service, "walk_in", "7")  # and asks how to reach them
    said = say(service, "walk_in", "不对 是5号楼")
    assert "TS-20261207-0001 的位置改成了5号楼" in said and "张伟" in said
    assert "称呼和电话" in said  # the question it interrupted, asked again
    assert tickets(sessions) == [("TS-20261207-0001", "5")]
    assert "工单转出" in outbox_for(sessions, "王芳")[-1]
    assert "新工单" in outbox_for(sessions, "张伟")[-1]
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket is not None and ticket.assignee is not None
        assert ticket.assignee.name == "张伟"


def test_a_correction_once_work_has_started_goes_to_the_handler(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["不对 是5号楼"] = parsed("deny", building="5")
    say(service, "walk_in", "楼上装修太吵了")
    say(service, "walk_in", "7")
    with sessions() as session, session.begin():
        ticket = session.scalar(select(Ticket))
        assert ticket is not None
        ticket.status = TicketStatus.IN_PROGRESS
    said = say(service, "walk_in", "不对 是5号楼")
    assert "已经在处理了" in said
    assert tickets(sessions) == [("TS-20261207-0001", "7")]
    assert "居民说：不对 是5号楼" in outbox_for(sessions, "王芳")[-1]


def test_a_building_said_with_no_report_filed_is_no_correction(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["不对 是5号楼"] = parsed("deny", building="5")
    assert "改成了" not in say(service, "walk_in", "不对 是5号楼")
    assert tickets(sessions) == []


def test_a_plain_request_leaves_a_report_a_doubtful_reading_began(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["公共区域"] = parsed("report_repair", 0.34, category="facilities")
    nlu.readings["我想报名"] = parsed("event_signup")
    assert "几号楼" in say(service, "walk_in", "公共区域")
    said = say(service, "walk_in", "我想报名")
    assert "哪个活动" in said and "几号楼" not in said
    say(service, "walk_in", "楼上装修太吵了")  # a sure report keeps its question
    assert "几号楼" in say(service, "walk_in", "我想报名")


def test_a_number_answers_the_question_of_a_report_a_doubtful_reading_began(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["窗户玻璃碎了"] = parsed("report_repair", 0.58, category="other")
    assert "几号楼" in say(service, "walk_in", "窗户玻璃碎了")
    said = say(service, "walk_in", "7")  # read as a sure event signup on its own
    assert "BX-20261207-0001" in said and "哪个活动" not in said
    assert tickets(sessions) == [("BX-20261207-0001", "7")]


@pytest.mark.parametrize("rephrased", ["哦不对 不是空调 是暖气片漏水",
                                       "no wait, not the aircon, it's the radiator"])
def test_what_is_wrong_said_again_joins_the_report_and_the_question_is_asked_again(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session],
        rephrased: str) -> None:
    nlu.readings["空调漏水了"] = parsed("report_repair", category="water")
    nlu.readings[rephrased] = parsed("deny", 0.76)
    assert "几号楼" in say(service, "walk_in", "空调漏水了")
    said = say(service, "walk_in", rephrased)
    assert rephrased[:20] in said and "几号楼" in said and "取消" not in said
    assert "BX-20261207-0001" in say(service, "walk_in", "7")
    with sessions() as session:
        assert session.scalar(select(Ticket.text)) == f"空调漏水了 {rephrased}"


@pytest.mark.parametrize("answers", [["先这样吧 拜拜"], ["谢谢", "谢谢"], ["好的", "谢谢"]])
def test_goodbye_or_thanks_twice_at_a_question_leaves_it_instead_of_going_round(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session],
        answers: list[str]) -> None:
    nlu.readings["先这样吧 拜拜"] = parsed("goodbye")
    nlu.readings["谢谢"] = parsed("thank")
    assert "几号楼" in say(service, "walk_in", "楼上装修太吵了")
    *before, last = answers
    for answer in before:
        assert "几号楼" in say(service, "walk_in", answer)  # asked once more
    said = say(service, "walk_in", last)
    assert "还没登记" in said and "几号楼" not in said
    assert tickets(sessions) == []
    assert "几号楼" not in say(service, "walk_in", "好的")  # nothing is asked any more


@pytest.mark.parametrize(("said", "confidence", "replied"), [
    ("好的", 1.0, "还有别的事随时说"), ("不用了", 1.0, "有需要随时找我"),
    ("就在我家", 0.46, "没太明白")])
def test_a_yes_or_no_with_nothing_asked_gets_a_reply_in_kind_when_sure(
        service: ConversationService, nlu: ScriptedNlu, said: str, confidence: float,
        replied: str) -> None:
    nlu.readings[said] = parsed("affirm" if said != "不用了" else "deny", confidence)
    assert replied in say(service, "walk_in", said)


HISS = "燃气表那边有嘶嘶声"


@pytest.mark.parametrize("answers", [
    ["不知道 一直嘶嘶响"],  # "I don't know", and more of what is wrong
    ["就在3号楼", "不知道"],  # where, then "I don't know"
    ["要不要关总阀", "就在3号楼"],  # a question of safety, then where: asked twice at most
    ["idk"]])
def test_a_danger_nobody_can_confirm_is_filed_not_asked_in_circles(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session],
        answers: list[str]) -> None:
    nlu.readings[HISS] = parsed("report_emergency", 0.5, category="gas")
    nlu.readings["就在3号楼"] = parsed("register_household", 0.64, building="3")
    nlu.readings["要不要关总阀"] = parsed("ask_faq", 0.92)
    for hedge in ("不知道 一直嘶嘶响", "不知道", "idk"):
        nlu.readings[hedge] = parsed("affirm", 0.86)  # as the NLU reads a hedge
    assert "是在报告正在发生的危险吗" in say(service, "li_shushu", HISS)
    said = [say(service, "li_shushu", answer) for answer in answers]
    assert "网格员" in said[-1] and "119" in said[-1] and "BX-20261207-0001" in said[-1]
    assert all("是在报告正在发生的危险吗" not in line for line in said)
    assert [number for number, _ in tickets(sessions)] == ["BX-20261207-0001"]  # no alert
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket is not None and HISS in ticket.text and ticket.category == "gas"


def test_a_question_of_safety_at_is_this_a_danger_is_answered_and_asked_again(
        service: ConversationService, nlu: ScriptedNlu) -> None:
    nlu.readings[HISS] = parsed("report_emergency", 0.5, category="gas")
    nlu.readings["要不要关总阀"] = parsed("ask_faq", 0.92)
    say(service, "walk_in", HISS)
    said = say(service, "walk_in", "要不要关总阀")
    assert "燃气表前面" in said and "有没有人身危险" in said  # the FAQ, then the question


@pytest.mark.parametrize("hedge", ["不确定", "not sure", "说不好"])
def test_not_sure_is_never_a_yes(service: ConversationService, nlu: ScriptedNlu,
                                 sessions: sessionmaker[Session], hedge: str) -> None:
    nlu.readings[HISS] = parsed("report_emergency", 0.5, category="gas")
    nlu.readings[hedge] = parsed("affirm", 0.86)
    say(service, "walk_in", HISS)
    said = say(service, "walk_in", hedge)
    assert "119" in said and "几号楼" in said  # no alert: a repair, asked where
    assert "BX-20261207-0001" in say(service, "walk_in", "3")
    assert tickets(sessions) == [("BX-20261207-0001", "3")]


def test_no_to_a_doubtful_danger_that_names_what_is_wrong_offers_a_repair(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session]) -> None:
    nlu.readings["楼道里烟雾报警器一直响"] = parsed("report_emergency", 0.6, category="fire")
    say(service, "li_shushu", "楼道里烟雾报警器一直响")
    assert "报修" in say(service, "li_shushu", "不是")  # offered, though read next as a question
    assert "BX-20261207-0001" in say(service, "li_shushu", "好的")


@pytest.mark.parametrize("answer", ["oops sorry it's 15 not 16", "哦不对 是15号楼"])
def test_a_building_put_right_answers_the_question_and_keeps_the_rest(
        service: ConversationService, nlu: ScriptedNlu, answer: str) -> None:
    nlu.readings["登记 16号楼2单元301"] = parsed("register_household", building="16", unit="2",
                                             room="301")
    nlu.readings[answer] = parsed("deny", 1.0, **({"building": "15"} if "号楼" in answer
                                                  else {}))
    assert "没找到这栋楼" in say(service, "walk_in", "登记 16号楼2单元301")
    assert "15号楼2单元301" in say(service, "walk_in", answer)


@pytest.mark.parametrize(("confidence", "filed"), [(0.59, False), (0.6, True)])
def test_a_report_the_nlu_is_unsure_of_is_offered_before_it_is_filed(
        service: ConversationService, nlu: ScriptedNlu, sessions: sessionmaker[Session],
        confidence: float, filed: bool) -> None:
    nlu.readings["唉 真是操心"] = parsed("report_repair", confidence, category="other")
    said = say(service, "wang_aiyi", "唉 真是操心")  # 3-2-501: nothing left to ask
    assert ("要我帮您登记报修吗（“唉 真是操心”）" in said) is not filed
    assert bool(tickets(sessions)) is filed
    if not filed:
        say(service, "wang_aiyi", "好的")  # the offer taken: now it is filed
        assert len(tickets(sessions)) == 1
