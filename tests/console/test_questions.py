"""Unanswered questions in the console, over real HTTP on SQLite and PostgreSQL: similar ones
grouped, one answer reaches every resident who asked, answered ones leave the open list."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation import ConversationService
from store.database import transaction
from store.models import ChatIdentity, OutboxMessage, Person, Question
from tests.bot.test_dialogues import NOW
from tests.console.conftest import Login


def asked(service: ConversationService, texts: list[tuple[str, str]]) -> list[int]:
    """Each text asked by another resident who can be reached."""
    with transaction(service.sessions) as session:
        people = session.scalars(select(Person).join(
            ChatIdentity, ChatIdentity.person_id == Person.id).order_by(Person.id)).unique()
        ids = []
        for (text, language), person in zip(texts, people, strict=False):
            question = Question(community_id=person.community_id, person_id=person.id,
                                text=text, language=language, created_at=NOW)
            session.add(question)
            session.flush()
            ids.append(question.id)
        assert len(ids) == len(texts)
        return ids


def test_similar_questions_are_answered_together(service: ConversationService,
                                                 login: Login) -> None:
    bins, bins_again, courts = asked(service, [("垃圾分类的桶放在哪里", "zh"),
                                               ("垃圾分类桶放哪儿了啊", "zh"),
                                               ("where can i play badminton around here", "en")])
    staff = login("zhao_min")

    groups = staff.get("/api/questions").json()["groups"]

    assert [sorted(g["ids"]) for g in groups] == [sorted([bins, bins_again]), [courts]]
    reply = staff.post("/api/questions/answer", json={
        "ids": groups[0]["ids"], "zh": "分类桶在每栋楼北侧的垃圾亭。",
        "en": "The sorting bins are in the kiosk north of each building."})
    assert reply.json() == {"answered": 2, "notified": 2}
    with service.sessions() as session:
        told = session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.dedupe_key.like("question-answer:%"))).all()
    assert sorted(told) == sorted(["「垃圾分类的桶放在哪里」\n分类桶在每栋楼北侧的垃圾亭。",
                                   "「垃圾分类桶放哪儿了啊」\n分类桶在每栋楼北侧的垃圾亭。"])
    still_open = staff.get("/api/questions").json()["groups"]
    assert [g["ids"] for g in still_open] == [[courts]]
    page = staff.get("/questions", params={"status": "answered"})
    assert page.status_code == 200 and "垃圾分类的桶放在哪里" in page.text


def test_an_empty_answer_is_refused(service: ConversationService, login: Login) -> None:
    [question] = asked(service, [("老年卡怎么办", "zh")])
    operator = login("anna_op")
    refused = operator.post("/api/questions/answer", json={"ids": [question], "zh": " "})
    assert refused.status_code == 422
    assert operator.get("/api/questions").json()["groups"][0]["ids"] == [question]
