"""The console's FAQ page, over real HTTP on SQLite and PostgreSQL: operators list, edit,
retire, put back and delete entries, and the running bot answers from the change on the next
question, without a restart; every change is audited and only operators may make one."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.conversation import ConversationService
from store.models import AuditEntry
from tests.bot.test_dialogues import talker
from tests.console.conftest import Login

TIMES_ZH = "楼下桶站每天早 7:00–9:00"
NEW_TIMES_ZH = "从1月起桶站早 6:30–8:30、晚 18:30–20:30 开放。"
NEW_TIMES_EN = "From January the bin station opens 6:30–8:30 and 18:30–20:30."
KEYS_ZH = "配钥匙去菜市场门口的老刘修锁摊，早8点到晚6点。"
KEYS_EN = "Keys are cut at Lao Liu's lock stall by the market gate, 8am to 6pm."


def actions(service: ConversationService) -> list[tuple[str, str | None, str]]:
    with service.sessions() as session:
        return [(e.action, e.target, e.username) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("faq_%")).order_by(AuditEntry.id))]


def test_an_edited_file_entry_answers_at_once_and_undoing_it_brings_the_file_back(
        service: ConversationService, login: Login) -> None:
    resident = talker(service, "wang_aiyi")
    assert TIMES_ZH in "\n".join(resident("垃圾几点可以扔"))
    operator = login("anna_op")
    listed = {e["key"]: e for e in operator.get("/api/faq").json()["entries"]}
    assert listed["waste_drop_off_times"]["source"] == "file"

    saved = operator.put("/api/faq/waste_drop_off_times", json={
        "answer_zh": NEW_TIMES_ZH, "answer_en": NEW_TIMES_EN,
        "paraphrases": ["扔垃圾的钟点"]})

    assert saved.status_code == 200
    assert saved.json()["entry"]["source"] == "both"
    assert NEW_TIMES_ZH in "\n".join(resident("垃圾几点可以扔"))
    assert NEW_TIMES_EN in "\n".join(talker(service, "anna")("when can I take the rubbish out"))

    undone = operator.delete("/api/faq/waste_drop_off_times")

    assert undone.json()["done"] == "reverted"
    assert TIMES_ZH in "\n".join(resident("垃圾几点可以扔"))
    assert actions(service) == [("faq_saved", "waste_drop_off_times", "anna_op"),
                                ("faq_reverted", "waste_drop_off_times", "anna_op")]


def test_a_retired_entry_no_longer_answers_until_it_is_put_back(
        service: ConversationService, login: Login) -> None:
    resident = talker(service, "wang_aiyi")
    operator = login("sun_li")

    retired = operator.post("/api/faq/waste_drop_off_times/retire")

    assert retired.json()["entry"]["retired"] is True
    assert TIMES_ZH not in "\n".join(resident("垃圾几点可以扔"))
    page = operator.get("/faq")
    assert "waste_drop_off_times" in page.text and "已停用" in page.text

    operator.post("/api/faq/waste_drop_off_times/restore").raise_for_status()

    assert TIMES_ZH in "\n".join(resident("垃圾几点可以扔"))
    assert [a for a, _, _ in actions(service)] == ["faq_retired", "faq_restored"]


def test_an_entry_made_on_the_page_answers_and_is_gone_once_deleted(
        service: ConversationService, login: Login) -> None:
    resident = talker(service, "anna")
    assert KEYS_EN not in "\n".join(resident("where can I get a key cut"))
    operator = login("anna_op")
    csrf = operator.headers["X-CSRF-Token"]
    form = operator.get("/faq/new")
    assert 'name="key"' in form.text and 'name="answer_zh"' in form.text

    made = operator.post("/faq/new", data={
        "csrf": csrf, "key": "key_cutting", "question_zh": "小区哪里可以配钥匙",
        "question_en": "where can I get a key cut", "paraphrases": "配钥匙去哪儿\nkey cutting",
        "answer_zh": KEYS_ZH, "answer_en": KEYS_EN})

    assert made.status_code == 303
    assert made.headers["location"].endswith("/faq/key_cutting?m=saved")
    assert KEYS_EN in "\n".join(resident("where can I get a key cut"))
    assert KEYS_ZH in "\n".join(talker(service, "wang_aiyi")("配钥匙去哪儿"))
    shown = operator.get("/faq/key_cutting", params={"m": "saved"})
    assert "key cutting" in shown.text and "Saved: the next question" in shown.text

    again = operator.post("/faq/new", data={"csrf": csrf, "key": "key_cutting",
                                             "question_zh": "配钥匙", "answer_zh": "别处"})
    assert again.headers["location"].endswith("/faq/new?m=taken")
    gone = operator.post("/faq/key_cutting/delete", data={"csrf": csrf})

    assert gone.headers["location"].endswith("/faq?m=deleted")
    assert KEYS_EN not in "\n".join(resident("where can I get a key cut"))
    assert operator.get("/api/faq/key_cutting").status_code == 404


def test_a_new_entry_needs_a_question_and_an_answer(service: ConversationService,
                                                    login: Login) -> None:
    operator = login("anna_op")

    no_answer = operator.put("/api/faq/key_cutting", json={
        "question_zh": "小区哪里可以配钥匙", "new": True})
    bad_key = operator.put("/api/faq/key%20cutting", json={
        "question_zh": "小区哪里可以配钥匙", "answer_zh": KEYS_ZH, "new": True})

    assert no_answer.status_code == 422
    assert no_answer.json()["message"] == "A new entry needs at least one question and one answer."
    assert bad_key.status_code == 422
    assert operator.get("/api/faq/key_cutting").status_code == 404
    assert actions(service) == []


def test_user_text_is_escaped_on_the_page(service: ConversationService, login: Login) -> None:
    operator = login("anna_op")
    operator.put("/api/faq/tags", json={"question_en": "<b>bold</b> question",
                                        "answer_en": "<script>alert(1)</script>",
                                        "new": True}).raise_for_status()

    page = operator.get("/faq", params={"q": "bold"})

    assert "&lt;b&gt;bold&lt;/b&gt; question" in page.text and "<script>alert" not in page.text
    assert [e["key"] for e in operator.get("/api/faq", params={"q": "bold"}).json()[
        "entries"]] == ["tags"]


def test_only_operators_change_the_faq(service: ConversationService, login: Login,
                                       base_url: str) -> None:
    body = {"answer_zh": "乱改的回答"}
    assert httpx.put(f"{base_url}/console/api/faq/waste_drop_off_times",
                     json=body).status_code == 401
    staff = login("zhao_min")
    assert staff.put("/api/faq/waste_drop_off_times", json=body).status_code == 403
    assert staff.post("/api/faq/waste_drop_off_times/retire").status_code == 403
    no_csrf = login("anna_op")
    del no_csrf.headers["X-CSRF-Token"]
    assert no_csrf.post("/api/faq/waste_drop_off_times/retire").status_code == 403
    assert TIMES_ZH in "\n".join(talker(service, "wang_aiyi")("垃圾几点可以扔"))
    assert actions(service) == []
