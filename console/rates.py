"""The three rates (响应率, 解决率, 满意率) in the console: a dashboard per grid, category and
period with the weekly trend as charts, each figure explained and drillable to its tickets,
the JSON of ``linli report rates --json`` and the street's XLSX workbook.

Every figure comes from ``bot.rates_command.document`` (``store.rates.report``) and every
drill-down from ``store.rates.tickets_behind``, which count with the same conditions: the page,
the API, the workbook and the terminal cannot disagree.

Staff see every grid and the whole community; supervisors and grid members only the grids the
community's grid table gives them (``store.board.scope_of``, as on the ticket board), one at a
time. No postponed annotations: route parameters name types made inside ``router``."""

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.rates_command import RatesCommandError, document, period
from bot.settings import Settings
from console.context import ConsoleContext, MenuItem
from console.i18n import CATALOGUE, LANGUAGES, translate
from console.nlu_charts import lines, share_bars
from console.rates_texts import TEXTS
from console.rendering import render, root
from console.security import Principal, page, refuse, require
from store import audit
from store.board import Viewer, scope_of
from store.community import home
from store.database import transaction
from store.models import Community, ConsoleUser, Grid, Ticket
from store.rates import FIGURES, MEANINGS, tickets_behind
from store.rates_xlsx import workbook

ROLES = ("staff", "supervisor", "grid_member")
PRESETS = ("7d", "30d", "month", "last_month", "custom")
PARTS = ("numerator", "denominator", "missing")
PAGE_SIZE = 100


def _date() -> Any:
    """A local date parameter (each parameter needs its own ``Query``)."""
    return Query(None, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")


def _code() -> Any:
    return Query(None, max_length=30)


@dataclass(frozen=True, slots=True)
class Filters:
    """The days, grid and category a rates request names, as given (checked by ``resolve``)."""

    since: str | None
    until: str | None
    grid: str | None
    category: str | None


def filters(since: str | None = _date(), until: str | None = _date(),
            grid: str | None = _code(), category: str | None = _code()) -> Filters:
    return Filters(since, until, grid, category)


Filtered = Annotated[Filters, Depends(filters)]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RatesRequestError(Exception):
    """A rates request refused: ``key`` is a text of the catalogue, ``status`` the HTTP code
    (403 for a grid outside the account's, 422 for a bad period or grid)."""

    def __init__(self, key: str, status: int, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key
        self.status = status
        self.detail = detail or key


@dataclass(frozen=True, slots=True)
class Asked:
    """A rates request made definite: local days ``[first, until)``, one grid or all (None),
    one category or all, and the grids the account may choose among (None: every grid)."""

    community_id: int
    community: str
    zone: ZoneInfo
    first: dt.date
    until: dt.date
    grid: str | None
    category: str | None
    choices: tuple[str, ...] | None

    def query(self, **more: Any) -> dict[str, str]:
        """The query string that asks for the same thing again (and ``more``)."""
        values = {"since": self.first.isoformat(), "until": self.until.isoformat(),
                  "grid": self.grid or "", "category": self.category or "", **more}
        return {key: str(value) for key, value in values.items() if value not in ("", None)}


def preset_days(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The local days ``[first, until)`` of a preset: the last 7 or 30 days including today,
    this month so far, or the whole of last month."""
    tomorrow = today + dt.timedelta(days=1)
    if preset == "7d":
        return tomorrow - dt.timedelta(days=7), tomorrow
    if preset == "month":
        return today.replace(day=1), tomorrow
    if preset == "last_month":
        this_month = today.replace(day=1)
        return (this_month - dt.timedelta(days=1)).replace(day=1), this_month
    return tomorrow - dt.timedelta(days=30), tomorrow


def visible_grids(session: Session, community: Community, who: Principal
                  ) -> tuple[str, ...] | None:
    """The grid codes whose rates ``who`` may read, None for all (staff)."""
    scope = scope_of(session, Viewer(community.id, frozenset(who.roles), who.person_id))
    if scope.everything:
        return None
    return tuple(session.scalars(select(Grid.code).where(
        Grid.id.in_(scope.grid_ids)).order_by(Grid.code)))


def resolve(session: Session, who: Principal, now: dt.datetime, *, since: str | None,
            until: str | None, grid: str | None, category: str | None,
            preset: str | None = None) -> Asked:
    """What a request asks for, checked against what ``who`` may see. Without a grid, staff
    get the whole community and others their first grid."""
    community = home(session)
    if community is None:
        raise RatesRequestError("rates_no_community", 404)
    zone = ZoneInfo(community.timezone)
    today = now.astimezone(zone).date()
    if preset in PRESETS and preset != "custom":
        first, last = preset_days(preset, today)
    else:
        try:
            first, last = period(community, since or None, until or None, today)
        except RatesCommandError as error:
            raise RatesRequestError("rates_bad_period", 422, str(error)) from None
    choices = visible_grids(session, community, who)
    grid = grid or None
    if choices is not None:
        if not choices:
            raise RatesRequestError("rates_no_grid", 403, "no_grid")
        grid = grid or choices[0]
        if grid not in choices:
            raise RatesRequestError("forbidden", 403, "grid")
    elif grid is not None and session.scalar(select(Grid.id).where(
            Grid.community_id == community.id, Grid.code == grid)) is None:
        raise RatesRequestError("rates_unknown_grid", 422, f"unknown grid {grid!r}")
    return Asked(community.id, community.code, zone, first, last, grid,
                 (category or "").strip() or None, choices)


def rates_document(session: Session, asked: Asked, now: dt.datetime) -> dict[str, Any]:
    """Exactly what ``linli report rates --json`` prints for the same days, grid and category
    (deadlines judged at ``now``)."""
    community = session.get(Community, asked.community_id)
    assert community is not None
    result = document(session, community, asked.first.isoformat(), asked.until.isoformat(),
                      asked.grid, now, asked.category)
    result.pop("grid_names")
    return result


def behind(session: Session, asked: Asked, now: dt.datetime, figure: str, part: str,
           after: int | None) -> tuple[list[Ticket], int | None]:
    """A page of the tickets behind one figure, and the id to continue after (None: done)."""
    since = dt.datetime.combine(asked.first, dt.time(), asked.zone)
    until = dt.datetime.combine(asked.until, dt.time(), asked.zone)
    grid_id = None if asked.grid is None else session.scalar(select(Grid.id).where(
        Grid.community_id == asked.community_id, Grid.code == asked.grid))
    found = list(tickets_behind(session, asked.community_id, since, until, now, figure, part,
                                grid_id=grid_id, category=asked.category, after_id=after,
                                limit=PAGE_SIZE))
    return found, found[-1].id if len(found) == PAGE_SIZE else None


@cache
def _labels() -> dict[str, dict[str, dict[str, str]]]:
    """Display names of categories and statuses (config/labels.yml), read once."""
    loaded: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(
        (Settings().config_dir / "labels.yml").read_text(encoding="utf-8"))
    return loaded


def label(kind: str, value: str, language: str) -> str:
    names = _labels().get(kind, {}).get(value)
    return (names.get(language) or names.get("zh") or value) if names else value


def _local(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def ticket_row(ticket: Ticket, zone: ZoneInfo, language: str) -> dict[str, Any]:
    """A drill-down row: what decides whether the ticket counts, in local time."""
    return {"number": ticket.number, "category": ticket.category,
            "category_name": label("category", ticket.category, language),
            "status": str(ticket.status),
            "status_name": label("status", str(ticket.status), language),
            "building": ticket.building.number if ticket.building else None,
            "created_at": _local(ticket.created_at, zone),
            "respond_by": _local(ticket.respond_by, zone),
            "acknowledged_at": _local(ticket.acknowledged_at, zone),
            "resolved_at": _local(ticket.resolved_at, zone), "rating": ticket.rating}


def _language(request: Request, who: Principal) -> str:
    """The page's language as ``render`` picks it (a ``?lang=`` overrides the account's)."""
    asked = request.query_params.get("lang")
    return asked if asked in LANGUAGES else who.language


def trend_chart(result: dict[str, Any], language: str) -> Markup:
    """The three rates week by week; a week with nothing to rate leaves a gap."""
    weeks = result["weekly"]
    return lines(translate("rates_trend", language),
                 [dt.date.fromisoformat(w["week"]).strftime("%m-%d") for w in weeks],
                 {translate(f"rate_{f}", language): [w[f]["value"] for w in weeks]
                  for f in FIGURES})


def grid_chart(result: dict[str, Any], language: str) -> Markup | None:
    """The rates side by side, grid by grid (whole community only)."""
    grids = result.get("by_grid")
    if not grids:
        return None
    return share_bars(translate("rates_by_grid", language), list(grids),
                 {translate(f"rate_{f}", language): [g[f]["value"] for g in grids.values()]
                  for f in FIGURES})


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu.append(MenuItem("/rates", "rates", ROLES))
    api = APIRouter()
    rates_api = Annotated[Principal, Depends(require(ctx, *ROLES))]
    rates_page = Annotated[Principal, Depends(page(ctx, *ROLES))]

    def refused(request: Request, who: Principal, error: RatesRequestError) -> None:
        if error.status == 403:
            refuse(ctx, who, request, error.detail)

    def api_error(request: Request, who: Principal, error: RatesRequestError) -> JSONResponse:
        refused(request, who, error)
        name = {403: "forbidden", 404: "not_found"}.get(error.status, "bad_request")
        return JSONResponse({"error": name, "message": error.detail}, status_code=error.status)

    def page_error(request: Request, who: Principal, error: RatesRequestError) -> Response:
        refused(request, who, error)
        return render(ctx, request, "error.html", who, status=error.status,
                      message=translate(error.key, _language(request, who)))

    def asking(session: Session, request: Request, who: Principal, now: dt.datetime,
               filters: Filters, *, on_page: bool, preset: str | None = None
               ) -> Asked | Response:
        """What the request asks for, or the refusal to send back (an error page for a page,
        JSON for the API)."""
        try:
            return resolve(session, who, now, since=filters.since, until=filters.until,
                           grid=filters.grid, category=filters.category, preset=preset)
        except RatesRequestError as error:
            return (page_error if on_page else api_error)(request, who, error)

    @api.get("/api/rates", response_model=None)
    def rates_json(request: Request, who: rates_api,
                   filters: Filtered) -> dict[str, Any] | Response:
        """The same JSON as ``linli report rates --json`` for the same options."""
        now = ctx.now()
        with ctx.sessions() as session:
            asked = asking(session, request, who, now, filters, on_page=False)
            if not isinstance(asked, Asked):
                return asked
            return rates_document(session, asked, now)

    @api.get("/api/rates/tickets", response_model=None)
    def tickets_json(request: Request, who: rates_api, filters: Filtered,
                     figure: str = Query(..., pattern="^(response|resolution|satisfaction)$"),
                     part: str = Query(..., pattern="^(numerator|denominator|missing)$"),
                     after: int | None = Query(None, ge=0)) -> dict[str, Any] | Response:
        """The tickets behind a figure, by id, a page of 100 at a time."""
        now = ctx.now()
        with ctx.sessions() as session:
            asked = asking(session, request, who, now, filters, on_page=False)
            if not isinstance(asked, Asked):
                return asked
            found, after_id = behind(session, asked, now, figure, part, after)
            return {"figure": figure, "part": part,
                    "items": [ticket_row(t, asked.zone, who.language) for t in found],
                    "next": after_id}

    @api.get("/rates.xlsx", response_model=None)
    def rates_xlsx(request: Request, who: rates_page, filters: Filtered) -> Response:
        """The workbook of ``linli report rates --xlsx`` for the same options."""
        now = ctx.now()
        with ctx.sessions() as session:
            asked = asking(session, request, who, now, filters, on_page=True)
            if not isinstance(asked, Asked):
                return asked
            result = rates_document(session, asked, now)
        content = workbook(result)
        with transaction(ctx.sessions) as session:
            audit.record(session, session.get(ConsoleUser, who.id), "rates_export", now,
                         target=asked.grid or "all", details=asked.query())
        name = f"rates-{asked.community}-{asked.grid or 'all'}-{asked.first}-{asked.until}.xlsx"
        return Response(content, media_type=_XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "no-store"})

    @api.get("/rates")
    def dashboard(request: Request, who: rates_page, filters: Filtered,
                  preset: str | None = Query(None, alias="period", pattern="^(7d|30d|"
                                             "month|last_month|custom)$")
                  ) -> Response:
        now = ctx.now()
        if preset is None:  # a link with dates (from a drill-down or a week) keeps them
            preset = "custom" if filters.since or filters.until else "30d"
        with ctx.sessions() as session:
            asked = asking(session, request, who, now, filters, on_page=True, preset=preset)
            if not isinstance(asked, Asked):
                return asked
            result = rates_document(session, asked, now)
            grids = dict(session.execute(select(Grid.code, Grid.name).where(
                Grid.community_id == asked.community_id).order_by(Grid.code)).all())
        language = _language(request, who)
        weeks = [(w, dt.date.fromisoformat(w["week"])) for w in result["weekly"]]
        week_ends = [start for _, start in weeks[1:]] + [asked.until]
        return render(
            ctx, request, "rates.html", who, result=result, asked=asked, preset=preset,
            presets=PRESETS, figures=list(FIGURES), meanings=MEANINGS, grids=grids,
            choices=asked.choices if asked.choices is not None else tuple(grids),
            charts=[(translate(key, language), chart) for key, chart in (
                ("rates_trend", trend_chart(result, language)),
                ("rates_by_grid", grid_chart(result, language))) if chart is not None],
            weeks=[(w, start, end) for (w, start), end in zip(weeks, week_ends, strict=True)],
            last=asked.until - dt.timedelta(days=1),
            category_name=lambda name: label("category", name, language),
            as_of=_local(now, asked.zone))

    @api.get("/rates/tickets")
    def drill_down(request: Request, who: rates_page, filters: Filtered,
                   figure: str = Query(..., pattern="^(response|resolution|satisfaction)$"),
                   part: str = Query(..., pattern="^(numerator|denominator|missing)$"),
                   after: int | None = Query(None, ge=0)) -> Response:
        now = ctx.now()
        language = _language(request, who)
        with ctx.sessions() as session:
            asked = asking(session, request, who, now, filters, on_page=True)
            if not isinstance(asked, Asked):
                return asked
            found, after_id = behind(session, asked, now, figure, part, after)
            rows = [ticket_row(t, asked.zone, language) for t in found]
        return render(ctx, request, "rates_tickets.html", who, rows=rows, asked=asked,
                      figure=figure, part=part, meaning=MEANINGS[figure],
                      next_query=asked.query(figure=figure, part=part, after=after_id)
                      if after_id is not None else None,
                      last=asked.until - dt.timedelta(days=1), ticket_root=root(request))

    return api
