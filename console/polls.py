"""Community polls from the console (共评, 共享; staff): create one and it goes at once to its
audience with a button per option, read the results as a chart, publish them to the same
residents. Storing and counting is store/polls.py, telling residents actions/polls.py (the
same path a resident's vote takes), charts console/nlu_charts.py.

No postponed annotations: route parameters name types made inside ``router``.
"""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from actions import polls as telling
from actions.notices import audience_name
from actions.runtime import Runtime
from actions.runtime import current as current_runtime
from console.context import ConsoleContext
from console.i18n import CATALOGUE, translate
from console.nlu_charts import stacked_bars
from console.rendering import render, root
from console.security import Principal, page, require
from store import audit, polls
from store.community import home
from store.database import transaction
from store.models import ConsoleUser, OutboxMessage, Poll
from store.polls import PollError

_LIST = 100


class OptionBody(BaseModel):
    zh: str = Field("", max_length=polls.OPTION_LIMIT)
    en: str = Field("", max_length=polls.OPTION_LIMIT)


class PollBody(BaseModel):
    """``POST /console/api/polls``: sent at once. A time without an offset is local."""

    question_zh: str = Field("", max_length=polls.QUESTION_LIMIT)
    question_en: str = Field("", max_length=polls.QUESTION_LIMIT)
    options: list[OptionBody] = Field(min_length=1, max_length=polls.MAX_OPTIONS + 4)
    audience: str = Field("all", max_length=60)
    closes_at: dt.datetime


def create(session: Session, runtime: Runtime, body: PollBody, author: str) -> tuple[Poll, int]:
    """The poll, sent to its audience; how many were asked."""
    community = home(session)
    if community is None:
        raise PollError("audience", "no community in the database")
    closes = body.closes_at if body.closes_at.tzinfo else body.closes_at.replace(
        tzinfo=runtime.timezone)
    options = [o.model_dump() for o in body.options if o.zh.strip() or o.en.strip()]
    now = runtime.now()
    poll = polls.create(session, community, {"zh": body.question_zh, "en": body.question_en},
                        options, body.audience, closes, author, now)
    return poll, telling.send(session, runtime, poll, now)


def status_of(poll: Poll, now: dt.datetime) -> str:
    if poll.published_at is not None:
        return "published"
    return "open" if polls.is_open(poll, now) else "closed"


def poll_out(session: Session, runtime: Runtime, poll: Poll, language: str) -> dict[str, Any]:
    tally = polls.tally(session, poll)
    asked = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.batch == f"poll:{poll.id}")) or 0
    return {"id": poll.id, "question": poll.question, "options": poll.options,
            "audience": poll.audience,
            "audience_name": audience_name(runtime, poll.audience, language),
            "closes_at": runtime.local(poll.closes_at).isoformat(),
            "status": status_of(poll, runtime.now()), "asked": int(asked),
            "published_at": runtime.local(poll.published_at).isoformat()
            if poll.published_at else None,
            "results": [{"option": option, "votes": count}
                        for option, count in zip(poll.options, tally.counts, strict=True)],
            "total": tally.total}


def chart(out: dict[str, Any], language: str) -> Markup:
    """The results as bars, one per option (nlu_charts' SVG: no script, text escaped)."""
    labels = [polls.text_in(r["option"], language) for r in out["results"]]
    return stacked_bars(polls.text_in(out["question"], language), labels,
                        {translate("evt_votes", language): [r["votes"] for r in out["results"]]})


def router(ctx: ConsoleContext, roles: tuple[str, ...]) -> APIRouter:
    """The polls' routes; console/events.py includes them (and their menu item)."""
    api = APIRouter()
    staff_api = Annotated[Principal, Depends(require(ctx, *roles))]
    staff_page = Annotated[Principal, Depends(page(ctx, *roles))]

    def listing(language: str) -> list[dict[str, Any]]:
        runtime = current_runtime()
        with ctx.sessions() as session:
            community = home(session)
            if community is None:
                return []
            return [poll_out(session, runtime, p, language)
                    for p in polls.listed(session, community.id, _LIST)]

    def one(poll_id: int, language: str) -> dict[str, Any] | None:
        runtime = current_runtime()
        with ctx.sessions() as session:
            poll = session.get(Poll, poll_id)
            return poll_out(session, runtime, poll, language) if poll is not None else None

    def do_create(who: Principal, body: PollBody) -> dict[str, Any]:
        runtime = current_runtime()
        with transaction(ctx.sessions) as session:
            poll, asked = create(session, runtime, body, who.username)
            audit.record(session, session.get(ConsoleUser, who.id), "poll_create", ctx.now(),
                         target=f"poll:{poll.id}",
                         details=body.model_dump(mode="json") | {"asked": asked})
            return poll_out(session, runtime, poll, who.language)

    def do_publish(who: Principal, poll_id: int) -> int | None:
        """How many were told; None: no such poll; PollError "already": published before."""
        runtime = current_runtime()
        with transaction(ctx.sessions) as session:
            poll = session.get(Poll, poll_id, with_for_update=True)
            if poll is None:
                return None
            if poll.published_at is not None:
                raise PollError("already", "the results were published already")
            told = telling.publish(session, runtime, poll, runtime.now())
            audit.record(session, session.get(ConsoleUser, who.id), "poll_publish", ctx.now(),
                         target=f"poll:{poll.id}", details={"told": told})
            return told

    def refusal(error: PollError) -> JSONResponse:
        return JSONResponse({"error": error.code, "message": str(error)}, status_code=422)

    @api.get("/api/polls")
    def polls_api(who: staff_api) -> dict[str, Any]:
        return {"items": listing(who.language)}

    @api.post("/api/polls", status_code=201, response_model=None)
    def create_api(body: PollBody, who: staff_api) -> dict[str, Any] | JSONResponse:
        try:
            return do_create(who, body)
        except PollError as refused:
            return refusal(refused)

    @api.get("/api/polls/{poll_id}", response_model=None)
    def poll_api(poll_id: int, who: staff_api) -> dict[str, Any] | JSONResponse:
        found = one(poll_id, who.language)
        return found if found is not None else JSONResponse({"error": "not_found"}, 404)

    @api.post("/api/polls/{poll_id}/publish", response_model=None)
    def publish_api(poll_id: int, who: staff_api) -> dict[str, int] | JSONResponse:
        try:
            told = do_publish(who, poll_id)
        except PollError as refused:
            return JSONResponse({"error": refused.code}, status_code=409)
        if told is None:
            return JSONResponse({"error": "not_found"}, 404)
        return {"told": told}

    # -- pages ---------------------------------------------------------------------------------

    def back(request: Request, path: str, message: str, count: int | None = None
             ) -> RedirectResponse:
        extra = f"&n={count}" if count is not None else ""
        return RedirectResponse(f"{root(request)}{path}?m={message}{extra}", status_code=303)

    def shown(request: Request, who: Principal) -> str | None:
        message = request.query_params.get("m", "")
        if f"evt_{message}" not in CATALOGUE:
            return None
        return translate(f"evt_{message}", who.language, count=request.query_params.get("n", ""))

    @api.get("/polls")
    def polls_page(request: Request, who: staff_page) -> Response:
        runtime = current_runtime()
        return render(ctx, request, "polls.html", who, items=listing(who.language),
                      message=shown(request, who), zone=str(runtime.timezone),
                      slots=range(1, polls.MAX_OPTIONS + 1),
                      default_close=(runtime.local(runtime.now()) + dt.timedelta(days=3))
                      .strftime("%Y-%m-%dT18:00"), text_in=polls.text_in)

    @api.post("/polls")
    async def create_page(request: Request, who: staff_page) -> Response:
        form = await request.form()
        try:
            body = PollBody.model_validate({
                "question_zh": str(form.get("question_zh") or ""),
                "question_en": str(form.get("question_en") or ""),
                "audience": str(form.get("audience") or "all"),
                "closes_at": str(form.get("closes_at") or ""),
                "options": [{"zh": str(form.get(f"option{n}_zh") or ""),
                             "en": str(form.get(f"option{n}_en") or "")}
                            for n in range(1, polls.MAX_OPTIONS + 1)]})
            made = await run_in_threadpool(do_create, who, body)
        except ValidationError:
            return back(request, "/polls", "p_closes_at")
        except PollError as refused:
            return back(request, "/polls", f"p_{refused.code}")
        return back(request, f"/polls/{made['id']}", "p_created", made["asked"])

    @api.get("/polls/{poll_id}")
    def poll_page(request: Request, poll_id: int, who: staff_page) -> Response:
        found = one(poll_id, who.language)
        if found is None:
            return render(ctx, request, "error.html", who, status=404,
                          message=translate("not_found", who.language))
        return render(ctx, request, "poll.html", who, poll=found,
                      chart=chart(found, who.language), message=shown(request, who),
                      text_in=polls.text_in)

    @api.post("/polls/{poll_id}/publish")
    async def publish_page(request: Request, poll_id: int, who: staff_page) -> Response:
        try:
            told = await run_in_threadpool(do_publish, who, poll_id)
        except PollError:
            return back(request, f"/polls/{poll_id}", "p_already")
        if told is None:
            return back(request, "/polls", "no_polls")
        return back(request, f"/polls/{poll_id}", "p_published", told)

    return api
