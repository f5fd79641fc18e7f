"""Residents' suggestions in the console (共谋), over real HTTP on SQLite and PostgreSQL:
neighbours back a suggestion in the chat, staff see it in the inbox with its supporters and
change its status with a public reply, and its author and supporters are told — each in
their language, once. Staff and admins only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from bot.conversation import ConversationService
from store import suggestions
from store.database import transaction
from store.models import AuditEntry, OutboxMessage, Person, Suggestion
from store.privacy import export, find_person
from tests.bot.test_dialogues import NOW, talker
from tests.console.conftest import Login

IDEA = "建议在3号楼和5号楼之间加装几盏路灯，晚上太黑了<b>老人</b>走路不安全"


def suggested(service: ConversationService, who: str = "wang_aiyi", text: str = IDEA) -> int:
    with transaction(service.sessions) as session:
        person = find_person(session, who)
        assert person is not None
        suggestion = Suggestion(community_id=person.community_id, person_id=person.id,
                                text=text, language="zh", created_at=NOW)
        session.add(suggestion)
        session.flush()
        return suggestion.id


def said(service: ConversationService, who: str, text: str) -> str:
    return "\n".join(talker(service, who)(text))


def told(service: ConversationService, suggestion: int) -> dict[str, str]:
    with service.sessions() as session:
        rows = session.execute(select(Person.name, OutboxMessage.text).join(
            Person, OutboxMessage.person_id == Person.id).where(
            OutboxMessage.dedupe_key.startswith(f"suggestion:{suggestion}:"))
            .order_by(OutboxMessage.id)).all()
    return {name: text for name, text in rows}


def test_residents_back_a_suggestion_in_the_chat(service: ConversationService) -> None:
    idea = suggested(service)
    assert "目前共有 1 位邻居附议" in said(service, "li_shushu", f"/support {idea}")
    assert "2 neighbours in all" in said(service, "anna", f'/support{{"suggestion": "{idea}"}}')
    assert "已经附议过了" in said(service, "li_shushu", f"/support {idea}")
    assert "已经附议过了" in said(service, "wang_aiyi", f"/support {idea}")  # her own
    assert "没有找到这条建议" in said(service, "li_shushu", "/support 9999")
    with service.sessions() as session:
        backed = session.get(Suggestion, idea)
        assert backed is not None and suggestions.supporters(session, backed) == 2
        shushu = find_person(session, "li_shushu")
        assert shushu is not None
        assert [s["text"] for s in export(session, shushu, NOW)["supported_suggestions"]] \
            == [IDEA]


def test_a_status_change_tells_the_author_and_supporters(service: ConversationService,
                                                         login: Login) -> None:
    idea = suggested(service)
    other = suggested(service, "he_dama", "希望社区开个老年食堂")
    said(service, "li_shushu", f"/support {idea}")
    said(service, "anna", f"/support {idea}")
    staff = login("zhao_min")

    inbox = staff.get("/api/suggestions", params={"status": "new"}).json()
    assert [(i["id"], i["supporters"], i["author"]) for i in inbox["items"]] == [
        (other, 0, "何大妈"), (idea, 2, "王阿姨")]
    assert inbox["counts"] == {"new": 2, "discussing": 0, "adopted": 0, "declined": 0}
    opened = staff.get(f"/api/suggestions/{idea}").json()
    assert opened["supporter_names"] == ["李叔叔", "Anna Smith"]

    reply = "居委会已联系物业，下周一前在两栋楼之间加装4盏路灯。"
    changed = staff.post(f"/api/suggestions/{idea}/status",
                         json={"status": "adopted", "reply": reply})
    assert changed.json() == {"status": "adopted", "reply": reply, "told": 3}
    messages = told(service, idea)
    assert sorted(messages) == ["Anna Smith", "李叔叔", "王阿姨"]
    assert "已采纳" in messages["王阿姨"] and reply in messages["王阿姨"]
    assert "adopted" in messages["Anna Smith"].lower() and reply in messages["Anna Smith"]

    again = staff.post(f"/api/suggestions/{idea}/status",
                       json={"status": "adopted", "reply": reply})
    assert again.json()["told"] == 0 and len(told(service, idea)) == 3
    assert [i["id"] for i in staff.get("/api/suggestions", params={
        "status": "adopted"}).json()["items"]] == [idea]
    with service.sessions() as session:
        entry = session.scalar(select(AuditEntry).where(
            AuditEntry.action == "suggestion_status").order_by(AuditEntry.id))
        assert entry is not None and entry.username == "zhao_min"
        assert entry.details == {"from": "new", "to": "adopted", "reply": reply, "told": 3}


def test_the_inbox_pages_decide_and_escape(service: ConversationService,
                                           login: Login) -> None:
    idea = suggested(service)
    said(service, "li_shushu", f"/support {idea}")
    staff = login("zhao_min")
    inbox = staff.get("/suggestions", params={"status": "new"})
    assert inbox.status_code == 200 and "&lt;b&gt;老人&lt;/b&gt;" in inbox.text
    assert "<b>老人</b>" not in inbox.text
    page = staff.post(f"/suggestions/{idea}/status",
                      data={"status": "discussing", "reply": "下周居民议事会讨论。"},
                      follow_redirects=True)
    assert page.status_code == 200 and "2 位居民收到了通知" in page.text
    assert "讨论中" in page.text and "李叔叔" in page.text
    assert "下周居民议事会讨论。" in told(service, idea)["李叔叔"]
    assert staff.post(f"/api/suggestions/{idea}/status",
                      json={"status": "maybe"}).status_code == 422
    assert staff.get("/api/suggestions", params={"status": "maybe"}).status_code == 422
    assert staff.get("/api/suggestions/9999").status_code == 404


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/suggestions"), ("GET", "/api/suggestions/1"),
    ("POST", "/api/suggestions/1/status")])
def test_only_staff_and_admins_decide(service: ConversationService, login: Login,
                                      base_url: str, method: str, path: str) -> None:
    idea = suggested(service)
    path = path.replace("/1", f"/{idea}")
    body = {"status": "declined", "reply": "经费不足，暂不采纳。"}
    with httpx.Client(base_url=f"{base_url}/console") as stranger:
        assert stranger.request(method, path, json=body).status_code == 401
        assert stranger.get("/suggestions").status_code == 303
    assert login("anna_op").request(method, path, json=body).status_code == 403
    assert login("admin_a").request(method, path, json=body).status_code == 200
    assert login("zhao_min").request(method, path, json=body).status_code == 200
