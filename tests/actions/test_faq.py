"""Residents asking the FAQ through the conversation service, on SQLite and PostgreSQL: the
answer to the question they asked, in their language, or a polite "no answer" and the question
kept for the staff on duty."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService
from store.models import Question
from tests.bot.test_dialogues import converse, talker


def test_a_colloquial_question_gets_its_own_answer_in_the_residents_language(
        service: ConversationService) -> None:
    said = "\n".join(talker(service, "wang_aiyi")("垃圾分类几点投放"))
    assert "7:00–9:00" in said and "18:00–20:00" in said
    assert "分四类" not in said  # the sorting categories answer a neighbouring question
    said = "\n".join(talker(service, "anna")("When can I put out the kitchen waste?"))
    assert "7:00–9:00" in said and "bin station" in said
    assert "工作人员" not in said and "垃圾" not in said
    converse(talker(service, "wang_aiyi"), [("老年卡咋办啊", ["60周岁", "一寸照片"])])


def test_a_question_from_another_domain_gets_what_the_bot_can_do(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    said = "\n".join(talker(service, "wang_aiyi")("欢乐谷几点开门"))
    assert "卫生服务站" not in said  # not the health station's hours
    assert "报修" in said  # what Linli can do instead
    said = "\n".join(talker(service, "anna")("what time does disneyland open"))
    assert "repair" in said.lower()
    with sessions() as session:
        assert list(session.scalars(select(Question.text))) == []


def test_a_community_question_without_an_answer_is_kept_for_staff(
        service: ConversationService, sessions: sessionmaker[Session]) -> None:
    converse(talker(service, "wang_aiyi"), [
        ("社区的钢琴室能预约吗", ["工作人员会回复"])])
    converse(talker(service, "zhao_min"), [("你好", ["【转人工】", "社区的钢琴室能预约吗"])])
    with sessions() as session:
        assert list(session.scalars(select(Question.text))) == ["社区的钢琴室能预约吗"]


def test_a_question_among_other_sentences_is_answered(service: ConversationService) -> None:
    converse(talker(service, "anna"), [
        ("What do I do if I ever smell gas at home? Only asking, we just moved in",
         ["main gas valve"])])
    # in English a space parts words, not clauses: "off?" alone is no question of valves
    said = "\n".join(talker(service, "raj")(
        "I saw a notice about a fire drill, is it today? Should I leave when the alarm goes off?"))
    assert "valve" not in said
    converse(talker(service, "wang_aiyi"), [("孙子发烧了 社区卫生站今天开门吗", ["8:00"])])


def test_a_word_in_passing_gets_a_nod_not_a_brush_off(service: ConversationService,
                                                       sessions: sessionmaker[Session]) -> None:
    said = "\n".join(talker(service, "wang_aiyi")("关了关了"))
    assert "帮不上忙" not in said and "答不上来" not in said
    with sessions() as session:
        assert list(session.scalars(select(Question.text))) == []
