"""Live pages: Server-Sent Events that push a snapshot of the database whenever it changes.

A page opens ``EventSource(url)``; the route answers ``stream(request, snapshot)``. Every
``interval`` seconds the snapshot is read again (in a worker thread when it is a plain
function, so the event loop never waits on the database) and sent as one event when it differs
from the last one sent. The state lives in the database, not in the process: under several
workers each stream reads the same rows, so every open page sees every change, whichever
worker made it.

A stream ends when the client goes away, and after ``lifetime`` at the latest: the browser's
``EventSource`` reconnects by itself (after ``retry``), so no connection lives for ever behind
a proxy or holds a worker in a graceful shutdown. A comment line every ``heartbeat`` seconds
keeps proxies from closing a quiet stream and finds a vanished client.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, cast

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

#: What a stream sends: a JSON-able mapping, read by a plain or an async function.
Snapshot = Callable[[], Mapping[str, Any]] | Callable[[], Awaitable[Mapping[str, Any]]]

HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no",  # nginx: do not buffer
           "X-Content-Type-Options": "nosniff"}


def frame(data: Mapping[str, Any], event: str, number: int) -> str:
    """One Server-Sent Event; JSON never holds a raw newline, so ``data`` is one line."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {number}\nevent: {event}\ndata: {body}\n\n"


async def _read(snapshot: Snapshot) -> Mapping[str, Any]:
    if inspect.iscoroutinefunction(snapshot):
        result: Mapping[str, Any] = await snapshot()
        return result
    value = await run_in_threadpool(snapshot)
    if inspect.isawaitable(value):  # a lambda returning a coroutine
        value = await value
    return cast(Mapping[str, Any], value)


async def changes(request: Request, snapshot: Snapshot, *, interval: float = 2.0,
                  event: str = "change", heartbeat: float = 15.0, lifetime: float = 300.0,
                  retry_ms: int = 3000) -> AsyncIterator[str]:
    """The event stream's text: the first snapshot at once, then each one that differs."""
    yield f"retry: {retry_ms}\n\n"
    last: str | None = None
    number = 0
    started = quiet_since = time.monotonic()
    while time.monotonic() - started < lifetime:
        if await request.is_disconnected():
            return
        try:
            data = await _read(snapshot)
        except Exception:
            # A database blip must not end the page's stream: try again next time round.
            log.exception("live %s: reading the snapshot failed", request.url.path)
        else:
            marked = json.dumps(data, sort_keys=True, default=str)
            if marked != last:
                last, number = marked, number + 1
                quiet_since = time.monotonic()
                yield frame(data, event, number)
        if time.monotonic() - quiet_since >= heartbeat:
            quiet_since = time.monotonic()
            yield ": still here\n\n"
        await asyncio.sleep(interval)


def stream(request: Request, snapshot: Snapshot, *, interval: float = 2.0,
           event: str = "change", heartbeat: float = 15.0,
           lifetime: float = 300.0) -> StreamingResponse:
    """A ``text/event-stream`` response pushing ``snapshot`` whenever it changes."""
    return StreamingResponse(changes(request, snapshot, interval=interval, event=event,
                                     heartbeat=heartbeat, lifetime=lifetime),
                             media_type="text/event-stream", headers=HEADERS)
