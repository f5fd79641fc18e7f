"""console/live.py: a page's event stream follows the database, whichever process changes it,
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from console.live import frame, stream
from store import accounts
from store.database import transaction
from store.models import ConsoleUser
from tests.bot.test_rest import serving

NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)


def worker(sessions: sessionmaker[Session]) -> FastAPI:
    """One process of the service: its stream reads the shared database."""
    app = FastAPI()

    def snapshot() -> dict[str, Any]:
        with sessions() as session:
            return {"accounts": session.scalar(select(func.count()).select_from(ConsoleUser))}

    @app.get("/live")
    async def live(request: Request) -> StreamingResponse:
        return stream(request, snapshot, interval=0.05, event="accounts")

    return app


def events(url: str, wanted: int, seen: list[dict[str, Any]]) -> None:
    """Read ``wanted`` events from ``url`` into ``seen``, then hang up."""
    with httpx.stream("GET", url, timeout=20) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in reply.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                assert kind == "accounts"
                seen.append(json.loads(line.removeprefix("data: ")))
                if len(seen) == wanted:
                    return


def follow(url: str, wanted: int) -> tuple[threading.Thread, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []
    thread = threading.Thread(target=events, args=(url, wanted, seen), daemon=True)
    thread.start()
    return thread, seen


def wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "nothing came"
        time.sleep(0.02)


def test_every_worker_pushes_a_change_made_anywhere(sessions: sessionmaker[Session]) -> None:
    with serving(worker(sessions)) as first, serving(worker(sessions)) as second:
        readers = [follow(f"{url}/live", 3) for url in (first, second)]
        wait_until(lambda: all(seen for _, seen in readers))  # the state as it is, at once
        for number, name in enumerate(("amy", "bo"), start=1):
            with transaction(sessions) as session:
                accounts.add_user(session, name, "a long password", ["staff"], NOW)
            wait_until(lambda n=number: all(len(seen) > n for _, seen in readers))
        for thread, seen in readers:
            thread.join(timeout=10)
            # one event per change, none while nothing changed
            assert seen == [{"accounts": 0}, {"accounts": 1}, {"accounts": 2}]


def test_an_event_is_one_data_line_whatever_the_text() -> None:
    sent = frame({"text": "第一行\n<script>\r\nsecond"}, "board", 7)
    lines = sent.split("\n")
    assert lines[:2] == ["id: 7", "event: board"] and sent.endswith("\n\n")
    assert json.loads(lines[2].removeprefix("data: ")) == {"text": "第一行\n<script>\r\nsecond"}
    assert len([line for line in lines if line]) == 3


def test_a_stream_ends_after_its_lifetime_and_the_browser_reconnects() -> None:
    app = FastAPI()

    @app.get("/live")
    async def live(request: Request) -> StreamingResponse:
        return stream(request, lambda: {"n": 1}, interval=0.05, lifetime=0.3)

    with serving(app) as url:
        started = time.monotonic()
        body = httpx.get(f"{url}/live", timeout=10).text
    assert time.monotonic() - started < 5
    assert body.startswith("retry: ") and body.count("event: change") == 1
