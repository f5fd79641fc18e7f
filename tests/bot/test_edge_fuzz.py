"""Whatever JSON a client sends, the REST channel and /model/parse never answer 5xx, and every
message they accept is stored (hypothesis, over real HTTP, on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.auth import Access
from bot.conversation import ConversationService
from bot.edge import clean_id
from bot.limits import Limits, NewcomerCap, TokenBucket
from bot.rest import create_app
from nlu.pipeline import NluPipeline
from store.models import Direction, TranscriptMessage
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import post_raw, serving

#: Any character, lone surrogates and NUL included (hypothesis leaves surrogates out by default).
CHARACTERS = st.characters() | st.characters(categories=["Cs"]) | st.sampled_from(
    ["\x00", "\ufffd", "🙂", "\u202e", "\n"])
TEXTS = st.text(CHARACTERS, max_size=120)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False,
                                                          allow_infinity=False) | TEXTS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXTS, inner, max_size=4),
    max_leaves=8)
IDS = TEXTS | st.integers() | st.text("x", min_size=95, max_size=105)
REST_BODIES = JSON | st.fixed_dictionaries(
    {"sender": IDS | JSON},
    optional={"message": TEXTS | JSON, "message_id": IDS | JSON, "metadata": JSON})
PARSE_BODIES = JSON | st.fixed_dictionaries({"text": TEXTS | JSON})
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture
def url(service: ConversationService, pipeline: NluPipeline) -> Iterator[str]:  # noqa: F811
    """Open and unlimited: the fuzzer is one client sending many senders' messages."""
    edge = Limits(TokenBucket(0), TokenBucket(0), NewcomerCap(0))
    with serving(create_app(service, pipeline, access=Access(), limits=edge)) as base:
        yield base


def sender_as_stored(sender: Any) -> str:
    """The chat id an accepted body's sender is stored under."""
    if isinstance(sender, float):
        return str(int(sender))
    return clean_id(sender, "sender")


@FUZZ
@given(body=REST_BODIES)
def test_the_rest_channel_stores_what_it_accepts(url: str, sessions: sessionmaker[Session],
                                                 body: Any) -> None:
    reply = post_raw(f"{url}/webhooks/rest/webhook", body, timeout=30)
    assert reply.status_code < 500, reply.text
    if reply.status_code != 200:
        assert reply.status_code == 422
        return
    chat_id = sender_as_stored(body["sender"])
    assert all(message["recipient_id"] == chat_id for message in reply.json())
    with sessions() as session:
        assert session.scalar(select(TranscriptMessage.id).where(
            TranscriptMessage.channel == "rest", TranscriptMessage.chat_id == chat_id,
            TranscriptMessage.direction == Direction.IN).limit(1)) is not None


@FUZZ
@given(body=PARSE_BODIES)
def test_model_parse_answers_any_body(url: str, body: Any) -> None:
    reply = post_raw(f"{url}/model/parse", body, timeout=30)
    assert reply.status_code in (200, 422), reply.text
    if reply.status_code == 200:
        assert reply.json()["intent"]["name"]


def test_a_body_that_is_not_json_is_refused_cleanly(url: str) -> None:
    for path in ("/webhooks/rest/webhook", "/model/parse"):
        reply = httpx.post(url + path, content=b'{"sender": "a", "message": "\xff\xfe"}',
                           headers={"Content-Type": "application/json"})
        assert 400 <= reply.status_code < 500 and "Traceback" not in reply.text
