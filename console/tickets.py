"""The staff console's ticket board: open tickets most urgent first, live; one ticket in full;
and the work on it (accept, progress, resolve, note, escalate, reassign, reply).

What is shown is store/board.py's (the chat's ``/queue`` reads the same), and every action goes
through actions/ticket_work.py ``perform``: the rules, events and notifications are the chat's
commands', whichever way a ticket is worked. A console account reaches the community through
its person: the board shows what that person may see, with the roles both the account and the
person hold (the account grants, the community's data confirms). A ticket outside that is "not
found", never "forbidden", so nobody learns which numbers exist.
"""

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload
from starlette.concurrency import run_in_threadpool

from actions.base import ActionRefusedError
from actions.runtime import Runtime
from actions.runtime import current as current_runtime
from actions.ticket_work import ACTIONS, may_handle, may_reassign, perform
from console.context import STATIC, ConsoleContext, MenuItem
from console.i18n import CATALOGUE, translate
from console.live import stream
from console.normalise import CATEGORIES
from console.rendering import asset_response, render, root
from console.security import Principal, page, read_session, require
from console.tickets_texts import TEXTS
from store import audit, board, media
from store.board import BoardError, Filters, HandoffItem, TicketDetail, Viewer
from store.community import home
from store.database import transaction
from store.masking import mask_sensitive
from store.models import (
    ConsoleUser,
    Grid,
    Handoff,
    Person,
    PersonRole,
    Role,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from store.tickets import OPEN, by_number

ROLES = ("staff", "supervisor", "grid_member")
#: How often an open board looks at the database for news.
LIVE_INTERVAL = 2.0
_ASSETS = {"tickets.js": (STATIC / "board.js", "text/javascript"),
           "tickets.css": (STATIC / "board.css", "text/css")}
_WORKERS = (Role.GRID_MEMBER, Role.SUPERVISOR, Role.STAFF)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


# -- who asks --------------------------------------------------------------------------------

def viewer_of(session: Session, who: Principal) -> Viewer:
    """The board's viewer for a console account: its person with the roles both hold; an
    account without a person sees as its roles say, in the community served."""
    granted = frozenset(who.roles)
    # The person with their roles in one statement: every board request starts here.
    person = session.get(Person, who.person_id, options=[joinedload(Person.roles)]) \
        if who.person_id is not None else None
    if person is not None:
        return Viewer(person.community_id, granted & {str(r.role) for r in person.roles},
                      person.id)
    community = home(session)
    return Viewer(community.id if community is not None else 0, granted)


def _flag(params: Mapping[str, str], name: str) -> bool | None:
    value = (params.get(name) or "").strip().lower()
    if not value:
        return None
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise BoardError(f"{name} is true or false, not {value[:20]!r}")


def _values(params: Mapping[str, str], name: str) -> list[str]:
    return [v.strip() for v in (params.get(name) or "").split(",") if v.strip()][:30]


def read_filters(params: Mapping[str, str]) -> Filters:
    """The board's filters from query parameters (API and page alike; comma lists); raises
    BoardError for a value that is not one."""
    try:
        statuses = [TicketStatus(v) for v in _values(params, "status")]
        kinds = [TicketKind(v) for v in _values(params, "kind")]
    except ValueError as error:
        raise BoardError(str(error)) from None
    categories = _values(params, "category")
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise BoardError(f"no category {unknown[0][:30]!r}")
    return Filters(grids=_values(params, "grid"), statuses=statuses, categories=categories,
                   kinds=kinds, overdue=_flag(params, "overdue"),
                   escalated=_flag(params, "escalated"), unassigned=_flag(params, "unassigned"))


# -- what is shown ---------------------------------------------------------------------------

def snapshot(session: Session, viewer: Viewer, now: dt.datetime,
             waiting: Sequence[HandoffItem] | None = None) -> dict[str, Any]:
    """What the live board watches: the viewer's headline, and marks that move whenever any
    ticket or handoff changes (the newest event, the newest and open handoffs). ``waiting``:
    the viewer's open handoffs when the caller has read them already."""
    counts = asdict(board.counts(session, viewer, as_of=now, waiting=waiting))
    # One round trip for the three marks.
    event, handoff, talking = session.execute(select(
        select(func.max(TicketEvent.id)).scalar_subquery(),
        select(func.max(Handoff.id)).scalar_subquery(),
        select(func.count()).select_from(Handoff).where(Handoff.ended_at.is_(None))
        .scalar_subquery())).one()
    marks = [event or 0, handoff or 0, talking, *counts.values()]
    return {"stamp": ".".join(str(m) for m in marks), "counts": counts}


def ticket_stamp(session: Session, ticket: Ticket) -> str:
    """What the ticket page watches: its newest event, its state and escalation level."""
    last = session.scalar(select(func.max(TicketEvent.id)).where(
        TicketEvent.ticket_id == ticket.id))
    return f"{last}.{ticket.status}.{ticket.escalation_level}"


def photo_url(base: str, number: str, index: int, file_id: str) -> str | None:
    """Where the console shows a photo: the web chat's are stored here; others (a Telegram
    file id) stay with their channel."""
    return f"{base}/tickets/{number}/photos/{index}" if file_id.startswith(media.PREFIX) \
        else None


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    name: str
    roles: list[str]


def candidates(session: Session, ticket: Ticket) -> list[Candidate]:
    """Whom a ticket may be given to: grid members, supervisors and staff of its community,
    never the one it complains about (ticket_work's rules decide in the end)."""
    rows = session.execute(
        select(Person.id, Person.name, PersonRole.role).join(PersonRole)
        .where(Person.community_id == ticket.community_id, PersonRole.role.in_(_WORKERS))
        .order_by(Person.id)).all()
    found: dict[int, Candidate] = {}
    for person_id, name, role in rows:
        if person_id == ticket.accused_id:
            continue
        found.setdefault(person_id, Candidate(person_id, name, [])).roles.append(str(role))
    return list(found.values())


def work_of(session: Session, who: Principal, ticket: Ticket) -> list[str]:
    """The actions the account's person may take on ``ticket`` (as the forms offer them)."""
    person = session.get(Person, who.person_id) if who.person_id is not None else None
    if person is None or not may_handle(person, ticket):
        return []
    if ticket.status not in OPEN:
        return ["note", "reply"]
    return [a for a in ACTIONS if a != "assign" or may_reassign(person, ticket)]


def ticket_out(session: Session, who: Principal, shown: TicketDetail, ticket: Ticket,
               base: str) -> dict[str, Any]:
    """``GET /console/api/tickets/{number}``: the ticket in full, with what the asker may do."""
    out = shown.as_dict()
    for index, photo in enumerate(out["photos"]):
        photo["url"] = photo_url(base, shown.number, index, photo["file_id"])
    work = work_of(session, who, ticket)
    out["actions"] = work
    out["assignable"] = [asdict(c) for c in candidates(session, ticket)] \
        if "assign" in work else []
    return out


# -- doing ---------------------------------------------------------------------------------

class ActionBody(BaseModel):
    action: Literal["accept", "progress", "resolve", "escalate", "note", "assign", "reply"]
    note: str | None = Field(None, max_length=2000)
    text: str | None = Field(None, max_length=2000)  # the reply
    to: int | None = None  # the person ``assign`` gives it to


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the console answers: an HTTP status, the response's name and its text."""

    status: int
    response: str
    message: str

    @property
    def ok(self) -> bool:
        return self.status == 200


_REFUSAL_STATUS = {"utter_not_allowed": 403, "utter_ask_note_text": 422,
                   "utter_ask_reply": 422, "utter_ask_ticket_number": 422}


def act(ctx: ConsoleContext, runtime: Runtime, who: Principal, number: str,
        body: ActionBody) -> Outcome | None:
    """Do ``body`` to ticket ``number`` as the account's person, through ticket_work's
    ``perform`` (the chat's rules), audited; None when the ticket is not the asker's to see."""
    now = ctx.now()
    try:
        with transaction(ctx.sessions) as session:
            viewer = viewer_of(session, who)
            ticket = by_number(session, number)
            if ticket is None or not board.may_see(session, viewer, ticket):
                return None
            contact = board.may_contact(viewer, ticket)
            person = session.get(Person, who.person_id) if who.person_id is not None else None
            if person is None:
                raise ActionRefusedError("utter_not_allowed")
            to = session.get(Person, body.to) if body.to is not None else None
            words = body.text if body.action == "reply" else body.note
            done = perform(session, runtime, person, number, body.action,
                           language=who.language, note=words, to=to,
                           reference=f"console:{uuid.uuid4().hex}")
            text = runtime.responses.render(done.response, who.language, **done.values).text
            audit.record(session, session.get(ConsoleUser, who.id), f"ticket_{body.action}",
                         now, target=number, details={"note": words, "to": body.to}
                         if words or body.to else None)
            return Outcome(200, done.response, text if contact else mask_sensitive(text))
    except ActionRefusedError as refused:
        with transaction(ctx.sessions) as session:
            audit.record(session, session.get(ConsoleUser, who.id), "ticket_refused", now,
                         target=number, details={"action": body.action,
                                                 "why": refused.response})
        text = runtime.responses.render(refused.response, who.language, **refused.values).text
        return Outcome(_REFUSAL_STATUS.get(refused.response, 409), refused.response,
                       mask_sensitive(text))


# -- the routes ------------------------------------------------------------------------------

def _not_found(ctx: ConsoleContext, request: Request, who: Principal) -> Response:
    return render(ctx, request, "error.html", who, status=404,
                  message=translate("not_found", who.language))


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu.append(MenuItem("/tickets", "board", ROLES))
    api = APIRouter()
    worker_api = Annotated[Principal, Depends(require(ctx, *ROLES))]
    worker_page = Annotated[Principal, Depends(page(ctx, *ROLES))]

    def runtime() -> Runtime:
        return current_runtime()  # configured by the composition root (bot/wiring.py)

    def listing(who: Principal, params: Mapping[str, str], limit: int,
                cursor: str | None) -> dict[str, Any]:
        filters = read_filters(params)
        now = ctx.now()
        with ctx.sessions() as session:
            viewer = viewer_of(session, who)
            found = board.board(session, viewer, filters, as_of=now, limit=limit,
                                cursor=cursor)
            waiting = board.open_handoffs(session, viewer)
            shown = snapshot(session, viewer, now, waiting)
            grids = list(session.scalars(select(Grid.code).where(
                Grid.community_id == viewer.community_id).order_by(Grid.code)))
        return {**found.as_dict(), "counts": shown["counts"], "stamp": shown["stamp"],
                "handoffs": [{"id": h.id, "resident": h.resident, "staff": h.staff,
                              "started_at": h.started_at.isoformat(),
                              "last_activity_at": h.last_activity_at.isoformat(),
                              "relayed": h.relayed} for h in waiting],
                "grids": grids, "page": found, "waiting": waiting}

    @api.get("/api/tickets")
    def tickets_api(request: Request, who: worker_api,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    cursor: str | None = None) -> Any:
        """Open tickets the account may see, most urgent first (store/board.py), a page at a
        time (``next`` → ``cursor``), with the headline counts and the open handoffs."""
        try:
            out = listing(who, request.query_params, limit, cursor)
        except BoardError as error:
            return JSONResponse({"error": "bad_request", "message": str(error)},
                                status_code=422)
        out.pop("page")
        out.pop("waiting")
        return out

    @api.get("/api/tickets/live")
    async def tickets_live(request: Request, who: worker_api) -> Response:
        """Server-Sent Events: ``board`` with the headline and a stamp, whenever it moves."""
        def read() -> dict[str, Any]:
            if read_session(ctx, request) is None:
                # Logged out or disabled meanwhile: a stamp that never matches sends the page
                # to fetch itself, which takes it to the login.
                return {"stamp": "signed-out", "counts": {}}
            with ctx.sessions() as session:
                return snapshot(session, viewer_of(session, who), ctx.now())

        return stream(request, read, interval=LIVE_INTERVAL, event="board")

    @api.get("/api/tickets/{number}/live")
    async def ticket_live(request: Request, number: str, who: worker_api) -> Response:
        """Server-Sent Events: ``ticket`` with a stamp that moves with the ticket's events."""
        def read() -> dict[str, Any]:
            if read_session(ctx, request) is None:
                return {"stamp": "signed-out"}
            with ctx.sessions() as session:
                ticket = by_number(session, number)
                if ticket is None or not board.may_see(session, viewer_of(session, who),
                                                       ticket):
                    return {"stamp": "gone"}
                return {"stamp": ticket_stamp(session, ticket)}

        return stream(request, read, interval=LIVE_INTERVAL, event="ticket")

    def visible(session: Session, who: Principal, number: str
                ) -> tuple[TicketDetail, Ticket] | None:
        """Ticket ``number`` as the board shows it to ``who``, and its row; None when it is
        not theirs to see."""
        shown = board.detail(session, viewer_of(session, who), number, as_of=ctx.now())
        ticket = by_number(session, number) if shown is not None else None
        return None if shown is None or ticket is None else (shown, ticket)

    def ticket_view(request: Request, who: Principal, number: str, status: int = 200,
                    **more: Any) -> Response:
        """The ticket's page (``more``: what was just done or refused), or not found."""
        with ctx.sessions() as session:
            found = visible(session, who, number)
            if found is None:
                return _not_found(ctx, request, who)
            shown, ticket = found
            out = ticket_out(session, who, shown, ticket, root(request))
            stamp = ticket_stamp(session, ticket)
        return render(ctx, request, "ticket.html", who, status=status, ticket=shown, out=out,
                      stamp=stamp, labels=runtime().responses,
                      when=lambda m: _local(runtime(), m), **more)

    @api.get("/api/tickets/{number}")
    def ticket_api(request: Request, number: str, who: worker_api) -> Any:
        with ctx.sessions() as session:
            found = visible(session, who, number)
            if found is None:
                return JSONResponse({"error": "not_found"}, status_code=404)
            return ticket_out(session, who, *found, root(request))

    @api.post("/api/tickets/{number}/actions")
    def action_api(number: str, body: ActionBody, who: worker_api) -> Any:
        """One piece of work, as the chat's command would do it."""
        done = act(ctx, runtime(), who, number, body)
        if done is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        if not done.ok:
            return JSONResponse({"error": "refused", "response": done.response,
                                 "message": done.message}, status_code=done.status)
        return {"ok": True, "response": done.response, "message": done.message}

    # The board's own script and styles, served here so the console's asset list stays as it is.
    @api.get("/tickets.js")
    async def script() -> Response:
        return _asset("tickets.js")

    @api.get("/tickets.css")
    async def styles() -> Response:
        return _asset("tickets.css")

    @api.get("/tickets")
    def board_page(request: Request, who: worker_page, cursor: str | None = None) -> Response:
        params = request.query_params
        error = None
        try:
            out = listing(who, params, 50, cursor)
        except BoardError as problem:
            error = str(problem)
            out = listing(who, {}, 50, None)
        kept = {k: v for k, v in params.items() if k != "cursor" and v}
        found: board.BoardPage = out["page"]
        return render(ctx, request, "board.html", who, items=found.items, next=found.next,
                      counts=out["counts"], stamp=out["stamp"], handoffs=out["waiting"],
                      grids=out["grids"], params=kept, error=error, categories=CATEGORIES,
                      statuses=OPEN, kinds=list(TicketKind), labels=runtime().responses,
                      when=lambda m: _local(runtime(), m), first=bool(cursor))

    @api.get("/tickets/{number}")
    def ticket_page(request: Request, number: str, who: worker_page) -> Response:
        done = request.query_params.get("done")
        return ticket_view(request, who, number, done=done if done in ACTIONS else None)

    @api.post("/tickets/{number}/actions")
    async def action_page(request: Request, number: str, who: worker_page) -> Response:
        form = await request.form()

        def field(name: str) -> str | None:
            value = form.get(name)
            return value[:2000] if isinstance(value, str) and value.strip() else None

        action, to = field("action") or "", field("to")
        if action not in ACTIONS:
            return _not_found(ctx, request, who)
        body = ActionBody.model_validate({"action": action, "note": field("note"),
                                          "text": field("text"),
                                          "to": int(to) if to and to.isdigit() else None})
        done = await run_in_threadpool(act, ctx, runtime(), who, number, body)
        if done is None:
            return _not_found(ctx, request, who)
        if done.ok:
            return RedirectResponse(f"{root(request)}/tickets/{number}?done={action}", 303)
        return ticket_view(request, who, number, done.status, refused=done.message)

    @api.get("/tickets/{number}/photos/{index}")
    def photo(number: str, index: int, who: worker_page) -> Response:
        """A web chat photo of a ticket the account may see."""
        with ctx.sessions() as session:
            shown = board.detail(session, viewer_of(session, who), number, as_of=ctx.now())
            if shown is None or not 0 <= index < len(shown.photos) \
                    or not shown.photos[index].file_id.startswith(media.PREFIX):
                return Response(status_code=404)
            stored = media.load(session, shown.photos[index].file_id)
            if stored is None or media.file_name(stored) is not None:
                return Response(status_code=404)
            return Response(stored.data, media_type=stored.content_type,
                            headers={"Cache-Control": "private, max-age=3600",
                                     "X-Content-Type-Options": "nosniff",
                                     "Content-Security-Policy": "default-src 'none'"})

    return api


def _asset(name: str) -> Response:
    return asset_response(*_ASSETS[name])


def _local(runtime: Runtime, moment: dt.datetime | None) -> str:
    return runtime.local(moment).strftime("%m-%d %H:%M") if moment is not None else ""
