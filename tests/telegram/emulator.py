"""A local Telegram Bot API emulator: the real python-telegram-bot stack talks to it over HTTP.

It implements the methods Linli uses, keeps what the bot sent, lets tests inject updates (a
user writing, pressing a button) and faults (429 with retry_after, 5xx, 403 blocked), and can
enforce Telegram's rate limits.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_ID = 7000000001


@dataclass
class Sent:
    method: str
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    message_id: int
    at: float


@dataclass
class Fault:
    code: int
    description: str
    retry_after: int | None = None
    delay: float = 0.0  # answer this late (a timeout, if longer than the client waits)


@dataclass
class Emulator:
    token: str = "123456:TEST-TOKEN"
    username: str = "linli_test_bot"
    enforce_limits: bool = False
    sent: list[Sent] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)  # files sent with sendPhoto
    answered_callbacks: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[tuple[str, int | None], deque[Fault]] = field(
        default_factory=lambda: defaultdict(deque))
    rate_limited: int = 0
    webhook: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._per_chat: dict[int, deque[float]] = defaultdict(deque)
        self._global: deque[float] = deque()
        self._lock = threading.Lock()
        self.server: uvicorn.Server | None = None
        self.port = 0

    # ---- what tests do ----------------------------------------------------------------------
    def user_says(self, user_id: int, text: str, chat_id: int | None = None,
                  chat_type: str = "private", first_name: str = "Resident",
                  reply_to_bot: bool = False, entities: list[dict[str, Any]] | None = None
                  ) -> int:
        """Queue an incoming message; returns its update id."""
        chat = {"id": chat_id or user_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "和平里社区"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            "text": text}
        if entities:
            message["entities"] = entities
        if reply_to_bot:
            last = next((s.text for s in reversed(self.sent) if s.chat_id == chat["id"]), "…")
            message["reply_to_message"] = {
                "message_id": 1, "date": int(time.time()), "chat": chat, "text": last,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Linli",
                         "username": self.username}}
        return self._push({"message": message})

    def user_edits(self, user_id: int, text: str) -> int:
        """Queue an edited private message."""
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "edit_date": int(time.time()), "chat": {"id": user_id, "type": "private"},
                   "from": {"id": user_id, "is_bot": False, "first_name": "Resident"},
                   "text": text}
        return self._push({"edited_message": message})

    def user_sends(self, user_id: int, kind: str, payload: dict[str, Any] | list[Any]) -> int:
        """Queue a non-text message (photo, sticker, voice, location, document)."""
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": user_id, "type": "private"},
                   "from": {"id": user_id, "is_bot": False, "first_name": "Resident"},
                   kind: payload}
        return self._push({"message": message})

    def user_presses(self, user_id: int, data: str, message: Sent | None = None,
                     chat_id: int | None = None) -> int:
        """Queue a callback query for an inline button."""
        chat = chat_id or (message.chat_id if message else user_id)
        query = {"id": f"cq{next(self._update_ids)}", "chat_instance": "ci",
                 "from": {"id": user_id, "is_bot": False, "first_name": "Resident"},
                 "data": data,
                 "message": {"message_id": message.message_id if message else 1,
                             "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                             "text": message.text if message else "…"}}
        return self._push({"callback_query": query})

    def fail_next(self, method: str, chat_id: int | None, fault: Fault, times: int = 1) -> None:
        for _ in range(times):
            self.faults[(method, chat_id)].append(fault)

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> Any:
        """Poll until ``predicate()`` is truthy; return its value."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError("the emulator did not see what the test waited for")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ---- the HTTP side -----------------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> int:
        with self._lock:
            update_id = next(self._update_ids)
            body = {"update_id": update_id, **update}
            if self.webhook is None:
                self._updates.append(body)
                return update_id
            hook = dict(self.webhook)
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook.get("secret_token") or ""}
        httpx.post(hook["url"], json=body, headers=headers, timeout=10).raise_for_status()
        return update_id

    async def _params(self, request: Request) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            body = await request.body()
            return dict(json.loads(body or b"{}"))
        if content_type.startswith("multipart/form-data"):
            return self._multipart(content_type, await request.body())
        form = (await request.body()).decode()
        params: dict[str, Any] = {}
        for key, text in urllib.parse.parse_qsl(form, keep_blank_values=True):
            try:
                params[key] = json.loads(text)
            except json.JSONDecodeError:
                params[key] = text
        return params

    def _multipart(self, content_type: str, body: bytes) -> dict[str, Any]:
        """An upload (sendPhoto with a file): fields as values, files kept in ``uploads``."""
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if part.get_filename():
                self.uploads.append(data)
                params[str(name)] = f"upload:{len(self.uploads) - 1}"
                continue
            text = data.decode()
            try:
                params[str(name)] = json.loads(text)
            except json.JSONDecodeError:
                params[str(name)] = text
        return params

    def _limited(self, chat_id: int) -> bool:
        """Telegram's limits: 30 messages/s overall, 1/s per private chat, 20/min per group."""
        now = time.monotonic()
        group = chat_id < 0
        window, allowed = (60.0, 20) if group else (1.0, 1)
        chat = self._per_chat[chat_id]
        while chat and now - chat[0] >= window:
            chat.popleft()
        while self._global and now - self._global[0] >= 1.0:
            self._global.popleft()
        if len(chat) >= allowed or len(self._global) >= 30:
            return True
        chat.append(now)
        self._global.append(now)
        return False

    async def _endpoint(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        if token != f"bot{self.token}":
            return JSONResponse({"ok": False, "error_code": 401,
                                 "description": "Unauthorized"}, status_code=401)
        params = await self._params(request)
        chat_id = int(params["chat_id"]) if "chat_id" in params else None
        for key in ((method, chat_id), (method, None)):
            if self.faults.get(key):
                fault = self.faults[key].popleft()
                await asyncio.sleep(fault.delay)
                body: dict[str, Any] = {"ok": False, "error_code": fault.code,
                                        "description": fault.description}
                if fault.retry_after is not None:
                    body["parameters"] = {"retry_after": fault.retry_after}
                return JSONResponse(body, status_code=fault.code)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return JSONResponse({"ok": True, "result": True})
        if chat_id is not None and method in ("sendMessage", "sendPhoto") and \
                self.enforce_limits and self._limited(chat_id):
            self.rate_limited += 1
            return JSONResponse({"ok": False, "error_code": 429,
                                 "description": "Too Many Requests: retry after 1",
                                 "parameters": {"retry_after": 1}}, status_code=429)
        result = await handler(params)
        return JSONResponse({"ok": True, "result": result})

    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Linli", "username": self.username,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": str(params["url"]), "secret_token": params.get("secret_token")}
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 2.0)
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = list(self._updates)
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.02)

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        chat_id = int(params["chat_id"])
        self.sent.append(Sent("sendMessage", chat_id, str(params.get("text", "")),
                              params.get("reply_markup"), message_id, time.monotonic()))
        return {"message_id": message_id, "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "text": params.get("text", "")}

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        chat_id = int(params["chat_id"])
        self.sent.append(Sent("sendPhoto", chat_id, str(params.get("caption", "")),
                              params.get("reply_markup"), message_id, time.monotonic()))
        return {"message_id": message_id, "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "photo": [{"file_id": str(params.get("photo")), "file_unique_id": "u",
                           "width": 1, "height": 1}]}

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        chat_id = int(params["chat_id"])
        self.sent.append(Sent("sendDocument", chat_id, str(params.get("document", "")),
                              params.get("reply_markup"), message_id, time.monotonic()))
        return {"message_id": message_id, "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "document": {"file_id": str(params.get("document")), "file_unique_id": "d"}}

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        self.edits.append(params)
        return {"message_id": int(params.get("message_id", 1)), "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", 1)), "type": "private"},
                "text": params.get("text", "")}

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> bool:
        self.edits.append(params)
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        self.answered_callbacks.append({**params, "at": time.monotonic()})
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"file_id": params["file_id"], "file_unique_id": "u", "file_size": 1,
                "file_path": f"photos/{params['file_id']}.jpg"}

    # ---- running -----------------------------------------------------------------------------
    def start(self) -> Emulator:
        app = Starlette(routes=[Route("/{token}/{method}", self._endpoint,
                                      methods=["GET", "POST"])])
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        threading.Thread(target=self.server.run, daemon=True).start()
        deadline = time.time() + 10
        while not self.server.started:
            assert time.time() < deadline, "emulator did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
