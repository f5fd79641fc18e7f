"""Console sessions, CSRF tokens and role checks.

A session is a signed cookie (``itsdangerous``; HttpOnly, SameSite=Lax) holding the account id
and that session's CSRF token. Every unsafe request carries the token (``X-CSRF-Token`` or the
form field ``csrf``). Every route depends on :func:`require` (JSON API) or :func:`page`
(HTML), naming the roles that may use it; a refusal is 403 and written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from console.context import ConsoleContext
from store import audit
from store.database import transaction
from store.models import ConsoleUser

log = logging.getLogger(__name__)

COOKIE = "linli_console"
SESSION_HOURS = 12
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The account behind a request."""

    id: int
    username: str
    roles: tuple[str, ...]
    language: str
    csrf: str
    person_id: int | None

    def has(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


class NotLoggedInError(Exception):
    """No valid session: 401 for the API, the login page for a page."""

    def __init__(self, page: bool) -> None:
        super().__init__("not logged in")
        self.page = page


class ForbiddenError(Exception):
    """A role or CSRF refusal: 403."""

    def __init__(self, page: bool, language: str, reason: str) -> None:
        super().__init__(reason)
        self.page = page
        self.language = language
        self.reason = reason


def derive_key(key: bytes) -> bytes:
    """The console's own key from the service's signing key: a web chat session can never
    pass for a console one, nor the other way round."""
    return hmac.new(key, b"linli-console-session", "sha256").digest()


def serializer(ctx: ConsoleContext) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.key, salt="console-session")


def _password_mark(user: ConsoleUser) -> str:
    """Changes with the password: a new password ends every session made with the old one."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def issue(ctx: ConsoleContext, user: ConsoleUser) -> tuple[str, str]:
    """A new session cookie value for ``user`` and its CSRF token."""
    csrf = secrets.token_urlsafe(24)
    return serializer(ctx).dumps({"u": user.id, "c": csrf, "p": _password_mark(user)}), csrf


def _payload(ctx: ConsoleContext, request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = serializer(ctx).loads(raw, max_age=SESSION_HOURS * 3600)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) \
            or not isinstance(data.get("c"), str):
        return None
    return data


def signed(ctx: ConsoleContext, request: Request) -> bool:
    """The request carries a session cookie this console signed (the account unchecked)."""
    return _payload(ctx, request) is not None


def read_session(ctx: ConsoleContext, request: Request) -> Principal | None:
    """The enabled account of the request's session cookie, else None."""
    data = _payload(ctx, request)
    if data is None:
        return None
    with ctx.sessions() as session:
        user = session.get(ConsoleUser, data["u"])
        if user is None or user.disabled or data.get("p") != _password_mark(user):
            return None
        return Principal(user.id, user.username, tuple(user.role_names), user.language,
                         data["c"], user.person_id)


async def _csrf_sent(request: Request) -> str | None:
    sent = request.headers.get(CSRF_HEADER)
    if sent:
        return sent
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def refuse(ctx: ConsoleContext, who: Principal, request: Request, reason: str) -> None:
    """Log and audit a refusal (its own transaction: there is no action to share)."""
    log.warning("console: refused %s %s to %s (%s)", request.method, request.url.path,
                who.username, reason)
    with transaction(ctx.sessions) as session:
        user = session.get(ConsoleUser, who.id)
        audit.record(session, user, "refused", ctx.now(),
                     target=f"{request.method} {request.url.path}", details={"reason": reason})


def _guard(ctx: ConsoleContext, roles: tuple[str, ...], as_page: bool
           ) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        who = read_session(ctx, request)
        if who is None:
            raise NotLoggedInError(as_page)
        if request.method in UNSAFE:
            sent = await _csrf_sent(request)
            if sent is None or not hmac.compare_digest(sent, who.csrf):
                refuse(ctx, who, request, "csrf")
                raise ForbiddenError(as_page, who.language, "csrf")
        if roles and not who.has(*roles):
            refuse(ctx, who, request, "role")
            raise ForbiddenError(as_page, who.language, "role")
        return who

    return dependency


def require(ctx: ConsoleContext, *roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """Dependency of a JSON API route: a session (401), the CSRF token on unsafe methods and
    one of ``roles`` (403); no roles: any account."""
    return _guard(ctx, roles, as_page=False)


def page(ctx: ConsoleContext, *roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """Dependency of a page: without a session, a redirect to the login page."""
    return _guard(ctx, roles, as_page=True)


def safe_next(target: Any, root: str) -> str:
    """Where to go after login: only a path inside the console (no open redirect)."""
    if isinstance(target, str) and target.startswith(root + "/") and "//" not in target \
            and "\\" not in target and len(target) < 2000:
        return target
    return root + "/"
