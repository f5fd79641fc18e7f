"""Notices from the console (staff): compose a bilingual notice, see who gets it before it
goes, send it now, once or recurring, follow its delivery live, cancel it.

The rules are the chat's /broadcast ones: the audience, the first run, quiet hours and the
confirmation threshold come from ``store.notices.plan`` and ``create`` (the dry run and the send
read the same list; ``bot.notice_dry_run`` words the dry run, for ``linli notice create`` too),
and only staff may send. Pages work without JavaScript (the composer posts to a preview page,
which posts the send); notices.js adds the live audience preview and live delivery counts.

No postponed annotations: route parameters name types made inside ``router``.
"""

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from actions.notices import audience_name
from actions.runtime import Runtime
from actions.runtime import current as current_runtime
from bot.notice_dry_run import Draft, dry_run, home_community, warnings
from console.context import STATIC, ConsoleContext, MenuItem
from console.i18n import CATALOGUE, translate
from console.live import stream
from console.notices_texts import TEXTS
from console.rendering import asset_response, render, root
from console.security import Principal, page, require
from nlu.schedule import Schedule, describe, parse_schedule
from store import audit, notices
from store.database import transaction
from store.models import (
    Building,
    ConsoleUser,
    Grid,
    Notice,
    NoticeRun,
    NoticeStatus,
    Person,
)
from store.notices import Audience, NoticeError, NoticePlan

#: Who may send notices: as /broadcast in the chat, staff only.
ROLES = ("staff",)
_LIST = 100  # notices on the list page and in the JSON list, newest first
_RUNS = 20  # sendings shown per notice
_ASSETS = {"notices.js": "text/javascript", "notices.css": "text/css"}
COUNTS = ("delivered", "failed", "unreachable", "waiting", "pending")


class NoticeBody(BaseModel):
    """``POST /console/api/notices``: a dry run (the default) or the notice itself."""

    to: str = Field(max_length=60)  # all, grid:G1, building:3, groups, language:en
    when: str = Field("now", max_length=200)  # now, 2026-12-07T08:00, 每周一8点, a crontab
    zh: str = Field("", max_length=4000)
    en: str = Field("", max_length=4000)
    dry_run: bool = True
    #: send to an audience above the confirmation size at once; without it such a notice
    #: waits for ``POST /console/api/notices/{id}/confirm`` (as /broadcast asks "send?")
    confirm: bool = False


def read_when(text: str, now: dt.datetime) -> Schedule:
    """``now``, a local date and time (a form's ``2026-12-07T08:00``) or anything staff type
    in the chat ("明天8点", "every Monday 8:00", a crontab); ``now`` is the community's local
    time. A moment already past is refused by ``store.notices.first_run``."""
    text = text.strip()
    if text in ("", "now"):
        return Schedule()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        schedule = parse_schedule(text, now)
        if schedule is None:
            raise NoticeError("when", f"not a time I understand: {text!r}") from None
        return schedule
    return Schedule(at=moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo))


def read_draft(to: str, when: str, texts: Mapping[str, str], runtime: Runtime) -> Draft:
    return Draft(Audience.parse(to), read_when(when, runtime.local(runtime.now())),
                 {code: texts[code].strip() for code in ("zh", "en")
                  if texts.get(code, "").strip()},
                 when.strip() or "now")


def send(session: Session, runtime: Runtime, draft: Draft, author: Person | None,
         confirmed: bool) -> tuple[Notice, int]:
    """Make the notice as /broadcast does; ``confirmed`` is the author's yes to a large
    audience, given beforehand. Returns it and how many it reaches now."""
    notice, reach = notices.create(
        session, community=home_community(session), author=author, texts=draft.texts,
        audience=draft.audience, at=draft.schedule.at, cron=draft.schedule.cron,
        now=runtime.now(), zone=runtime.timezone,
        confirm_above=runtime.policy.notices.confirm_above)
    if confirmed and notice.status == NoticeStatus.AWAITING_CONFIRMATION:
        notices.confirm(notice, runtime.now(), runtime.timezone)
    return notice, reach


def plan_out(plan: NoticePlan, draft: Draft, runtime: Runtime,
             language: str) -> dict[str, Any]:
    """The dry run's answer: ``store.notices.NoticePlan`` and what it means in words."""
    return {**plan.as_dict(), "to": str(draft.audience),
            "to_name": audience_name(runtime, str(draft.audience), language),
            "when": describe(dataclasses.replace(
                draft.schedule, at=runtime.local(draft.schedule.at))
                if draft.schedule.at else draft.schedule, language),
            "first_run": runtime.local(plan.first_run).isoformat(),
            "held_until": runtime.local(plan.held_until).isoformat()
            if plan.held_until else None,
            "confirm_above": runtime.policy.notices.confirm_above,
            "warnings": warnings(plan, draft, runtime, language)}


def _local(runtime: Runtime, moment: dt.datetime | None) -> str | None:
    return runtime.local(moment).isoformat() if moment else None


def run_out(runtime: Runtime, run: NoticeRun,
            counts: notices.DeliveryCounts) -> dict[str, Any]:
    return {"id": run.id, "due_at": _local(runtime, run.due_at),
            "ran_at": _local(runtime, run.ran_at), "missed": run.missed,
            "recipients": run.recipients, **dataclasses.asdict(counts)}


def notice_out(runtime: Runtime, notice: Notice, language: str, runs: Sequence[NoticeRun],
               counts: Mapping[int, notices.DeliveryCounts],
               author: str | None) -> dict[str, Any]:
    """A notice with ``runs`` (its latest sendings, newest first) and what became of each
    one's messages."""
    # A one-off notice already sent has no next run: its time is its sending's.
    once = notice.next_run_at or (runs[-1].due_at if runs else None)
    schedule = Schedule(cron=notice.cron) if notice.cron else Schedule(
        at=runtime.local(once) if once else None)
    return {"id": notice.id, "status": str(notice.status),
            "status_name": translate(f"nt_status_{notice.status}", language),
            "to": notice.audience, "to_name": audience_name(runtime, notice.audience, language),
            "texts": notice.texts, "cron": notice.cron,
            "when": describe(schedule, language) if notice.cron or once else "",
            "next_run_at": _local(runtime, notice.next_run_at),
            "created_at": _local(runtime, notice.created_at),
            "cancelled_at": _local(runtime, notice.cancelled_at), "author": author,
            "runs": [run_out(runtime, run, counts[run.id]) for run in runs]}


def one(session: Session, runtime: Runtime, notice: Notice, language: str) -> dict[str, Any]:
    """A notice with its last sendings (its page)."""
    runs = session.scalars(select(NoticeRun).where(NoticeRun.notice_id == notice.id)
                           .order_by(NoticeRun.id.desc()).limit(_RUNS)).all()
    author = session.get(Person, notice.author_id) if notice.author_id else None
    return notice_out(runtime, notice, language, runs, notices.deliveries(session, runs),
                      author.name if author else None)


def listed(session: Session, runtime: Runtime, language: str) -> list[dict[str, Any]]:
    """The latest notices, each with its latest sending (the list page and its live
    updates: a few queries, however many notices)."""
    community = home_community(session)
    shown = session.scalars(select(Notice).where(Notice.community_id == community.id)
                            .order_by(Notice.id.desc()).limit(_LIST)).all()
    ids = [notice.id for notice in shown]
    latest = {run.notice_id: run for run in session.scalars(select(NoticeRun).where(
        NoticeRun.id.in_(select(func.max(NoticeRun.id)).where(NoticeRun.notice_id.in_(ids))
                         .group_by(NoticeRun.notice_id))))} if ids else {}
    counts = notices.deliveries(session, list(latest.values()))
    authors = {person.id: person.name for person in session.scalars(select(Person).where(
        Person.id.in_({notice.author_id for notice in shown if notice.author_id})))}
    return [notice_out(runtime, notice, language,
                       [latest[notice.id]] if notice.id in latest else [], counts,
                       authors.get(notice.author_id) if notice.author_id else None)
            for notice in shown]


@dataclass(frozen=True, slots=True)
class AudienceChoice:
    spec: str
    label: str


def audience_choices(session: Session, runtime: Runtime,
                     language: str) -> list[tuple[str, list[AudienceChoice]]]:
    """The composer's audiences, in groups: everyone, each grid, each building, the rest."""
    community = home_community(session)
    grids = session.scalars(select(Grid).where(Grid.community_id == community.id)
                            .order_by(Grid.code)).all()
    numbers = session.scalars(select(Building.number).where(
        Building.community_id == community.id)).all()
    buildings = sorted(numbers, key=lambda number: (len(number), number))

    def choice(spec: str) -> AudienceChoice:
        return AudienceChoice(spec, audience_name(runtime, spec, language))

    return [("nt_all", [choice("all")]),
            ("nt_grids", [AudienceChoice(f"grid:{g.code}", f"{g.code} · {g.name}")
                          for g in grids]),
            ("nt_buildings", [choice(f"building:{number}") for number in buildings]),
            ("nt_other", [choice("groups"), choice("language:zh"), choice("language:en")])]


def _error(error: NoticeError, language: str, status: int = 422) -> JSONResponse:
    return JSONResponse({"error": error.code, "message": translate(
        f"nt_error_{error.code}", language)}, status_code=status)


def _form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The composer's fields, the schedule's three ways folded into one ``when``."""
    values = {key: str(form.get(key) or "")[:4000] for key in
              ("to", "zh", "en", "kind", "at", "repeat", "confirm")}
    values["kind"] = values["kind"] if values["kind"] in ("now", "once", "recurring") \
        else "now"
    # "Once" or "recurring" with no time given is a mistake, not "now".
    values["when"] = {"now": "now", "once": values["at"],
                      "recurring": values["repeat"]}[values["kind"]][:200].strip() or "?"
    values["to"] = values["to"][:60] or "all"
    return values


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu.append(MenuItem("/notices", "nt_menu", ROLES))
    api = APIRouter()
    staff_api = Annotated[Principal, Depends(require(ctx, *ROLES))]
    staff_page = Annotated[Principal, Depends(page(ctx, *ROLES))]

    def audit_it(session: Session, who: Principal, action: str, notice: Notice,
                 **details: Any) -> None:
        audit.record(session, session.get(ConsoleUser, who.id), action, ctx.now(),
                     target=f"notice:{notice.id}", details=details or None)

    def compose(who: Principal, body: NoticeBody) -> dict[str, Any]:
        """The dry run, or the send with what the dry run says (one transaction)."""
        runtime = current_runtime()
        draft = read_draft(body.to, body.when, {"zh": body.zh, "en": body.en}, runtime)
        with transaction(ctx.sessions) as session:
            plan = dry_run(session, runtime, draft)
            answer = {"dry_run": body.dry_run, **plan_out(plan, draft, runtime, who.language),
                      "notice": None}
            if body.dry_run:
                return answer
            author = session.get(Person, who.person_id) if who.person_id else None
            notice, reach = send(session, runtime, draft, author, body.confirm)
            audit_it(session, who, "notice_created", notice, to=notice.audience,
                     when=draft.when, reach=reach, status=str(notice.status))
            answer["notice"] = one(session, runtime, notice, who.language)
            answer["needs_confirmation"] = notice.status == NoticeStatus.AWAITING_CONFIRMATION
            return answer

    def change(who: Principal, number: int, how: str) -> dict[str, Any]:
        """Cancel a notice, or confirm one that waits for it."""
        runtime = current_runtime()
        with transaction(ctx.sessions) as session:
            notice = session.get(Notice, number, with_for_update=True)
            if notice is None or notice.community_id != home_community(session).id:
                raise NoticeError("not_found", f"no notice {number}")
            if how == "cancel":
                notices.cancel(notice, runtime.now())
            else:
                notices.confirm(notice, runtime.now(), runtime.timezone)
            audit_it(session, who, f"notice_{how}", notice)
            return one(session, runtime, notice, who.language)

    def detail(who: Principal, number: int) -> dict[str, Any] | None:
        runtime = current_runtime()
        with ctx.sessions() as session:
            notice = session.get(Notice, number)
            if notice is None or notice.community_id != home_community(session).id:
                return None
            return one(session, runtime, notice, who.language)

    def everything(who: Principal) -> list[dict[str, Any]]:
        with ctx.sessions() as session:
            return listed(session, current_runtime(), who.language)

    # -- JSON API ---------------------------------------------------------------------------

    @api.post("/api/notices", response_model=None)
    def create_api(body: NoticeBody, who: staff_api) -> dict[str, Any] | JSONResponse:
        try:
            return compose(who, body)
        except NoticeError as error:
            return _error(error, who.language)

    @api.get("/api/notices")
    def list_api(who: staff_api) -> dict[str, Any]:
        try:
            return {"items": everything(who)}
        except NoticeError:
            return {"items": []}

    @api.get("/api/notices/live")
    def live_api(request: Request, who: staff_api, notice: int | None = None) -> Response:
        """The list (or one notice) as Server-Sent Events, sent again whenever it changes."""
        def snapshot() -> dict[str, Any]:
            if notice is not None:
                one = detail(who, notice)
                return {"items": [one] if one else []}
            return {"items": everything(who)}

        return stream(request, snapshot)

    @api.get("/api/notices/{number}", response_model=None)
    def detail_api(number: int, who: staff_api) -> dict[str, Any] | JSONResponse:
        found = detail(who, number)
        if found is None:
            return _error(NoticeError("not_found", ""), who.language, 404)
        return found

    @api.post("/api/notices/{number}/{how}", response_model=None)
    def change_api(number: int, how: str, who: staff_api) -> dict[str, Any] | JSONResponse:
        if how not in ("cancel", "confirm"):
            return _error(NoticeError("not_found", how), who.language, 404)
        try:
            return change(who, number, how)
        except NoticeError as error:
            return _error(error, who.language, 404 if error.code == "not_found" else 422)

    # -- pages ------------------------------------------------------------------------------

    @api.get("/notices/assets/{name}")
    def asset(name: str, _who: staff_page) -> Response:
        if name not in _ASSETS:
            return Response(status_code=404)
        return asset_response(STATIC / name, _ASSETS[name])

    @api.get("/notices")
    def list_page(request: Request, who: staff_page) -> Response:
        try:
            items = everything(who)
        except NoticeError:
            items = []
        return render(ctx, request, "notices.html", who, items=items, counts=COUNTS,
                      message=request.query_params.get("m"))

    def composer(request: Request, who: Principal, values: dict[str, str],
                 error: str | None = None, status: int = 200) -> Response:
        """The composer with ``values`` filled in and the audience they name previewed."""
        runtime = current_runtime()
        choices: list[tuple[str, list[AudienceChoice]]] = []
        preview: dict[str, Any] | None = None
        with ctx.sessions() as session:
            try:
                choices = audience_choices(session, runtime, who.language)
                draft = read_draft(values["to"], values["when"], values, runtime)
                preview = plan_out(dry_run(session, runtime, draft), draft, runtime,
                                   who.language)
            except NoticeError:
                pass  # the error the author is told comes with ``error``
        return render(ctx, request, "notice_new.html", who, values=values, choices=choices,
                      preview=preview, error=error, status=status)

    @api.get("/notices/new")
    def new_page(request: Request, who: staff_page, to: str = Query("all", max_length=60)
                 ) -> Response:
        return composer(request, who, _form_values({"to": to}))

    @api.post("/notices/new")
    async def back_to_composer(request: Request, who: staff_page) -> Response:
        """"Back to edit" from the preview page: the composer as it was left."""
        values = _form_values(await request.form())
        return await run_in_threadpool(composer, request, who, values)

    @api.get("/notices/audience")
    def audience_fragment(request: Request, who: staff_page,
                          to: str = Query("all", max_length=60),
                          when: str = Query("now", max_length=200),
                          text: bool = False) -> Response:
        """The composer's live preview, as HTML the script puts in place (escaped here)."""
        runtime = current_runtime()
        try:
            draft = read_draft(to, when, {"zh": "x"} if text else {}, runtime)
            with ctx.sessions() as session:
                preview = plan_out(dry_run(session, runtime, draft), draft, runtime,
                                   who.language)
        except NoticeError as error:
            return render(ctx, request, "notice_audience.html", who, preview=None,
                          error=f"nt_error_{error.code}")
        return render(ctx, request, "notice_audience.html", who, preview=preview, error=None)

    @api.post("/notices/preview")
    async def preview_page(request: Request, who: staff_page) -> Response:
        values = _form_values(await request.form())

        def build() -> Response:
            runtime = current_runtime()
            try:
                draft = read_draft(values["to"], values["when"], values, runtime)
                if not draft.texts:
                    raise NoticeError("text", "no text")
                with ctx.sessions() as session:
                    preview = plan_out(dry_run(session, runtime, draft), draft, runtime,
                                       who.language)
            except NoticeError as error:
                return composer(request, who, values, f"nt_error_{error.code}", 422)
            return render(ctx, request, "notice_preview.html", who, values=values,
                          preview=preview, draft=draft)

        return await run_in_threadpool(build)

    @api.post("/notices/send")
    async def send_page(request: Request, who: staff_page) -> Response:
        values = _form_values(await request.form())
        body = NoticeBody(to=values["to"], when=values["when"], zh=values["zh"],
                          en=values["en"], dry_run=False, confirm=values["confirm"] == "yes")
        try:
            answer = await run_in_threadpool(compose, who, body)
        except NoticeError as error:
            return await run_in_threadpool(composer, request, who, values,
                                           f"nt_error_{error.code}", 422)
        made = answer["notice"]
        message = "to_confirm" if made["status"] == NoticeStatus.AWAITING_CONFIRMATION \
            else "created"
        return RedirectResponse(f"{root(request)}/notices/{made['id']}?m={message}", 303)

    @api.get("/notices/{number:int}")
    def detail_page(request: Request, number: int, who: staff_page) -> Response:
        found = detail(who, number)
        if found is None:
            return render(ctx, request, "error.html", who, status=404,
                          message=translate("nt_error_not_found", who.language))
        return render(ctx, request, "notice.html", who, notice=found, counts=COUNTS,
                      message=request.query_params.get("m"))

    @api.post("/notices/{number:int}/{how}")
    def change_page(request: Request, number: int, how: str, who: staff_page) -> Response:
        if how not in ("cancel", "confirm"):
            return Response(status_code=404)
        try:
            change(who, number, how)
        except NoticeError as error:
            return render(ctx, request, "error.html", who, status=409,
                          message=translate(f"nt_error_{error.code}", who.language))
        message = "cancelled" if how == "cancel" else "confirmed"
        back = request.query_params.get("back")
        target = f"{root(request)}/notices" if back == "list" \
            else f"{root(request)}/notices/{number}"
        return RedirectResponse(f"{target}?m={message}", 303)

    return api
