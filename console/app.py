"""The console application: login, logout, session, language, and the feature routers.

``create_console`` returns a FastAPI application that ``bot/rest.py`` mounts under
``/console``. Feature modules listed in :data:`FEATURES` each expose
``router(ctx: ConsoleContext) -> APIRouter``; a module not present yet is skipped, so features
can be built side by side.
"""

import datetime as dt
import importlib
import importlib.util
import logging
import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from console.context import STATIC, ConsoleContext, Parser
from console.i18n import LANGUAGES, choose_language, translate
from console.rendering import PAGE_HEADERS, asset_response, render, root
from console.security import (
    COOKIE,
    SESSION_HOURS,
    ForbiddenError,
    NotLoggedInError,
    Principal,
    issue,
    page,
    read_session,
    require,
    safe_next,
    signed,
)
from store import accounts, audit
from store.database import transaction
from store.models import ConsoleUser

log = logging.getLogger(__name__)

#: Feature modules, each with ``router(ctx)``; included in this order when importable.
FEATURES = ("console.conversations", "console.corrections", "console.nlu", "console.tickets",
            "console.rates", "console.notices", "console.events", "console.suggestions",
            "console.community", "console.accounts", "console.questions", "console.faq")
_ASSETS = {"console.css": "text/css", "console.js": "text/javascript"}


class SessionInfo(BaseModel):
    user: str
    roles: list[str]
    csrf: str
    language: str
    person_id: int | None


class AuditOut(BaseModel):
    at: dt.datetime
    user: str
    action: str
    target: str | None
    details: dict[str, Any] | None


def _home_for(who: Principal) -> str:
    """The first page an account's roles open on."""
    if who.has("operator"):
        return "/messages"
    return "/tickets" if who.has("staff", "supervisor", "grid_member") else "/home"


def create_console(sessions: Any, clock: Callable[[], Any], key: bytes,
                   nlu: Parser | None = None, secure_cookies: bool = False,
                   features: tuple[str, ...] = FEATURES) -> FastAPI:
    """The console over ``sessions``; ``key`` signs its cookies (see security.derive_key)."""
    ctx = ConsoleContext(sessions=sessions, clock=clock, key=key, nlu=nlu,
                         secure_cookies=secure_cookies)
    app = FastAPI(title="Linli console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = ctx
    # Route annotations are evaluated here, where ctx is known (no postponed annotations).
    signed_in = Annotated[Principal, Depends(page(ctx))]
    api_user = Annotated[Principal, Depends(require(ctx))]

    async def not_logged_in(request: Request, error: Exception) -> Response:
        assert isinstance(error, NotLoggedInError)
        if error.page:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            from urllib.parse import quote

            return RedirectResponse(f"{root(request)}/login?next={quote(target)}",
                                    status_code=303)
        return JSONResponse({"error": "unauthorized", "message": "log in first"},
                            status_code=401)

    async def forbidden(request: Request, error: Exception) -> Response:
        assert isinstance(error, ForbiddenError)
        if error.page:
            return render(ctx, request, "error.html", read_session(ctx, request), status=403,
                          message=translate("forbidden", error.language))
        return JSONResponse({"error": "forbidden", "reason": error.reason}, status_code=403)

    async def invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = [{k: v for k, v in found.items() if k in ("loc", "msg", "type")}
                    for found in error.errors()]
        if "/api/" not in request.url.path:
            who = read_session(ctx, request)
            detail = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}"
                               for p in problems)
            return render(ctx, request, "error.html", who, status=422,
                          message=translate("bad_request", who.language if who else "zh",
                                            detail=detail))
        return JSONResponse({"detail": problems}, status_code=422)

    @app.middleware("http")
    async def api_needs_a_session(request: Request, call_next: Callable[[Request], Any]
                                  ) -> Response:
        """Every /api/ path, even one that does not exist, is 401 without a session: a
        stranger learns nothing of what is there."""
        path = request.url.path[len(root(request)):]
        if path.startswith("/api/") and not signed(ctx, request):
            return JSONResponse({"error": "unauthorized", "message": "log in first"},
                                status_code=401)
        response: Response = await call_next(request)
        return response

    app.add_exception_handler(NotLoggedInError, not_logged_in)
    app.add_exception_handler(ForbiddenError, forbidden)
    app.add_exception_handler(RequestValidationError, invalid)

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in _ASSETS:
            return Response(status_code=404)
        return asset_response(STATIC / name, _ASSETS[name])

    @app.get("/login")
    async def login_page(request: Request) -> Response:
        return render(ctx, request, "login.html", None,
                      next=safe_next(request.query_params.get("next"), root(request)))

    @app.post("/login")
    async def login(request: Request, username: str = Form(""), password: str = Form(""),
                    next_page: str = Form("", alias="next")) -> Response:
        address = request.client.host if request.client else "-"
        name = username.strip().lower()[:60]
        language = choose_language(request.headers.get("accept-language"))
        wait = max(ctx.login_limit.take((name, address)), ctx.address_limit.take(address))
        if wait:
            seconds = str(math.ceil(wait))
            message = translate("slow_down", language, seconds=seconds)
            if "text/html" in request.headers.get("accept", ""):
                limited = render(ctx, request, "login.html", None, status=429, error=message,
                                 next=safe_next(next_page, root(request)), username=username)
                limited.headers["Retry-After"] = seconds
                return limited
            return JSONResponse({"error": "rate_limited", "message": message},
                                status_code=429, headers={"Retry-After": seconds})
        with transaction(ctx.sessions) as session:
            user = accounts.authenticate(session, name, password)
            audit.record(session, user, "login" if user else "login_failed", ctx.now(),
                         username=name, details={"address": address})
            cookie, _csrf = issue(ctx, user) if user else ("", "")
            home = _home_for(Principal(user.id, user.username, tuple(user.role_names),
                                       user.language, "", user.person_id)) if user else ""
        if not user:
            return render(ctx, request, "login.html", None, status=401,
                          error=translate("bad_login", language), username=username,
                          next=safe_next(next_page, root(request)))
        target = safe_next(next_page, root(request))
        if target == root(request) + "/":
            target = root(request) + home
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, cookie, max_age=SESSION_HOURS * 3600, httponly=True,
                            samesite="lax",
                            secure=ctx.secure_cookies or request.url.scheme == "https",
                            path=root(request) or "/")
        return response

    @app.post("/logout")
    async def logout(request: Request, who: signed_in) -> Response:
        with transaction(ctx.sessions) as session:
            audit.record(session, session.get(ConsoleUser, who.id), "logout", ctx.now())
        response = RedirectResponse(f"{root(request)}/login", status_code=303)
        response.delete_cookie(COOKIE, path=root(request) or "/")
        return response

    @app.get("/api/session")
    async def session_info(who: api_user) -> SessionInfo:
        return SessionInfo(user=who.username, roles=list(who.roles), csrf=who.csrf,
                           language=who.language, person_id=who.person_id)

    admin_api = Annotated[Principal, Depends(require(ctx, "admin"))]

    @app.get("/api/audit", response_model=list[AuditOut])
    async def audit_log(who: admin_api, action: str | None = None, user: str | None = None,
                        limit: int = 100) -> Any:
        """The latest audit entries, newest first (admins)."""
        with ctx.sessions() as session:
            return [AuditOut(at=e.at, user=e.username, action=e.action, target=e.target,
                             details=e.details)
                    for e in audit.recent(session, max(1, min(limit, 500)), action, user)]

    @app.post("/language")
    async def language(request: Request, who: signed_in, language: str = Form(...),
                       back: str = Form("", alias="next")) -> Response:
        if language in LANGUAGES:
            with transaction(ctx.sessions) as session:
                user = session.get(ConsoleUser, who.id)
                assert user is not None
                user.language = language
                audit.record(session, user, "language", ctx.now(), details={"to": language})
        return RedirectResponse(safe_next(back, root(request)), status_code=303)

    @app.get("/")
    async def index(request: Request, who: signed_in) -> Response:
        return RedirectResponse(root(request) + _home_for(who), status_code=303)

    @app.get("/home")
    async def home(request: Request, who: signed_in) -> Response:
        return render(ctx, request, "home.html", who)

    for name in features:
        if importlib.util.find_spec(name) is None:
            continue
        try:
            module = importlib.import_module(name)
            app.include_router(module.router(ctx))
        except Exception:
            # A broken console page must not take the residents' channels down with it.
            log.exception("console feature %s is left out: it failed to load", name)
    return app


__all__ = ["PAGE_HEADERS", "create_console"]
