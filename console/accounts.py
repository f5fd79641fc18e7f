"""Console accounts for admins: list, add (username, roles, linked person, language, initial
password), change roles, reset a password, disable or enable — each audited.

The rules are ``store.accounts``' (the same ``create`` as ``linli console user add``): a valid
name, known roles, a long enough password, never the last enabled admin locked out. Forms post
with the session's CSRF token; a page without JavaScript does everything. No postponed
annotations: route parameters name types made inside ``router``."""

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from actions.runtime import current as current_runtime
from console.accounts_texts import TEXTS
from console.context import ConsoleContext, MenuItem
from console.i18n import CATALOGUE
from console.rendering import render, root
from console.security import Principal, page, require
from store import accounts, audit
from store.accounts import CONSOLE_ROLES, AccountError
from store.database import transaction
from store.models import ConsoleUser

ADMIN = "admin"
#: The audit actions of account changes (``account_created`` and ``password_set`` are also
#: what ``linli console user`` writes).
ACTIONS = ("account_created", "account_roles", "password_set", "account_disabled",
           "account_enabled")
_HISTORY = 30


def account_dict(user: ConsoleUser) -> dict[str, Any]:
    person = user.person
    return {"username": user.username, "roles": user.role_names, "language": user.language,
            "person": None if person is None else {"id": person.id, "name": person.name},
            "disabled": user.disabled, "created_at": user.created_at.isoformat()}


def _listing(session: Session) -> list[dict[str, Any]]:
    return [account_dict(user) for user in accounts.all_users(session)]


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu.append(MenuItem("/accounts", "accounts", (ADMIN,)))
    api = APIRouter()
    admin_api = Annotated[Principal, Depends(require(ctx, ADMIN))]
    admin_page = Annotated[Principal, Depends(page(ctx, ADMIN))]

    def show(request: Request, who: Principal, status: int = 200, error: str | None = None,
             form: dict[str, Any] | None = None) -> Response:
        with ctx.sessions() as session:
            listed = _listing(session)
            # The community's clock, as staff read it (the log keeps UTC).
            history = [{"at": current_runtime().local(e.at), "user": e.username, "action": e.action,
                        "target": e.target, "details": e.details}
                       for e in audit.of_actions(session, ACTIONS, _HISTORY)]
        return render(ctx, request, "accounts.html", who, status=status, accounts=listed,
                      roles=CONSOLE_ROLES, history=history, error=error, form=form or {},
                      message=request.query_params.get("m"),
                      about=request.query_params.get("u", "")[:60])

    def done(request: Request, message: str, username: str) -> Response:
        query = urlencode({"m": message, "u": username})
        return RedirectResponse(f"{root(request)}/accounts?{query}", status_code=303)

    def change(request: Request, who: Principal, username: str, action: str, message: str,
               apply: Any) -> Response:
        """Apply ``apply(session, user)`` to an account, audit it as ``action`` and say
        ``message``; the page again with the problem when ``store.accounts`` refuses."""
        now = ctx.now()
        try:
            with transaction(ctx.sessions) as session:
                user = accounts.by_username(session, username)
                if user is None:
                    raise AccountError("no such account", "unknown")
                details = apply(session, user)
                audit.record(session, session.get(ConsoleUser, who.id), action, now,
                             target=user.username, details=details)
        except AccountError as error:
            return show(request, who, 422, error.code)
        return done(request, message, username)

    @api.get("/api/accounts")
    def accounts_api(_who: admin_api) -> dict[str, Any]:
        with ctx.sessions() as session:
            return {"accounts": _listing(session), "roles": list(CONSOLE_ROLES)}

    @api.get("/accounts")
    def accounts_page(request: Request, who: admin_page) -> Response:
        return show(request, who)

    @api.post("/accounts")
    def add(request: Request, who: admin_page, username: str = Form("", max_length=60),
            password: str = Form("", max_length=200),
            roles: Annotated[list[str] | None, Form()] = None,
            person: str = Form("", max_length=80),
            language: str = Form("", max_length=8)) -> Response:
        now: dt.datetime = ctx.now()
        try:
            with transaction(ctx.sessions) as session:
                user = accounts.create(session, username, password, roles or [], now,
                                       person_key=person or None, language=language or None)
                audit.record(session, session.get(ConsoleUser, who.id), "account_created",
                             now, target=user.username,
                             details={"roles": user.role_names, "person": user.person_id,
                                      "language": user.language})
                name = user.username
        except AccountError as error:
            return show(request, who, 422, error.code,
                        {"username": username, "roles": roles or [], "person": person,
                         "language": language})
        return done(request, "created", name)

    @api.post("/accounts/{username}/roles")
    def roles_of(request: Request, username: str, who: admin_page,
                 roles: Annotated[list[str] | None, Form()] = None) -> Response:
        def apply(session: Session, user: ConsoleUser) -> dict[str, Any]:
            before = accounts.set_roles(session, user, roles or [])
            return {"from": before, "to": user.role_names}

        return change(request, who, username, "account_roles", "roles", apply)

    @api.post("/accounts/{username}/password")
    def password_of(request: Request, username: str, who: admin_page,
                    password: str = Form("", max_length=200)) -> Response:
        def apply(_session: Session, user: ConsoleUser) -> None:
            accounts.set_password(user, password)

        return change(request, who, username, "password_set", "password", apply)

    @api.post("/accounts/{username}/state")
    def state_of(request: Request, username: str, who: admin_page,
                 disabled: bool = Form(...)) -> Response:
        def apply(session: Session, user: ConsoleUser) -> None:
            accounts.set_disabled(session, user, disabled)

        state = "disabled" if disabled else "enabled"
        return change(request, who, username, f"account_{state}", state, apply)

    return api
