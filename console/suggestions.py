"""Residents' suggestions (共谋) from the console: an inbox by status (new, under discussion,
adopted, declined) with how many residents back each, one suggestion with its supporters,
and a status change with a public reply — after which its author and supporters are told, by
the same code as the chat's (actions/suggestions.py ``announce``). Every change is audited.

No postponed annotations: route parameters name types made inside ``router``.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from actions.runtime import current as current_runtime
from actions.suggestions import announce
from console.context import ConsoleContext, MenuItem
from console.events_texts import TEXTS
from console.i18n import CATALOGUE, translate
from console.rendering import render, root
from console.security import Principal, page, require
from store import audit, suggestions
from store.community import home
from store.database import transaction
from store.models import ConsoleUser, Person, Suggestion
from store.suggestions import REPLY_LIMIT, STATUSES, InboxItem

#: Who decides: as in the chat (actions/suggestions.py ``decide``), staff and admins.
ROLES = ("staff", "admin")
_PAGE = 50
_STATUS = "^(new|discussing|adopted|declined)$"


class StatusBody(BaseModel):
    status: Literal["new", "discussing", "adopted", "declined"]
    reply: str = Field("", max_length=REPLY_LIMIT)


def item_out(item: InboxItem) -> dict[str, Any]:
    return {"id": item.id, "text": item.text, "language": item.language,
            "status": item.status, "author": item.author, "supporters": item.supporters,
            "created_at": item.created_at.isoformat(), "reply": item.reply,
            "status_changed_at": item.status_changed_at.isoformat()
            if item.status_changed_at else None}


def counts(session: Session, community_id: int) -> dict[str, int]:
    found: dict[str, int] = {status: int(n) for status, n in session.execute(
        select(Suggestion.status, func.count()).where(
            Suggestion.community_id == community_id).group_by(Suggestion.status))}
    return {status: found.get(status, 0) for status in STATUSES}


def one(session: Session, suggestion_id: int) -> dict[str, Any] | None:
    """A suggestion as the inbox shows it, with who backs it (names: staff may see them)."""
    suggestion = session.get(Suggestion, suggestion_id)
    community = home(session)
    if suggestion is None or community is None or suggestion.community_id != community.id:
        return None
    behind = suggestions.people_behind(session, suggestion)
    author = session.get(Person, suggestion.person_id)
    backers = [p.name for p in behind if p.id != suggestion.person_id]
    return item_out(InboxItem(suggestion.id, suggestion.text, suggestion.language,
                              suggestion.status, author.name if author else "", len(backers),
                              suggestion.created_at, suggestion.reply,
                              suggestion.status_changed_at)) | {"supporter_names": backers}


def _local(stored: str) -> str:
    """A stored UTC moment as the community's clock reads it (staff think in local time)."""
    return current_runtime().local(dt.datetime.fromisoformat(stored)).strftime("%Y-%m-%d %H:%M")


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu.append(MenuItem("/suggestions", "evt_suggestions", ROLES))
    api = APIRouter()
    staff_api = Annotated[Principal, Depends(require(ctx, *ROLES))]
    staff_page = Annotated[Principal, Depends(page(ctx, *ROLES))]

    def inbox(status: str | None, before: int | None) -> dict[str, Any]:
        with ctx.sessions() as session:
            community = home(session)
            if community is None:
                return {"items": [], "next": None, "counts": {}}
            items = suggestions.inbox(session, community.id, status, before_id=before,
                                      limit=_PAGE + 1)
            return {"items": [item_out(i) for i in items[:_PAGE]],
                    "next": items[_PAGE - 1].id if len(items) > _PAGE else None,
                    "counts": counts(session, community.id)}

    def opened(suggestion_id: int) -> dict[str, Any] | None:
        with ctx.sessions() as session:
            return one(session, suggestion_id)

    def decide(who: Principal, suggestion_id: int, body: StatusBody) -> int | None:
        """How many residents were told; None if there is no such suggestion."""
        runtime = current_runtime()
        with transaction(ctx.sessions) as session:
            suggestion = session.get(Suggestion, suggestion_id, with_for_update=True)
            community = home(session)
            if suggestion is None or community is None \
                    or suggestion.community_id != community.id:
                return None
            user = session.get(ConsoleUser, who.id)
            before = suggestion.status
            told = announce(session, runtime, suggestion, body.status, body.reply,
                            user.person if user else None)
            audit.record(session, user, "suggestion_status", ctx.now(),
                         target=f"suggestion:{suggestion.id}",
                         details={"from": before, "to": body.status, "reply": body.reply,
                                  "told": len(told)})
            return len(told)

    @api.get("/api/suggestions")
    def inbox_api(_who: staff_api, status: str | None = Query(None, pattern=_STATUS),
                  before: int | None = None) -> dict[str, Any]:
        return inbox(status, before)

    @api.get("/api/suggestions/{suggestion_id}", response_model=None)
    def one_api(suggestion_id: int, _who: staff_api) -> dict[str, Any] | JSONResponse:
        found = opened(suggestion_id)
        return found if found is not None else JSONResponse({"error": "not_found"}, 404)

    @api.post("/api/suggestions/{suggestion_id}/status", response_model=None)
    def status_api(suggestion_id: int, body: StatusBody, who: staff_api
                   ) -> dict[str, Any] | JSONResponse:
        told = decide(who, suggestion_id, body)
        if told is None:
            return JSONResponse({"error": "not_found"}, 404)
        found = opened(suggestion_id)
        assert found is not None
        return {"status": found["status"], "reply": found["reply"], "told": told}

    # -- pages ---------------------------------------------------------------------------------

    @api.get("/suggestions")
    def inbox_page(request: Request, who: staff_page,
                   status: str | None = Query(None, pattern=_STATUS),
                   before: int | None = None) -> Response:
        return render(ctx, request, "suggestions.html", who, shown=status or "",
                      statuses=STATUSES, when=_local, **inbox(status, before))

    @api.get("/suggestions/{suggestion_id}")
    def suggestion_page(request: Request, suggestion_id: int, who: staff_page) -> Response:
        found = opened(suggestion_id)
        if found is None:
            return render(ctx, request, "error.html", who, status=404,
                          message=translate("not_found", who.language))
        told = request.query_params.get("n")
        message = None
        if told is not None and told.isdigit():
            message = translate("evt_s_told" if int(told) else "evt_s_unchanged", who.language,
                                count=told)
        return render(ctx, request, "suggestion.html", who, s=found, statuses=STATUSES,
                      message=message, reply_limit=REPLY_LIMIT, when=_local)

    @api.post("/suggestions/{suggestion_id}/status")
    async def status_page(request: Request, suggestion_id: int, who: staff_page) -> Response:
        form = await request.form()
        status = str(form.get("status") or "")
        if status not in STATUSES:
            return RedirectResponse(f"{root(request)}/suggestions/{suggestion_id}",
                                    status_code=303)
        body = StatusBody.model_validate({"status": status,
                                          "reply": str(form.get("reply") or "")[:REPLY_LIMIT]})
        told = await run_in_threadpool(decide, who, suggestion_id, body)
        return RedirectResponse(f"{root(request)}/suggestions/{suggestion_id}?n={told or 0}",
                                status_code=303)

    return api
