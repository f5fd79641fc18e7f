"""Unanswered questions in the console, over real HTTP on SQLite and PostgreSQL: similar ones
grouped, one answer reaches every resident who asked, answered ones leave the open list."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.conversation import ConversationService
from store.database import transaction
from store.models import AuditEntry, ChatIdentity, OutboxMessage, Person, Question
from tests.bot.test_dialogues import NOW, talker
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


KEYS_ZH = "配钥匙去菜市场门口的老刘修锁摊，早8点到晚6点，一把十块。"
KEYS_EN = "Keys are cut at Lao Liu's lock stall by the market gate, 8am-6pm, 10 yuan a key."


def test_an_answer_saved_as_faq_answers_the_next_resident_at_once(
        service: ConversationService, login: Login) -> None:
    newcomer = talker(service, "anna")
    before = "\n".join(newcomer("配钥匙去哪儿配"))
    assert KEYS_EN not in before and KEYS_ZH not in before
    first, second = asked(service, [("小区哪里可以配钥匙", "zh"),
                                    ("小区哪里能配钥匙啊", "zh")])
    staff = login("zhao_min")
    [group] = [g for g in staff.get("/api/questions").json()["groups"] if first in g["ids"]]
    assert sorted(group["ids"]) == sorted([first, second])

    reply = staff.post("/api/questions/answer", json={
        "ids": group["ids"], "zh": KEYS_ZH, "en": KEYS_EN, "faq": "new",
        "faq_key": "keys"})

    assert reply.json() == {"answered": 2, "notified": 2}
    with service.sessions() as session:
        told = session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.dedupe_key.like("question-answer:%"))).all()
    assert sorted(told) == sorted([f"「小区哪里可以配钥匙」\n{KEYS_ZH}",
                                   f"「小区哪里能配钥匙啊」\n{KEYS_ZH}"])
    # the same running service, nothing restarted: a resident who never asked gets it now
    assert KEYS_ZH in "\n".join(newcomer("钥匙丢了哪里能配一把"))
    with service.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "answer_questions")).one()
    assert entry.username == "zhao_min" and entry.details is not None
    assert entry.details["faq"] == "keys" and entry.details["faq_new"] is True


def test_a_question_added_to_an_entry_answers_its_phrasing(service: ConversationService,
                                                           login: Login) -> None:
    [first] = asked(service, [("小区哪里可以配钥匙", "zh")])
    operator = login("anna_op")
    operator.post("/api/questions/answer", json={
        "ids": [first], "zh": KEYS_ZH, "en": KEYS_EN, "faq": "new",
        "faq_key": "keys"}).raise_for_status()
    [english] = asked(service, [("where can i get a key cut", "en")])
    taken = operator.post("/api/questions/answer", json={
        "ids": [english], "en": "see above", "faq": "new", "faq_key": "keys"})
    assert taken.status_code == 409

    added = operator.post("/api/questions/answer", json={
        "ids": [english], "en": KEYS_EN, "faq": "extend", "faq_key": "keys"})

    assert added.json() == {"answered": 1, "notified": 1}
    assert KEYS_EN in "\n".join(talker(service, "anna")("where do i get keys cut?"))


def test_only_staff_and_operators_save_answers(service: ConversationService, login: Login,
                                              base_url: str) -> None:
    [question] = asked(service, [("小区哪里可以配钥匙", "zh")])
    body = {"ids": [question], "zh": KEYS_ZH, "faq": "new"}
    assert httpx.post(f"{base_url}/console/api/questions/answer", json=body).status_code == 401
    assert login("admin_a").post("/api/questions/answer", json=body).status_code == 403
    assert KEYS_ZH not in "\n".join(talker(service, "anna")("钥匙丢了哪里能配一把"))


def test_the_page_asks_for_the_key_of_the_entry_to_add_to(service: ConversationService,
                                                          login: Login) -> None:
    [question] = asked(service, [("小区哪里可以配钥匙", "zh")])
    operator = login("anna_op")
    page = operator.get("/questions")
    assert 'name="faq"' in page.text and 'name="faq_key"' in page.text

    sent = operator.post("/questions/answer", data={
        "ids": str(question), "zh": KEYS_ZH, "faq": "extend", "faq_key": " ",
        "csrf": operator.headers["X-CSRF-Token"]})

    assert sent.status_code == 303 and sent.headers["location"].endswith("m=nokey")
    shown = operator.get("/questions", params={"m": "nokey"})
    assert "Give the key of the entry to add to." in shown.text
    assert operator.get("/api/questions").json()["groups"][0]["ids"] == [question]
