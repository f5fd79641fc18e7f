"""Community events from the console (共建, staff): create and edit them (time, place in zh and
en, places, waitlist), see who signed up and export the list, send a reminder now. Polls
(console/polls.py) are served with them.

Sign-ups, waitlist promotion and reminders are the chat's and the scheduler's own
(store/events.py, bot/scheduler/jobs.py ``remind_event``); every change is audited.

No postponed annotations: route parameters name types made inside ``router``.
"""

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from actions.events import event_values
from actions.notify import notify_person
from actions.runtime import Runtime
from actions.runtime import current as current_runtime
from bot.scheduler.jobs import Jobs
from console import polls
from console.context import ConsoleContext, MenuItem
from console.events_texts import TEXTS
from console.i18n import CATALOGUE, translate
from console.rendering import render, root
from console.security import Principal, page, require
from store import audit, events
from store.community import home
from store.database import transaction
from store.models import Community, ConsoleUser, Event, EventSignup, Person, SignupStatus
from store.signups_export import as_csv, as_xlsx

#: Who may run events: staff, as notices (DESIGN.md: staff see all tickets, notices, events).
ROLES = ("staff",)
#: Past events shown on the list, besides every one to come.
_PAST_DAYS = 30
#: Changes those signed up are told of.
_MOVES = frozenset({"starts_at", "place", "place_en"})


class EventBody(BaseModel):
    """``POST /console/api/events``. A time without an offset is the community's local time."""

    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field("", max_length=200)
    place: str = Field(min_length=1, max_length=200)  # in Chinese, or the only name it has
    place_en: str = Field("", max_length=200)
    starts_at: dt.datetime
    capacity: int = Field(30, ge=1, le=10_000)
    waitlist: bool = True
    key: str = Field("", max_length=40)  # the NLU's event value; made from the title if empty

    @field_validator("title_zh", "title_en", "place", "place_en", "key")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()


class EventPatch(BaseModel):
    """``PATCH /console/api/events/{id}``: only what is given changes."""

    title_zh: str | None = Field(None, min_length=1, max_length=200)
    title_en: str | None = Field(None, max_length=200)
    place: str | None = Field(None, min_length=1, max_length=200)
    place_en: str | None = Field(None, max_length=200)
    starts_at: dt.datetime | None = None
    capacity: int | None = Field(None, ge=1, le=10_000)
    waitlist: bool | None = None
    cancelled: bool | None = None


class EventError(ValueError):
    """``code``: "taken" (same key at the same time), "not_found"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]


def _aware(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _community(session: Session) -> Community:
    community = home(session)
    if community is None:
        raise EventError("not_found")
    return community


def _event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None or event.community_id != _community(session).id:
        raise EventError("not_found")
    return event


def _check_free(session: Session, event: Event) -> None:
    if session.scalar(select(Event.id).where(
            Event.community_id == event.community_id, Event.key == event.key,
            Event.starts_at == event.starts_at, Event.id != (event.id or 0))) is not None:
        raise EventError("taken")


def create(session: Session, body: EventBody, zone: dt.tzinfo) -> Event:
    community = _community(session)
    event = Event(community_id=community.id, title_zh=body.title_zh,
                  title_en=body.title_en or body.title_zh, place=body.place,
                  place_en=body.place_en or None, starts_at=_aware(body.starts_at, zone),
                  capacity=body.capacity, waitlist=body.waitlist,
                  key=body.key or _slug(body.title_en) or "event")
    _check_free(session, event)
    session.add(event)
    session.flush()
    return event


def edit(session: Session, runtime: Runtime, event: Event, patch: EventPatch,
         now: dt.datetime) -> dict[str, Any]:
    """Apply ``patch``; waitlisted residents who now have a place are moved up and told.
    Returns what changed (for the audit log), with ``promoted``."""
    changes = patch.model_dump(exclude_none=True)
    if "starts_at" in changes:
        changes["starts_at"] = _aware(changes["starts_at"], runtime.timezone)
    if changes.get("place_en") == "":
        changes["place_en"] = None
    changes = {k: v for k, v in changes.items() if getattr(event, k) != v}
    for name, value in changes.items():
        setattr(event, name, value)
    _check_free(session, event)
    session.flush()
    promoted = [] if event.cancelled else events.promote(session, event, now)
    for signup in promoted:
        person = session.get(Person, signup.person_id)
        if person is not None:
            notify_person(session, runtime, person, "utter_notify_promoted_places",
                          f"event:{event.id}:promoted:{signup.id}",
                          **event_values(runtime, session, event, person.language or "zh"))
    news = "utter_notify_event_cancelled" if changes.get("cancelled") else \
        "utter_notify_event_changed" if not event.cancelled and _MOVES & changes.keys() \
        else None
    told = 0
    if news is not None:  # whoever planned to come hears of it, the waitlist too
        for person in events.people_signed_up(session, event):
            told += notify_person(
                session, runtime, person, news,
                f"event:{event.id}:{news.removeprefix('utter_notify_event_')}:"
                f"{now.isoformat()}:{person.id}",
                **event_values(runtime, session, event, person.language or "zh"))
    return {k: str(v) for k, v in changes.items()} | {"promoted": len(promoted),
                                                       "told": told}


def waiting(session: Session, event: Event) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(EventSignup.count), 0)).where(
        EventSignup.event_id == event.id, EventSignup.status == SignupStatus.WAITLISTED)) or 0)


def event_out(session: Session, event: Event, zone: dt.tzinfo) -> dict[str, Any]:
    return {"id": event.id, "key": event.key, "title_zh": event.title_zh,
            "title_en": event.title_en, "place": event.place, "place_en": event.place_en,
            "starts_at": event.starts_at.astimezone(zone).isoformat(),
            "capacity": event.capacity, "waitlist": event.waitlist,
            "cancelled": event.cancelled, "taken": events.seats_taken(session, event),
            "waiting": waiting(session, event)}


def signups_out(session: Session, event: Event, zone: dt.tzinfo) -> dict[str, Any]:
    rows = events.signups(session, event)
    return {"event": event_out(session, event, zone),
            "signups": [{"name": r.name, "phone": r.phone, "building": r.building,
                         "count": r.count, "status": r.status, "position": r.position,
                         "signed_up_at": r.signed_up_at.astimezone(zone).isoformat()}
                        for r in rows]}


def _problem(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def _form_values(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in names
                              if form.get(name) not in (None, "")}
    return values


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu.append(MenuItem("/events", "evt_events", ROLES))
    ctx.menu.append(MenuItem("/polls", "evt_polls", ROLES))
    api = APIRouter()
    staff_api = Annotated[Principal, Depends(require(ctx, *ROLES))]
    staff_page = Annotated[Principal, Depends(page(ctx, *ROLES))]

    def not_found() -> JSONResponse:
        return JSONResponse({"error": "not_found"}, status_code=404)

    def listing() -> list[dict[str, Any]]:
        zone = current_runtime().timezone
        with ctx.sessions() as session:
            community = home(session)
            if community is None:
                return []
            since = ctx.now() - dt.timedelta(days=_PAST_DAYS)
            return [event_out(session, e, zone)
                    for e in events.of_community(session, community.id, since)]

    def do_create(who: Principal, body: EventBody) -> dict[str, Any]:
        runtime = current_runtime()
        with transaction(ctx.sessions) as session:
            event = create(session, body, runtime.timezone)
            audit.record(session, session.get(ConsoleUser, who.id), "event_create", ctx.now(),
                         target=f"event:{event.id}",
                         details=body.model_dump(mode="json"))
            return event_out(session, event, runtime.timezone)

    def do_edit(who: Principal, event_id: int, patch: EventPatch) -> dict[str, Any]:
        runtime = current_runtime()
        with transaction(ctx.sessions) as session:
            event = _event(session, event_id)
            changed = edit(session, runtime, event, patch, runtime.now())
            audit.record(session, session.get(ConsoleUser, who.id), "event_edit", ctx.now(),
                         target=f"event:{event.id}", details=changed)
            return event_out(session, event, runtime.timezone) | {
                "promoted": changed["promoted"], "told": changed["told"]}

    def do_remind(who: Principal, event_id: int) -> int:
        runtime = current_runtime()
        with transaction(ctx.sessions) as session:
            event = _event(session, event_id)
            now = runtime.now()
            reminded = Jobs(runtime).remind_event(session, event, now,
                                                  f"console:{now.isoformat()}")
            audit.record(session, session.get(ConsoleUser, who.id), "event_remind", ctx.now(),
                         target=f"event:{event.id}", details={"reminded": reminded})
            return reminded

    def signups_of(event_id: int) -> dict[str, Any]:
        with ctx.sessions() as session:
            return signups_out(session, _event(session, event_id), current_runtime().timezone)

    # -- JSON API ------------------------------------------------------------------------------

    @api.get("/api/events")
    def events_api(_who: staff_api) -> dict[str, Any]:
        return {"items": listing()}

    @api.post("/api/events", status_code=201, response_model=None)
    def create_api(body: EventBody, who: staff_api) -> dict[str, Any] | JSONResponse:
        try:
            return do_create(who, body)
        except EventError as refused:
            return JSONResponse({"error": refused.code}, status_code=409)

    @api.patch("/api/events/{event_id}", response_model=None)
    @api.post("/api/events/{event_id}", response_model=None)
    def edit_api(event_id: int, patch: EventPatch, who: staff_api
                 ) -> dict[str, Any] | JSONResponse:
        try:
            return do_edit(who, event_id, patch)
        except EventError as refused:
            return not_found() if refused.code == "not_found" else JSONResponse(
                {"error": refused.code}, status_code=409)

    @api.get("/api/events/{event_id}/signups", response_model=None)
    def signups_api(event_id: int, _who: staff_api) -> dict[str, Any] | JSONResponse:
        try:
            return signups_of(event_id)
        except EventError:
            return not_found()

    @api.post("/api/events/{event_id}/remind", response_model=None)
    def remind_api(event_id: int, who: staff_api) -> dict[str, int] | JSONResponse:
        try:
            return {"reminded": do_remind(who, event_id)}
        except EventError:
            return not_found()

    # -- exports -------------------------------------------------------------------------------

    def export(event_id: int, kind: str) -> Response:
        zone = current_runtime().timezone
        with ctx.sessions() as session:
            try:
                event = _event(session, event_id)
            except EventError:
                return Response(status_code=404)
            rows = events.signups(session, event)
            title = f"{event.title_zh} {event.starts_at.astimezone(zone):%Y-%m-%d %H:%M}"
        name = f"signups-{event_id}.{kind}"
        body, media = (as_csv(rows, zone), "text/csv; charset=utf-8") if kind == "csv" else (
            as_xlsx(rows, zone, title),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

    @api.get("/events/{event_id}/signups.csv")
    def signups_csv(event_id: int, _who: staff_page) -> Response:
        return export(event_id, "csv")

    @api.get("/events/{event_id}/signups.xlsx")
    def signups_xlsx(event_id: int, _who: staff_page) -> Response:
        return export(event_id, "xlsx")

    # -- pages ---------------------------------------------------------------------------------

    def back(request: Request, path: str, message: str, **extra: str) -> RedirectResponse:
        from urllib.parse import urlencode

        return RedirectResponse(f"{root(request)}{path}?{urlencode({'m': message, **extra})}",
                                status_code=303)

    def shown_message(request: Request, who: Principal) -> str | None:
        message = request.query_params.get("m")
        if not message or f"evt_{message}" not in CATALOGUE:
            return None
        return translate(f"evt_{message}", who.language,
                         count=request.query_params.get("n", ""),
                         detail=request.query_params.get("d", "")[:300])

    @api.get("/events")
    def events_page(request: Request, who: staff_page) -> Response:
        runtime = current_runtime()
        return render(ctx, request, "events.html", who, items=listing(),
                      message=shown_message(request, who), zone=str(runtime.timezone),
                      default_start=(runtime.local(runtime.now()) + dt.timedelta(days=7))
                      .strftime("%Y-%m-%dT10:00"))

    @api.post("/events")
    async def create_page(request: Request, who: staff_page) -> Response:
        form = await request.form()
        values = _form_values(form, ("title_zh", "title_en", "place", "place_en", "starts_at",
                                     "capacity", "key"))
        values["waitlist"] = form.get("waitlist") == "on"
        try:
            body = EventBody.model_validate(values)
            made = await run_in_threadpool(do_create, who, body)
        except ValidationError as wrong:
            return back(request, "/events", "e_invalid", d=_problem(wrong))
        except EventError as refused:
            return back(request, "/events", f"e_{refused.code}")
        return back(request, f"/events/{made['id']}", "e_created")

    @api.get("/events/{event_id}")
    def event_page(request: Request, event_id: int, who: staff_page) -> Response:
        runtime = current_runtime()
        try:
            listed = signups_of(event_id)
        except EventError:
            return render(ctx, request, "error.html", who, status=404,
                          message=translate("not_found", who.language))
        starts = dt.datetime.fromisoformat(listed["event"]["starts_at"])
        return render(ctx, request, "event.html", who, event=listed["event"],
                      signups=listed["signups"], message=shown_message(request, who),
                      zone=str(runtime.timezone), starts=starts.strftime("%Y-%m-%dT%H:%M"))

    @api.post("/events/{event_id}")
    async def edit_page(request: Request, event_id: int, who: staff_page) -> Response:
        form = await request.form()
        values = _form_values(form, ("title_zh", "title_en", "place", "starts_at",
                                     "capacity"))
        values["place_en"] = str(form.get("place_en") or "")
        values["waitlist"] = form.get("waitlist") == "on"
        values["cancelled"] = form.get("cancelled") == "on"
        try:
            changed = await run_in_threadpool(do_edit, who, event_id,
                                              EventPatch.model_validate(values))
        except ValidationError as wrong:
            return back(request, f"/events/{event_id}", "e_invalid", d=_problem(wrong))
        except EventError as refused:
            return back(request, f"/events/{event_id}" if refused.code == "taken"
                        else "/events", f"e_{refused.code}")
        if changed["promoted"]:
            return back(request, f"/events/{event_id}", "e_promoted", n=str(changed["promoted"]))
        if changed["told"]:
            return back(request, f"/events/{event_id}", "e_told", n=str(changed["told"]))
        return back(request, f"/events/{event_id}", "e_saved")

    @api.post("/events/{event_id}/remind")
    async def remind_page(request: Request, event_id: int, who: staff_page) -> Response:
        try:
            reminded = await run_in_threadpool(do_remind, who, event_id)
        except EventError:
            return back(request, "/events", "e_invalid", d="not found")
        return back(request, f"/events/{event_id}", "e_reminded", n=str(reminded))

    api.include_router(polls.router(ctx, ROLES))
    return api
