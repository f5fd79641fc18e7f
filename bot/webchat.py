"""The web chat channel: Rasa's socket.io protocol at /socket.io, the page, its history and photos.

Rasa web widgets connect unchanged: ``session_request`` → ``session_confirm`` (the session id),
``user_uttered`` {message, session_id} → ``bot_uttered`` {text, quick_replies?} and
{attachment}. The session id is issued and signed by the server, so a browser can never speak
as another resident; a socket that brings none, or a forged one, gets a new session.

Notifications reach an open page at once: the channel is a delivery-worker ``Channel`` for the
pages connected to this process, and whatever arrives while no page is open waits in the outbox
until one connects again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Collection, Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import socketio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bot.conversation import ConversationService, Incoming, media_url
from bot.delivery import DeliveryWorker, RecipientAway
from bot.edge import clean_text
from bot.limits import Limits, Wait, polite, retry_after
from store import media
from store.database import transaction
from store.history import Said, chat_history
from store.outbox import WEBCHAT

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = logging.getLogger(__name__)

SESSION_HEADER = "X-Linli-Session"
MAX_PHOTO = 5 * 1024 * 1024  # the page shrinks photos first; a phone's original still fits
HISTORY = 50
#: Only self: the socket.io client is served from here, nothing is loaded from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; connect-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_ASSETS = {"chat.js": "text/javascript", "chat.css": "text/css",
           "socket.io.min.js": "text/javascript", "icon.svg": "image/svg+xml"}
#: What Rasa web widgets send when they open (their usual ``initPayload``s): a greeting.
_WIDGET_OPENINGS = frozenset({"/get_started", "/session_start"})
_IMAGE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


class SessionSigner:
    """Web chat sessions ``<chat id>.<signature>``: the chat id is random, the HMAC proves
    this server issued it."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the web chat signing key needs at least 16 bytes")
        self._key = key

    def issue(self) -> str:
        chat = secrets.token_urlsafe(12)
        return f"{chat}.{self._sign(chat)}"

    def chat_of(self, token: object) -> str | None:
        """The chat id of a session this server signed; None for anything else."""
        if not isinstance(token, str) or len(token) > 100:
            return None
        chat, _, signature = token.partition(".")
        if not chat or not hmac.compare_digest(signature, self._sign(chat)):
            return None
        return chat

    def _sign(self, chat: str) -> str:
        digest = hmac.new(self._key, b"webchat:" + chat.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()


def utterances(reply: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A reply ``{"text", "buttons"?, "image"?}`` as the ``bot_uttered`` messages Rasa's
    socket.io channel sends: text (with quick replies), then the image on its own."""
    out: list[dict[str, Any]] = []
    text, buttons = str(reply.get("text") or ""), list(reply.get("buttons") or [])
    if text or buttons:
        message: dict[str, Any] = {"text": text}
        if buttons:
            message["quick_replies"] = [{"content_type": "text", "title": str(b["title"]),
                                         "payload": str(b["payload"])} for b in buttons]
        out.append(message)
    if image := reply.get("image"):
        out.append({"attachment": {"type": "image", "payload": {"src": str(image)}}})
    return out


def image_type(data: bytes) -> str | None:
    """The type of a JPEG, PNG or WebP image from its first bytes (never from what the
    browser claims); None for anything else."""
    for magic, kind in _IMAGE_TYPES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _said(said: Said) -> list[dict[str, Any]]:
    """One history entry as page messages: the resident's own, or the bot's in Rasa's shape."""
    images = [url for url in map(media_url, said.photos) if url]
    if said.incoming:
        messages: list[dict[str, Any]] = [{"text": said.text}] if said.text else []
        messages += [{"attachment": {"type": "image", "payload": {"src": url}}}
                     for url in images]
        sender = "user"
    else:
        messages = utterances({"text": said.text, "buttons": said.buttons,
                               "image": images[0] if images else None})
        sender = "bot"
    at = said.at.isoformat()
    return [{"sender": sender, "at": at, **message} for message in messages]


class WebChat:
    """The socket.io server, the web chat's pages and its push channel."""

    name = WEBCHAT

    def __init__(self, service: ConversationService, signer: SessionSigner,
                 interval: float = 0.5) -> None:
        self.service = service
        self.signer = signer
        self.interval = interval
        # Any origin may connect: a session is a token the page holds, never a cookie, so
        # another site gains nothing by opening a socket (and embedded widgets just work).
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*",
                                        async_handlers=False, max_http_buffer_size=100_000)
        #: Set by the HTTP application (bot/rest.py): None means no limits.
        self.limits: Limits | None = None
        self._address_of_socket: dict[str, str | None] = {}
        self._chat_of_socket: dict[str, str] = {}
        self._sockets_of_chat: dict[str, set[str]] = {}
        self._wake = asyncio.Event()
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)

    def asgi(self) -> ASGIApp:
        """The socket.io endpoint, to mount at /socket.io."""
        app: ASGIApp = socketio.ASGIApp(self.sio, socketio_path="socket.io")
        return app

    # -- the delivery worker's channel -------------------------------------------------------

    def online(self) -> Collection[str]:
        return frozenset(self._sockets_of_chat)

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]],
                   photo: str | None = None) -> None:
        if not self._sockets_of_chat.get(chat_id):
            raise RecipientAway(chat_id)
        for message in utterances({"text": text, "buttons": buttons,
                                   "image": media_url(photo)}):
            await self.sio.emit("bot_uttered", message, to=chat_id)

    async def deliver_forever(self) -> None:
        """Push the outbox to the open pages until cancelled; a page that connects is served
        at once."""
        worker = DeliveryWorker(self.service.sessions, {self.name: self}, self.service.clock)
        await worker.run_forever(self.interval, wake=self._wake)

    # -- socket.io events ---------------------------------------------------------------------

    async def _session_request(self, sid: str, data: object = None) -> None:
        wanted = data.get("session_id") if isinstance(data, dict) else None
        await self._join(sid, wanted)

    async def _join(self, sid: str, token: object) -> str:
        """Bind a socket to the session it brought, or to a new one; confirms it."""
        chat = self.signer.chat_of(token)
        if chat is None:
            token = self.signer.issue()
            chat = self.signer.chat_of(token)
            assert chat is not None
        if (before := self._leave(sid)) is not None:
            await self.sio.leave_room(sid, before)
        self._chat_of_socket[sid] = chat
        self._sockets_of_chat.setdefault(chat, set()).add(sid)
        await self.sio.enter_room(sid, chat)
        await self.sio.emit("session_confirm", token, to=sid)
        self._wake.set()  # what waited for this page goes now
        return chat

    def _leave(self, sid: str) -> str | None:
        """Forget which session a socket spoke for; returns that session's chat."""
        chat = self._chat_of_socket.pop(sid, None)
        if chat is None:
            return None
        sockets = self._sockets_of_chat.get(chat, set())
        sockets.discard(sid)
        if not sockets:
            self._sockets_of_chat.pop(chat, None)
        return chat

    async def _connect(self, sid: str, environ: Mapping[str, Any], auth: object = None) -> None:
        client = environ.get("asgi.scope", {}).get("client")
        self._address_of_socket[sid] = client[0] if client else None

    async def _disconnect(self, sid: str, reason: object = None) -> None:
        self._address_of_socket.pop(sid, None)
        self._leave(sid)

    async def _wait(self, address: str | None, chat: str) -> Wait | None:
        """None if a message from ``chat`` at ``address`` may pass now: a page is limited
        like a REST sender, and a new session is a newcomer to its address."""
        if self.limits is None:
            return None
        return await self.limits.admit(address, WEBCHAT, chat, self.service.knows)

    async def _user_uttered(self, sid: str, data: object = None) -> None:
        if not isinstance(data, dict):
            return
        chat = self._chat_of_socket.get(sid)
        if chat is None:  # a widget that skipped session_request
            chat = await self._join(sid, data.get("session_id"))
        message = data.get("message")
        if not isinstance(message, str):
            return  # a widget opening without an init payload: nothing was said
        if wait := await self._wait(self._address_of_socket.get(sid), chat):
            await self.sio.emit("bot_uttered", {"text": polite(self.service.runner,
                                                               wait.response)}, to=sid)
            return
        if message in _WIDGET_OPENINGS:
            message = "/greet"
        for reply in await self._answer(Incoming(WEBCHAT, chat, chat, clean_text(message))):
            for uttered in utterances(reply):
                await self.sio.emit("bot_uttered", uttered, to=sid)

    async def _answer(self, incoming: Incoming) -> list[dict[str, Any]]:
        try:
            return await self.service.handle(incoming)
        except Exception:  # the service answers its own failures; this is the last net
            log.exception("web chat turn failed for %s", incoming.chat_id)
            return [self.service.runner.say("utter_internal_error", {"language": "zh"})
                    .as_dict()]

    # -- HTTP: the page, its history, photos --------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/chat")
        async def page() -> HTMLResponse:
            """The web chat page."""
            return HTMLResponse(_static("chat.html"), headers=SECURITY_HEADERS)

        @router.get("/chat/assets/{name}")
        async def asset(name: str) -> Response:
            if name not in _ASSETS:
                return Response(status_code=404, headers=SECURITY_HEADERS)
            return Response(_static(name), media_type=_ASSETS[name],
                            headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

        @router.get("/chat/history")
        async def history(request: Request) -> JSONResponse:
            """The session's last messages, for a page that was reloaded."""
            chat = self.signer.chat_of(request.headers.get(SESSION_HEADER))
            if chat is None:
                return _refused(401, "session")
            with self.service.sessions() as session:
                said = chat_history(session, WEBCHAT, chat, HISTORY)
            messages = [message for entry in said for message in _said(entry)]
            return JSONResponse({"messages": messages[-HISTORY:]}, headers=SECURITY_HEADERS)

        @router.post("/chat/upload")
        async def upload(request: Request) -> JSONResponse:
            """A photo from the page (the body is the image): kept, and handed to the
            conversation like a Telegram photo, so it joins the resident's report."""
            chat = self.signer.chat_of(request.headers.get(SESSION_HEADER))
            if chat is None:
                return _refused(401, "session")
            if wait := await self._wait(request.client.host if request.client else None,
                                        chat):
                response = _refused(429, "rate")
                response.headers["Retry-After"] = retry_after(wait.seconds)
                return response
            data = await _body(request, MAX_PHOTO)
            if data is None:
                return _refused(413, "too_large")
            kind = image_type(data)
            if kind is None:
                return _refused(415, "type")
            with transaction(self.service.sessions) as session:
                reference = media.save(session, data, kind, self.service.clock())
            message_id = f"photo:{reference.removeprefix(media.PREFIX)}"
            replies = await self._answer(Incoming(WEBCHAT, chat, chat, "", message_id=message_id,
                                                  attachments=(reference,)))
            return JSONResponse({"photo": media_url(reference),
                                 "messages": [m for r in replies for m in utterances(r)]},
                                headers=SECURITY_HEADERS)

        return router


def _static(name: str) -> bytes:
    return (files("bot") / "static" / name).read_bytes()


def _refused(status: int, error: str) -> JSONResponse:
    """A refusal the page explains in its own language (``error`` is a code, not text)."""
    return JSONResponse({"error": error}, status_code=status, headers=SECURITY_HEADERS)


async def _body(request: Request, limit: int) -> bytes | None:
    """The request body, or None once it is longer than ``limit`` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
