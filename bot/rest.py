"""HTTP: Rasa's REST channel, /model/parse, health, metrics, and the web chat (bot/webchat.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from pydantic import BaseModel, Field
from sqlalchemy import text

from bot.conversation import ConversationService, Incoming, Parser
from bot.webchat import SessionSigner, WebChat
from store.media import load as load_media

if TYPE_CHECKING:
    from bot.scheduler.engine import Scheduler

log = logging.getLogger(__name__)


class RestMessage(BaseModel):
    """Rasa REST channel input; ``message_id`` (optional) makes retries harmless."""

    sender: str | int
    message: str | None = ""
    message_id: str | None = None
    metadata: dict[str, Any] | None = None


class ParseRequest(BaseModel):
    text: str = Field(max_length=100_000)


class Metrics:
    """A few counters in Prometheus text format."""

    def __init__(self, scheduler: Scheduler | None = None) -> None:
        self.messages = 0
        self.turn_seconds = 0.0
        self.parses = 0
        self.scheduler = scheduler

    def render(self) -> str:
        scheduler = [] if self.scheduler is None else [
            "# HELP linli_scheduler_leader 1 if this process runs the scheduled jobs.",
            "# TYPE linli_scheduler_leader gauge",
            f"linli_scheduler_leader {int(self.scheduler.leader)}",
            "# HELP linli_scheduler_sweeps_total Sweeps for due work done by this process.",
            "# TYPE linli_scheduler_sweeps_total counter",
            f"linli_scheduler_sweeps_total {self.scheduler.sweeps}",
        ]
        return "\n".join([*scheduler,
            "# HELP linli_messages_total Messages answered on the REST channel.",
            "# TYPE linli_messages_total counter", f"linli_messages_total {self.messages}",
            "# HELP linli_turn_seconds_sum Time spent answering them.",
            "# TYPE linli_turn_seconds_sum counter", f"linli_turn_seconds_sum {self.turn_seconds}",
            "# HELP linli_parse_total Calls to /model/parse.",
            "# TYPE linli_parse_total counter", f"linli_parse_total {self.parses}",
        ]) + "\n"


async def _replay_forever(service: ConversationService, interval: float = 5.0) -> None:
    """Answer messages spooled while the database was down, once it is back."""
    while True:
        await asyncio.sleep(interval)
        try:
            await service.replay_spooled()
        except Exception:
            log.exception("replaying spooled messages failed")


def app_from_settings() -> FastAPI:
    """Factory for ``uvicorn --factory`` (each worker process wires its own service)."""
    from actions.runtime import current as current_runtime
    from bot.settings import Settings
    from bot.wiring import build_scheduler, build_webchat, prepare

    settings = Settings()
    pipeline, service = prepare(settings, lambda message: log.info("%s", message))
    # Telegram runs in the first process only; every worker runs a scheduler, and the lease
    # lets one of them work at a time. Each worker pushes to the web pages connected to it.
    return create_app(service, pipeline, scheduler=build_scheduler(current_runtime()),
                      webchat=build_webchat(settings, service))


def create_app(service: ConversationService, nlu: Parser,
               background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
               telegram_webhook: tuple[Any, str | None] | None = None,
               scheduler: Scheduler | None = None,
               webchat: WebChat | None = None) -> FastAPI:
    """The HTTP application over an already wired conversation service; ``background``, the
    scheduler and the web chat's pushes run while it serves. Without ``webchat`` the web chat
    signs its sessions with a key of this process alone (tests; ``linli serve`` passes one
    that lasts)."""
    webchat = webchat or WebChat(service, SessionSigner(secrets.token_bytes(32)))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_replay_forever(service)),
                 asyncio.create_task(webchat.deliver_forever())]
        if scheduler is not None:
            tasks.append(asyncio.create_task(scheduler.run()))
        tasks += [asyncio.create_task(job()) for job in background]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(title="Linli", docs_url=None, redoc_url=None, lifespan=lifespan)
    metrics = Metrics(scheduler)

    @app.post("/webhooks/rest/webhook")
    async def rest_webhook(body: RestMessage) -> list[dict[str, Any]]:
        """Rasa's REST channel: one message in, the bot's messages out."""
        started = time.perf_counter()
        sender = str(body.sender)
        replies = await service.handle(Incoming("rest", sender, sender, body.message or "",
                                                message_id=body.message_id))
        metrics.messages += 1
        metrics.turn_seconds += time.perf_counter() - started
        return [{"recipient_id": sender, **reply} for reply in replies]

    @app.post("/model/parse")
    async def model_parse(body: ParseRequest) -> dict[str, Any]:
        """The NLU parse of a text, as Rasa's /model/parse returns it."""
        metrics.parses += 1
        return nlu.parse(body.text)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            with service.sessions() as session:
                session.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "degraded", "database": "unavailable"},
                                status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/metrics")
    async def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    if telegram_webhook is not None:
        application, secret = telegram_webhook

        @app.post("/telegram/webhook")
        async def telegram_update(request: Request) -> JSONResponse:
            """Telegram's webhook: checked against the secret, queued for the handlers."""
            from telegram import Update

            if secret and request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
                return JSONResponse({"ok": False}, status_code=403)
            update = Update.de_json(await request.json(), application.bot)
            await application.update_queue.put(update)
            return JSONResponse({"ok": True})

    @app.get("/media/{token}")
    async def image(token: str) -> Response:
        """An image Linli made (a digest chart) or a web chat photo; the token is unguessable."""
        with service.sessions() as session:
            stored = load_media(session, token)
            if stored is None:
                return Response(status_code=404)
            # Residents' photos are served here too: never sniffed, never a document.
            return Response(stored.data, media_type=stored.content_type,
                            headers={"Cache-Control": "private, max-age=86400",
                                     "X-Content-Type-Options": "nosniff",
                                     "Content-Security-Policy": "default-src 'none'"})

    @app.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse("/chat")

    app.include_router(webchat.router())
    app.mount("/socket.io", webchat.asgi())
    return app
