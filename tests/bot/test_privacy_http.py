"""Data rights over real HTTP: a REST resident's export is a link to a JSON download, and
after erasure the same sender is someone new."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from store import media
from store.database import transaction
from tests.bot.test_dialogues import service  # noqa: F401 — the wired service fixture
from tests.bot.test_rest import base_url  # noqa: F401 — the served app


def say(base: str, sender: str, text: str) -> str:
    response = httpx.post(f"{base}/webhooks/rest/webhook",
                          json={"sender": sender, "message": text}, timeout=30)
    assert response.status_code == 200, response.text
    return "\n".join(reply["text"] for reply in response.json())


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_export_link_downloads_the_residents_json(
        base_url: str, sessions: sessionmaker[Session]) -> None:  # noqa: F811
    say(base_url, "r-1", "你好")
    said = say(base_url, "r-1", "export my data")
    link = re.search(r"/media/[\w-]+", said)
    assert link is not None, said
    download = httpx.get(base_url + link.group(0))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json; charset=utf-8"
    assert download.headers["content-disposition"] == 'attachment; filename="linli-data.json"'
    assert download.headers["cache-control"] == "private, no-store"
    document = json.loads(download.content.decode("utf-8"))
    assert document["identities"] == [{"channel": "rest", "id": "r-1"}]
    said_and_answered = [m["text"] for m in document["messages"]]
    assert said_and_answered[0] == "你好" and said_and_answered[-1] == "export my data"
    assert len(said_and_answered) == 3  # with the greeting in between
    # A day later the link is gone.
    with transaction(sessions) as session:
        stored = media.load(session, link.group(0).removeprefix("/media/"))
        assert stored is not None
        stored.created_at -= dt.timedelta(hours=25)
    assert httpx.get(base_url + link.group(0)).status_code == 404
    assert httpx.get(f"{base_url}/media/not-a-token").status_code == 404


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_after_erasure_the_sender_starts_afresh(base_url: str) -> None:  # noqa: F811
    assert "Erase your personal data?" in say(base_url, "r-2", "please delete my data")
    assert "Done. I've erased" in say(base_url, "r-2", "yes")
    said = say(base_url, "r-2", "export my data")
    link = re.search(r"/media/[\w-]+", said)
    assert link is not None
    document = json.loads(httpx.get(base_url + link.group(0)).content)
    # Someone new: only the one message they just sent.
    assert [m["text"] for m in document["messages"]] == ["export my data"]
