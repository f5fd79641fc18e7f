"""HTTP: Rasa's REST channel, /model/parse, health, metrics, and the web chat (bot/webchat.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from pydantic import BaseModel, field_validator
from starlette.datastructures import MutableHeaders

from bot.auth import Access, Credential, PrivatePaths, RefusedError
from bot.conversation import ConversationService, Incoming, Parser
from bot.edge import IdTooLongError, clean_id, clean_json, clean_text
from bot.limits import Limits, Wait, polite, retry_after
from bot.turns import BusyError, HealthProbe, turns_on_threads
from bot.webchat import SessionSigner, WebChat
from store.media import expired as media_expired
from store.media import file_name as media_file_name
from store.media import load as load_media

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from bot.scheduler.engine import Scheduler

log = logging.getLogger(__name__)


class RestMessage(BaseModel):
    """Rasa REST channel input; ``message_id`` (optional) makes retries harmless. Rasa
    clients may send ``metadata``: it is accepted and not kept (nothing here reads it)."""

    sender: str | int
    message: str | None = ""
    message_id: str | int | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("sender", "message_id", mode="before")
    @classmethod
    def _no_truth_values(cls, value: Any) -> Any:
        # JSON true/false would pass as the ids 1/0 and speak for whoever holds those.
        if isinstance(value, bool):
            raise ValueError("an id is a string or a number, not true or false")
        return value


class ParseRequest(BaseModel):
    text: str  # cut to the edge's limit, never refused: a lone surrogate fails max_length


class Metrics:
    """A few counters in Prometheus text format."""

    def __init__(self, scheduler: Scheduler | None = None) -> None:
        self.messages = 0
        self.turn_seconds = 0.0
        self.parses = 0
        self.limited = 0
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
            "# HELP linli_limited_total Requests refused by a rate limit or the newcomer cap.",
            "# TYPE linli_limited_total counter", f"linli_limited_total {self.limited}",
        ]) + "\n"


#: Sent with every HTTP response that does not set its own: API answers are data, never a page
#: to frame, sniff or run scripts in. Pages (the web chat) send their own policy.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
                               "form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` that a response has not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _unfit(field: str, message: str) -> JSONResponse:
    """A 422 shaped like FastAPI's own validation errors, naming the field."""
    return JSONResponse({"detail": [{"loc": ["body", field], "msg": message,
                                     "type": "value_error"}]}, status_code=422)


async def _replay_forever(service: ConversationService, interval: float = 5.0) -> None:
    """At start-up and then every ``interval``: answer messages whose turn died with its
    process (stored, never answered), and those spooled while the database was down."""
    while True:
        try:
            await service.answer_orphans()
            await service.replay_spooled()
        except Exception:
            log.exception("replaying spooled messages failed")
        await asyncio.sleep(interval)


def app_from_settings() -> FastAPI:
    """Factory for ``uvicorn --factory`` (each worker process wires its own service)."""
    from actions.runtime import current as current_runtime
    from bot.settings import Settings
    from bot.wiring import build_scheduler, build_webchat, prepare, settle_heap

    settings = Settings()
    pipeline, service = prepare(settings, lambda message: log.info("%s", message))
    # Telegram runs in the first process only; every worker runs a scheduler, and the lease
    # lets one of them work at a time. Each worker pushes to the web pages connected to it.
    app = create_app(service, pipeline, scheduler=build_scheduler(current_runtime()),
                     webchat=build_webchat(settings, service))
    settle_heap()
    return app


def create_app(service: ConversationService, nlu: Parser,
               background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
               telegram_webhook: tuple[Any, str | None] | None = None,
               scheduler: Scheduler | None = None,
               webchat: WebChat | None = None,
               access: Access | None = None,
               limits: Limits | None = None) -> FastAPI:
    """The HTTP application over an already wired conversation service; ``background``, the
    scheduler and the web chat's pushes run while it serves. Without ``webchat`` the web chat
    signs its sessions with a key of this process alone (tests; ``linli serve`` passes one
    that lasts). ``access`` and ``limits`` default to what the settings say."""
    webchat = webchat or WebChat(service, SessionSigner(secrets.token_bytes(32)))
    if access is None or limits is None:
        from bot.settings import Settings

        settings = Settings()
        access = access or Access.from_settings(settings)
        limits = limits or Limits.from_settings(settings)
    webchat.limits = limits
    health = HealthProbe.beside(service.sessions)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with turns_on_threads(service):  # turns off this loop while serving
            tasks = [asyncio.create_task(_replay_forever(service)),
                     asyncio.create_task(webchat.deliver_forever())]
            if scheduler is not None:
                tasks.append(asyncio.create_task(scheduler.run()))
            tasks += [asyncio.create_task(job()) for job in background]
            yield
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        health.close()

    app = FastAPI(title="Linli", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.add_middleware(PrivatePaths, access=access)
    app.add_middleware(SecurityHeaders)
    metrics = Metrics(scheduler)

    async def refused(_request: Request, error: Exception) -> Response:
        assert isinstance(error, RefusedError)
        return error.response()

    async def too_long(_request: Request, error: Exception) -> Response:
        assert isinstance(error, IdTooLongError)
        return _unfit(error.field, str(error))

    async def invalid(_request: Request, error: Exception) -> Response:
        """FastAPI's 422, without echoing the input: it may not even encode as UTF-8."""
        assert isinstance(error, RequestValidationError)
        errors = [{key: value for key, value in found.items() if key != "input"}
                  for found in error.errors()]
        return JSONResponse({"detail": clean_json(jsonable_encoder(errors))}, status_code=422)

    app.add_exception_handler(RefusedError, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(IdTooLongError, too_long)

    async def busy(_request: Request, _error: Exception) -> Response:
        return JSONResponse({"error": "busy", "message": "too many messages at once"},
                            status_code=503, headers={"Retry-After": "1"})

    app.add_exception_handler(BusyError, busy)

    async def credential(request: Request) -> Credential:
        """Checked before the body is read: a stranger learns nothing from validation.
        (``async``: a plain function would cost every request a trip through a thread.)"""
        return access.check(request.query_params, request.headers.get("authorization"))

    def slow_down(sender: str, wait: Wait) -> JSONResponse:
        """429 in the REST channel's own shape, so a Rasa client shows the resident why."""
        metrics.limited += 1
        return JSONResponse([{"recipient_id": sender,
                              "text": polite(service.runner, wait.response)}],
                            status_code=429, headers={"Retry-After": retry_after(wait.seconds)})

    @app.post("/webhooks/rest/webhook", response_model=None)
    async def rest_webhook(body: RestMessage, request: Request,
                           proof: Credential = Depends(credential)  # noqa: B008
                           ) -> list[dict[str, Any]] | JSONResponse:
        """Rasa's REST channel: one message in, the bot's messages out."""
        started = time.perf_counter()
        sender = clean_id(body.sender, "sender")
        if not sender.strip():
            return _unfit("sender", "the sender must not be empty")
        access.for_sender(proof, sender)
        message_id = None if body.message_id is None else clean_id(body.message_id,
                                                                   "message_id")
        address = request.client.host if request.client else None
        # A JWT vouches for its sender; anyone else Linli has not met counts against the
        # address's newcomers, so made-up senders cannot fill the database with people.
        if wait := await limits.admit(address, "rest", sender, service.knows,
                                      vouched=proof.claims is not None):
            return slow_down(sender, wait)
        replies = await service.handle(Incoming("rest", sender, sender,
                                                clean_text(body.message or ""),
                                                message_id=message_id))
        metrics.messages += 1
        metrics.turn_seconds += time.perf_counter() - started
        return [{"recipient_id": sender, **reply} for reply in replies]

    @app.post("/model/parse", response_model=None)
    async def model_parse(body: ParseRequest, request: Request,
                          _proof: Credential = Depends(credential)  # noqa: B008
                          ) -> dict[str, Any] | JSONResponse:
        """The NLU parse of a text, as Rasa's /model/parse returns it."""
        if wait := limits.request(request.client.host if request.client else None):
            metrics.limited += 1
            return JSONResponse({"error": "rate_limited",
                                 "message": polite(service.runner, "utter_slow_down")},
                                status_code=429, headers={"Retry-After": retry_after(wait)})
        metrics.parses += 1
        return nlu.parse(clean_text(body.text))

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        if not await health.ok():
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
            """Telegram's webhook: only a call with the secret is read (never open, even
            without one: then nothing is), and only an update is queued for the handlers."""
            from bot.telegram import SECRET_HEADER, authentic, queue_update

            if not authentic(secret, request.headers.get(SECRET_HEADER)):
                log.warning("refused a Telegram webhook call without the secret")
                return JSONResponse({"ok": False}, status_code=403)
            if not await queue_update(application, await request.body()):
                return JSONResponse({"ok": False}, status_code=400)
            return JSONResponse({"ok": True})

    @app.get("/media/{token}")
    async def image(token: str) -> Response:
        """An image Linli made (a digest chart) or a web chat photo; the token is unguessable."""
        with service.sessions() as session:
            stored = load_media(session, token)
            if stored is None or media_expired(stored, service.clock()):
                return Response(status_code=404)
            # Residents' photos are served here too: never sniffed; only a file Linli made
            # (a data export) is a download, under its own name.
            name = media_file_name(stored)
            return Response(stored.data, media_type=stored.content_type,
                            headers={"Cache-Control": "private, no-store" if name else
                                     "private, max-age=86400",
                                     "X-Content-Type-Options": "nosniff",
                                     "Content-Security-Policy": "default-src 'none'; "
                                                                "frame-ancestors 'none'",
                                     **({"Content-Disposition": f'attachment; filename="{name}"'}
                                        if name else {})})

    @app.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse("/chat")

    app.include_router(webchat.router())
    app.mount("/socket.io", webchat.asgi())
    from console.app import create_console  # the console signs with a key of its own, made
    from console.security import derive_key  # from the web chat's (LINLI_SECRET_KEY)

    app.mount("/console", create_console(service.sessions, service.clock,
                                         derive_key(webchat.signer._key), nlu))
    return app
