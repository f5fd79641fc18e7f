"""The operators' JSON API over real HTTP on SQLite and PostgreSQL: searching the transcript,
a conversation's timeline, corrections (one, many), the review queue, and who may do what."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.corrections import latest_corrections
from store.models import AuditEntry, Correction, TranscriptMessage
from tests.console.conftest import Login


def say(base_url: str, sender: str, text: str) -> list[str]:
    reply = httpx.post(f"{base_url}/webhooks/rest/webhook",
                       json={"sender": sender, "message": text}, timeout=30)
    assert reply.status_code == 200, reply.text
    return [m["text"] for m in reply.json()]


def inbound(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    reply = client.get("/api/messages", params={"direction": "in", **params})
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def test_search_masks_phone_numbers_and_pages_with_a_cursor(base_url: str,
                                                           login: Login) -> None:
    say(base_url, "r1", "3栋电梯坏了，我电话13812345678")
    for text in ("你好", "今天天气怎么样", "谢谢"):
        say(base_url, "r2", text)
    client = login("sun_li")
    found = inbound(client, q="电梯")
    assert len(found) == 1
    assert "13812345678" not in str(found[0]) and "138****5678" in str(found[0]["text"])
    phones = [e for e in found[0]["entities"] if e["entity"] == "phone"]
    assert phones and phones[0]["value"] == "138****5678"

    first = client.get("/api/messages", params={"direction": "in", "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next"]
    second = client.get("/api/messages", params={"direction": "in", "limit": 2,
                                                 "next": first["next"]}).json()
    ids = [m["id"] for m in first["items"] + second["items"]]
    assert len(set(ids)) == 4 and ids == sorted(ids, reverse=True)
    assert second["next"] is None
    assert {m["text"] for m in inbound(client, intent="greet")} == {"你好"}
    assert client.get("/api/messages", params={"next": "garbage"}).status_code == 422


def test_a_conversation_shows_replies_flow_and_the_ticket_it_opened(base_url: str,
                                                                   login: Login) -> None:
    say(base_url, "r3", "12号楼1单元302卫生间下水道堵了")
    client = login("sun_li")
    message = inbound(client, q="下水道")[0]
    shown = client.get(f"/api/messages/{message['id']}").json()
    current = shown["message"]
    assert current["intent"] == "report_repair" and current["flow"] == "report_repair"
    assert current["tickets"] and current["tickets"][0]["number"].startswith("BX-")
    replies = [m for m in shown["conversation"] if m["direction"] == "out"]
    assert replies and replies[0]["reply_to"] == message["id"]
    assert client.get("/api/messages/999999").status_code == 404


def test_the_timeline_shows_the_step_each_message_left_the_flow_at(
        base_url: str, login: Login) -> None:
    say(base_url, "r5", "卫生间下水道堵了")
    say(base_url, "r5", "12号楼1单元302")
    say(base_url, "r5", "王芳 13812345678")
    client = login("sun_li")
    said = [inbound(client, q=words)[0]["id"] for words in ("下水道", "302", "王芳")]
    shown = client.get(f"/api/messages/{said[-1]}").json()
    steps = {m["id"]: (m["flow"], m["step"]) for m in shown["conversation"]}
    # The answers' own intents start no flow: what each did is recorded, not guessed.
    assert [steps[number] for number in said] == [
        ("report_repair", "building"), ("report_repair", "contact"), ("report_repair", "done")]
    page = client.get(f"/messages/{said[0]}").text
    assert "report_repair · building" in page and "report_repair · 已完成" in page


def test_a_correction_is_its_own_row_with_normalised_values(
        base_url: str, login: Login, sessions_of: sessionmaker[Session]) -> None:
    say(base_url, "r4", "三号楼那个灯一直闪")
    client = login("sun_li")
    message = inbound(client, q="三号楼")[0]
    with sessions_of() as session:
        stored = session.get(TranscriptMessage, message["id"])
        assert stored is not None
        parse_before = dict(stored.parse or {})
    reply = client.post(f"/api/messages/{message['id']}/correction", json={
        "intent": "report_repair",
        "entities": [{"entity": "building", "start": 0, "end": 3},
                     {"entity": "category", "value": "lighting"}]})
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert made["author"] == "sun_li" and made["previous_intent"] == message["intent"]
    assert [(e["entity"], e["value"]) for e in made["entities"]] == [
        ("building", "3"), ("category", "lighting")]
    bad = client.post(f"/api/messages/{message['id']}/correction",
                      json={"intent": "report_repair",
                            "entities": [{"entity": "building", "start": 5, "end": 50}]})
    assert bad.status_code == 422
    assert client.post(f"/api/messages/{message['id']}/correction",
                       json={"intent": "no_such_intent"}).status_code == 422

    with sessions_of() as session:
        stored = session.get(TranscriptMessage, message["id"])
        assert stored is not None and stored.parse == parse_before  # never changed
        training = latest_corrections(session)
        audited = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "correction")).all()
    assert [(c.text, c.intent) for c in training] == [("三号楼那个灯一直闪", "report_repair")]
    assert training[0].entities[0] == {"entity": "building", "value": "3", "start": 0, "end": 3}
    assert [(a.username, a.target) for a in audited] == [("sun_li", f"message:{message['id']}")]
    listed = inbound(client, q="三号楼")[0]
    assert listed["correction"]["intent"] == "report_repair"


def test_staff_cannot_correct_and_the_refusal_is_logged(
        base_url: str, login: Login, sessions_of: sessionmaker[Session]) -> None:
    say(base_url, "r5", "你好")
    operator = login("sun_li")
    message = inbound(operator)[0]
    staff = login("zhao_min")
    assert staff.get("/api/messages").status_code == 403
    refused = staff.post(f"/api/messages/{message['id']}/correction",
                         json={"intent": "greet"})
    assert refused.status_code == 403
    with sessions_of() as session:
        assert session.scalar(select(Correction.id)) is None
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "refused")).all()
    assert [e.username for e in entries] == ["zhao_min", "zhao_min"]
    assert entries[1].target == f"POST /console/api/messages/{message['id']}/correction"


def test_an_unsafe_request_without_the_csrf_token_is_refused(base_url: str,
                                                             login: Login) -> None:
    say(base_url, "r6", "你好")
    client = login("sun_li")
    message = inbound(client)[0]
    del client.headers["X-CSRF-Token"]
    assert client.post(f"/api/messages/{message['id']}/correction",
                       json={"intent": "greet"}).status_code == 403
    client.headers["X-CSRF-Token"] = "not-the-token"
    assert client.post(f"/api/messages/{message['id']}/correction",
                       json={"intent": "greet"}).status_code == 403


def test_bulk_correction_asks_first_then_corrects_every_message(
        base_url: str, login: Login, sessions_of: sessionmaker[Session]) -> None:
    for text in ("今天天气怎么样", "推荐一部电影", "股票会涨吗"):
        say(base_url, "r7", text)
    client = login("sun_li")
    ids = [m["id"] for m in inbound(client, chat="r7")]
    outbound = client.get("/api/messages", params={"direction": "out", "chat": "r7"}).json()
    body = {"ids": [*ids, outbound["items"][0]["id"]], "intent": "out_of_scope"}
    asked = client.post("/api/corrections/bulk", json=body).json()
    assert asked["count"] == 3 and asked["corrected"] is False  # a reply is never corrected
    with sessions_of() as session:
        assert session.scalar(select(Correction.id)) is None
    done = client.post("/api/corrections/bulk", json={**body, "confirm": True}).json()
    assert done["count"] == 3 and done["corrected"] is True
    with sessions_of() as session:
        assert sorted(c.message_id for c in latest_corrections(session)) == sorted(ids)
        assert len(session.scalars(select(AuditEntry).where(
            AuditEntry.action == "bulk_correction")).all()) == 3


def test_the_review_queue_puts_the_least_sure_first_and_drops_corrected_ones(
        base_url: str, login: Login) -> None:
    for text in ("你好", "3栋电梯坏了", "嗯那个东西", "xyz 123 ok?", "帮我看看这个"):
        say(base_url, "r8", text)
    client = login("sun_li")
    queue = client.get("/api/review").json()["items"]
    assert queue, "unsure messages are queued"
    scores = [item["score"] for item in queue]
    assert scores == sorted(scores, reverse=True)
    # A message less sure on both counts (confidence, top-two margin) ranks lower only when
    # the other sits near the out-of-scope threshold.
    for higher, lower in itertools.pairwise(queue):
        assert "near_out_of_scope" in higher["reasons"] or not (
                    lower["confidence"] < higher["confidence"]
                    and (lower["margin"] or 0) < (higher["margin"] or 0))
    assert all(item["confidence"] < 0.9 for item in queue)
    top = queue[0]["id"]
    client.post(f"/api/messages/{top}/correction", json={"intent": "out_of_scope"})
    after = client.get("/api/review").json()["items"]
    assert top not in [item["id"] for item in after]

    # The same words said again, still read the old way: a pending correction goes first.
    unsure = next(item for item in after if item["intent"] != "make_suggestion")
    client.post(f"/api/messages/{unsure['id']}/correction", json={"intent": "make_suggestion"})
    say(base_url, "r9", unsure["text"])
    again = client.get("/api/review").json()["items"][0]
    assert again["text"] == unsure["text"] and again["id"] != unsure["id"]
    assert "correction_pending" in again["reasons"]
