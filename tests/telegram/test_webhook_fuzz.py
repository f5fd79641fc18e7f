"""Hypothesis against the Telegram webhook over real HTTP, with the secret: whatever the body
(bytes, any JSON, updates with fields of the wrong type, ids of any size, lone surrogates), the
answer is never a 5xx, and the bot goes on answering real updates afterwards."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.telegram.test_telegram import texts
from tests.telegram.test_webhook import (  # noqa: F401 — the served app's fixtures
    Served,
    emulator,
    served,
)

ANY_TEXT = st.text(max_size=30)  # lone surrogates included: JSON can carry them
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(ANY_TEXT, inner, max_size=4), max_leaves=12)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly (9 in 10) what Telegram sends, so that updates reach the handlers; sometimes
    not. (Hypothesis does not weigh ``one_of`` by repeating a branch.)"""
    return st.integers(0, 9).flatmap(lambda n: bad if n == 0 else good)


IDS = mostly(st.integers(min_value=-2**40, max_value=2**40),
             st.one_of(st.integers(), ANY_TEXT, st.none(), st.booleans()))
NAMES = mostly(ANY_TEXT, ANY_JSON)
WORDS = st.one_of(ANY_TEXT, ANY_JSON, st.sampled_from([
    "3栋停电了", "/queue", "/start g1", "/start e", "/help", "/accept BX-20261121-0001",
    "@linli_test_bot 着火了"]))
PERSON = st.fixed_dictionaries({"id": IDS, "is_bot": st.booleans(), "first_name": NAMES},
                               optional={"last_name": NAMES, "username": NAMES})
CHAT_TYPES = st.sampled_from(["private", "private", "group", "supergroup", "channel", "nonsense"])


@st.composite
def messages(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """A message; mostly its chat is the sender's own private chat, as Telegram's are."""
    sender = draw(PERSON)
    chat: dict[str, Any] = {"id": sender["id"] if draw(st.booleans()) else draw(IDS),
                            "type": draw(CHAT_TYPES)}
    if draw(st.booleans()):
        chat["title"] = draw(NAMES)
    message: dict[str, Any] = {"message_id": draw(IDS), "chat": chat,
                               "date": draw(mostly(st.integers(0, 2**31), SCALARS))}
    if draw(st.integers(0, 9)):
        message["from"] = sender
    message.update(draw(st.fixed_dictionaries({}, optional={
        "text": WORDS, "caption": WORDS,
        "entities": st.lists(st.fixed_dictionaries({
            "type": st.sampled_from(["bot_command", "mention", "bold"]),
            "offset": st.integers(-5, 40), "length": st.integers(-5, 40)}), max_size=2),
        "photo": mostly(st.lists(st.fixed_dictionaries({
            "file_id": ANY_TEXT, "file_unique_id": ANY_TEXT, "width": st.integers(0, 9999),
            "height": st.integers(0, 9999)}), min_size=1, max_size=2), ANY_JSON),
        "location": st.fixed_dictionaries({
            "latitude": mostly(st.floats(-90, 90), SCALARS),
            "longitude": mostly(st.floats(-180, 180), SCALARS)})})))
    if depth == 0 and draw(st.integers(0, 4)) == 0:
        message["reply_to_message"] = draw(messages(depth=1))
    return message


@st.composite
def callback_queries(draw: st.DrawFn) -> dict[str, Any]:
    """A button press: mostly on a message in the presser's own chat, its data Linli's shape."""
    query: dict[str, Any] = {"id": draw(ANY_TEXT), "from": draw(PERSON),
                             "chat_instance": draw(ANY_TEXT),
                             "data": draw(st.one_of(st.from_regex(r"b[0-9]{1,15}", fullmatch=True),
                                                    ANY_TEXT, ANY_JSON))}
    if draw(st.integers(0, 5)):
        message = draw(messages())
        if draw(st.booleans()):
            message["chat"] = {"id": query["from"]["id"], "type": "private"}
        query["message"] = message
    return query


UPDATES = st.fixed_dictionaries(
    {"update_id": mostly(st.integers(0, 2**31), IDS)},
    optional={"message": messages(), "edited_message": messages(),
              "callback_query": callback_queries(), "channel_post": ANY_JSON,
              "my_chat_member": ANY_JSON})
BODIES = mostly(UPDATES.map(lambda update: json.dumps(update).encode()),
                st.binary(max_size=200) | ANY_JSON.map(lambda value: json.dumps(value).encode()))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_no_webhook_body_gives_a_5xx_or_stops_the_bot(served: Served) -> None:  # noqa: F811
    statuses: set[int] = set()

    @settings(max_examples=100, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=BODIES)
    def post(body: bytes) -> None:
        reply = served.post(body)
        assert reply.status_code in (200, 400), (body, reply.status_code, reply.text)
        assert "Traceback" not in reply.text
        statuses.add(reply.status_code)

    post()
    assert statuses == {200, 400}  # both kinds of body were tried
    # The Application is still running and answers a real update, after whatever the fuzzed
    # ones queued ahead of it.
    assert served.application.running
    served.emulator.user_says(4343, "3栋停电了")
    served.emulator.wait_for(lambda: "BX-" in texts(served.emulator, 4343), timeout=120)
    started = time.monotonic()
    served.emulator.user_says(4344, "你好")
    served.emulator.wait_for(lambda: served.emulator.to(4344), timeout=30)
    assert time.monotonic() - started < 10  # nothing left stuck in the queue

