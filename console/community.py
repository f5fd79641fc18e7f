"""Community data for admins: buildings, households, people, grid assignments and the rota,
browsed and edited in the browser, imported and exported as XLSX or CSV, over a JSON API
under ``/api/community/``. Every write goes through store.community_table (the road
`linli community import` takes) and is audited with its before and after."""

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from console.community_texts import TEXTS
from console.context import ConsoleContext, MenuItem
from console.i18n import CATALOGUE
from console.rendering import render, root
from console.security import Principal, page, require
from store import audit, community_files, community_table
from store.community import home
from store.community_files import FORMATS, MEDIA, Format
from store.community_table import (
    COLUMNS,
    KEYS,
    READ_ONLY,
    Plan,
    Row,
    Table,
    TableError,
    masked,
)
from store.database import transaction
from store.models import AuditEntry, Community, ConsoleUser, Role

ROLES = ("admin",)
PAGE_SIZE = 100


#: The columns a row sent to the JSON API must have; the others default to "". The columns
#: themselves, and what each may hold, are store.community_table's (COLUMNS, and the checks
#: of its plan, which every write goes through): a body is only checked for its shape here.
REQUIRED: dict[str, frozenset[str]] = {
    "people": frozenset({"key", "name"}), "households": frozenset({"building"}),
    "buildings": frozenset({"number", "grid"}), "grids": frozenset({"code", "name"}),
    "rota": frozenset({"key", "on_duty"})}


def _row_model(table: str) -> type[BaseModel]:
    """A table's row as the API takes it: its columns as text, and nothing else."""
    fields: dict[str, Any] = {column: (str, ... if column in REQUIRED[table] else "")
                              for column in COLUMNS[table]}
    return create_model(f"{table.capitalize()}Row", __config__=ConfigDict(extra="forbid"),
                        **fields)


MODELS: dict[str, type[BaseModel]] = {table: _row_model(table)
                                      for table in community_table.TABLES}


class ErrorOut(BaseModel):
    line: int
    column: str | None
    message: str
    zh: str


class ChangeOut(BaseModel):
    line: int
    key: str
    status: Literal["added", "changed", "unchanged"]
    before: dict[str, str] | None
    after: dict[str, str]
    fields: list[str]


class PlanOut(BaseModel):
    table: str
    errors: list[ErrorOut]
    changes: list[ChangeOut]
    counts: dict[str, int]
    fingerprint: str
    applied: bool


class ListOut(BaseModel):
    columns: list[str]
    total: int
    items: list[dict[str, str]]


class RemovedOut(BaseModel):
    key: str
    outcome: Literal["deleted", "deactivated"]


def plan_out(result: Plan, applied: bool) -> PlanOut:
    return PlanOut(
        table=result.table, counts=result.counts, fingerprint=result.fingerprint,
        applied=applied and not result.errors,
        errors=[ErrorOut(line=e.line, column=e.column, message=e.message, zh=e.zh)
                for e in result.errors],
        changes=[ChangeOut(line=c.line, key=c.key, status=c.status,
                           before=masked(c.before), after=masked(c.after) or {},
                           fields=list(c.fields)) for c in result.changes])


def _grid_by_building(rows: Sequence[Row]) -> dict[str, str]:
    return {row["number"]: row["grid"] for row in rows}


def _grid_of(table: str, row: Mapping[str, str], grids: Mapping[str, str]) -> str:
    """The grid a row belongs to, for the grid filter."""
    if table == "people":
        return grids.get(row["home"].split("-")[0], "") if row["home"] else ""
    if table == "households":
        return grids.get(row["building"], "")
    return {"buildings": row.get("grid", ""), "grids": row.get("code", "")}.get(table, "")


def filtered(session: Session, community: Community, table: str, q: str,
             grid: str) -> list[Row]:
    """A table's rows holding ``q`` in any cell, in ``grid``."""
    found = community_table.rows(session, community, table)
    if grid:
        grids = _grid_by_building(community_table.rows(session, community, "buildings"))
        found = [row for row in found if _grid_of(table, row, grids) == grid]
    needle = q.strip().lower()
    if needle:
        found = [row for row in found if any(needle in value.lower() for value in row.values())]
    return found


def _format_of(upload: StarletteUpload | None, data: bytes, asked: str | None) -> Format:
    if asked in FORMATS:
        return "xlsx" if asked == "xlsx" else "csv"
    name = (upload.filename or "").lower() if upload is not None else ""
    return "xlsx" if name.endswith(".xlsx") or data[:2] == b"PK" else "csv"


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu.append(MenuItem("/community", "community", ROLES))
    api = APIRouter()
    admin_api = Annotated[Principal, Depends(require(ctx, *ROLES))]
    admin_page = Annotated[Principal, Depends(page(ctx, *ROLES))]

    def community_of(session: Session) -> Community:
        found = home(session)
        if found is None:  # a fresh install: nothing to show or write yet
            raise HTTPException(404, "no community is loaded yet: run linli demo or "
                                     "linli community import FILE")
        return found

    def write(who: Principal, table: str, given: Sequence[tuple[int, Mapping[str, str]]],
              expected: str | None = None, source: str = "form") -> Plan:
        with transaction(ctx.sessions) as session:
            user = session.get(ConsoleUser, who.id)
            result = community_table.apply(session, community_of(session), table, given, user,
                                           ctx.now(), expected, source)
            if source == "file" and not result.errors:
                audit.record(session, user, "community_import", ctx.now(), target=table,
                             details=result.counts)
        return result

    def remove(who: Principal, table: str, key: str) -> str:
        with transaction(ctx.sessions) as session:
            user = session.get(ConsoleUser, who.id)
            return community_table.remove(session, community_of(session), table, key, user,
                                          ctx.now())

    def export(who: Principal, table: str, kind: Format) -> Response:
        with transaction(ctx.sessions) as session:
            found = community_table.rows(session, community_of(session), table)
            audit.record(session, session.get(ConsoleUser, who.id), "community_export",
                         ctx.now(), target=table, details={"format": kind, "rows": len(found)})
        return Response(community_files.write(table, found, kind), media_type=MEDIA[kind],
                        headers={"Content-Disposition":
                                 f'attachment; filename="community-{table}.{kind}"',
                                 "Cache-Control": "no-store"})

    def new_row(table: str, row: Mapping[str, str], was: str) -> str | None:
        """Why ``row`` cannot be saved over ``was`` ("" for a new row): its key is taken or
        was changed; None when it can."""
        key = community_table.key_of(table, row)
        with ctx.sessions() as session:
            exists = community_table.find(session, community_of(session), table, key)
        if not was and exists is not None:
            return "exists"
        if was and key != was:
            return "key"
        return None

    # --- JSON API ---------------------------------------------------------------------------

    @api.get("/api/community/{table}")
    def list_api(table: Table, _who: admin_api, q: str = "", grid: str = "",
                 offset: int = Query(0, ge=0), limit: int = Query(PAGE_SIZE, ge=1, le=5000)
                 ) -> ListOut:
        with ctx.sessions() as session:
            found = filtered(session, community_of(session), table, q, grid)
        return ListOut(columns=list(COLUMNS[table]), total=len(found),
                       items=[masked(row) or {} for row in found[offset:offset + limit]])

    @api.get("/api/community/{table}/export")
    def export_api(table: Table, who: admin_api,
                   format: Literal["csv", "xlsx"] = "xlsx") -> Response:
        return export(who, table, format)

    @api.get("/api/community/{table}/{key}", response_model=None)
    def row_api(table: Table, key: str, _who: admin_api) -> dict[str, str] | JSONResponse:
        with ctx.sessions() as session:
            found = community_table.find(session, community_of(session), table, key)
        if found is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return found

    def save_api(who: Principal, table: str, body: dict[str, Any], was: str) -> Any:
        try:
            row = MODELS[table].model_validate(body).model_dump()
        except ValidationError as error:
            return JSONResponse({"detail": json.loads(error.json(include_url=False))},
                                status_code=422)
        refused = new_row(table, row, was)
        if refused:
            return JSONResponse({"error": refused}, status_code=409 if refused == "exists"
                                else 422)
        result = write(who, table, [(0, row)])
        return JSONResponse(plan_out(result, True).model_dump(),
                            status_code=422 if result.errors else 201 if not was else 200)

    @api.post("/api/community/{table}", response_model=PlanOut)
    def create_api(table: Table, who: admin_api,
                   body: Annotated[dict[str, Any], Body()]) -> Any:
        return save_api(who, table, body, "")

    @api.put("/api/community/{table}/{key}", response_model=PlanOut)
    def update_api(table: Table, key: str, who: admin_api,
                   body: Annotated[dict[str, Any], Body()]) -> Any:
        with ctx.sessions() as session:
            if community_table.find(session, community_of(session), table, key) is None:
                return JSONResponse({"error": "not_found"}, status_code=404)
        return save_api(who, table, body, key)

    @api.delete("/api/community/{table}/{key}", response_model=RemovedOut)
    def delete_api(table: Table, key: str, who: admin_api) -> Any:
        try:
            outcome = remove(who, table, key)
        except TableError as refused:
            return JSONResponse({"error": refused.reason, "message": refused.detail},
                                status_code=404 if refused.reason == "not_found" else 409)
        return RemovedOut(key=key, outcome="deleted" if outcome == "deleted" else "deactivated")

    @api.post("/api/community/{table}/import", response_model=PlanOut)
    async def import_api(table: Table, who: admin_api, file: Annotated[UploadFile, File()],
                         dry_run: bool = True, format: str | None = None,
                         fingerprint: str | None = None) -> Any:
        data = await file.read(community_files.MAX_BYTES + 1)
        read = community_files.read(table, data, _format_of(file, data, format))
        if read.errors:
            return JSONResponse(plan_out(Plan(table, read.errors), False).model_dump(),
                                status_code=422)
        if dry_run:
            def preview() -> Plan:
                with ctx.sessions() as session:
                    return community_table.plan(session, community_of(session), table,
                                                read.rows)
            result = await run_in_threadpool(preview)
        else:
            try:
                result = await run_in_threadpool(write, who, table, read.rows, fingerprint,
                                                 "file")
            except TableError as moved:
                return JSONResponse({"error": moved.reason, "message": moved.detail},
                                    status_code=409)
        return JSONResponse(plan_out(result, not dry_run).model_dump(),
                            status_code=422 if result.errors else 200)

    # --- pages ------------------------------------------------------------------------------

    @api.get("/community")
    def overview_page(request: Request, who: admin_page) -> Response:
        with ctx.sessions() as session:
            community = community_of(session)
            counts = {table: len(community_table.rows(session, community, table))
                      for table in community_table.TABLES}
            recent = session.scalars(select(AuditEntry).where(
                AuditEntry.action.like("community_%")).order_by(AuditEntry.id.desc())
                .limit(20)).all()
        return render(ctx, request, "community.html", who, counts=counts, recent=recent,
                      community=community)

    @api.get("/community/{table}")
    def table_page(request: Request, table: Table, who: admin_page, q: str = "",
                   grid: str = "", page_number: int = Query(1, ge=1, alias="page")) -> Response:
        with ctx.sessions() as session:
            community = community_of(session)
            found = filtered(session, community, table, q, grid)
            grids = [row["code"] for row in community_table.rows(session, community, "grids")]
            units = _units(community_table.rows(session, community, "households")) \
                if table == "buildings" else {}
        first = (page_number - 1) * PAGE_SIZE
        return render(ctx, request, "community_table.html", who, table=table,
                      columns=COLUMNS[table], rows=[masked(r) for r in
                                                    found[first:first + PAGE_SIZE]],
                      keys=[community_table.key_of(table, r) for r in
                            found[first:first + PAGE_SIZE]],
                      total=len(found), first=first, page=page_number, q=q, grid=grid,
                      grids=grids, units=units, message=request.query_params.get("m"),
                      detail=request.query_params.get("d", ""))

    @api.get("/community/{table}/export.{kind}")
    def export_page(table: Table, kind: Literal["csv", "xlsx"], who: admin_page) -> Response:
        return export(who, table, kind)

    def edit_form(request: Request, who: Principal, table: str, values: Mapping[str, str],
                  was: str, errors: Mapping[str, list[str]], status: int = 200,
                  note: str | None = None) -> Response:
        with ctx.sessions() as session:
            community = community_of(session)
            households = [h for h in community_table.rows(session, community, "households")
                          if h["building"] == was] if table == "buildings" and was else []
        return render(ctx, request, "community_edit.html", who, table=table,
                      columns=COLUMNS[table], read_only=READ_ONLY.get(table, frozenset()),
                      keys=KEYS[table], values=values, was=was, errors=errors, note=note,
                      role_names=[role.value for role in Role],
                      households=households, status=status)

    @api.get("/community/{table}/edit")
    def edit_page(request: Request, table: Table, who: admin_page, key: str = "") -> Response:
        values: Mapping[str, str] = {"roles": "resident"} if table == "people" else {}
        if key:
            with ctx.sessions() as session:
                found = community_table.find(session, community_of(session), table, key)
            if found is None:
                return RedirectResponse(f"{root(request)}/community/{table}?m=not_found", 303)
            values = found
        return edit_form(request, who, table, values, key, {})

    @api.post("/community/{table}/edit")
    async def save_page(request: Request, table: Table, who: admin_page) -> Response:
        form = await request.form()
        was = str(form.get("was") or "")
        row = {c: str(form.get(c) or "")[:500] for c in COLUMNS[table]}
        if table == "people":  # ticked boxes, one value each
            row["roles"] = ", ".join(str(role) for role in form.getlist("roles"))
        refused = await run_in_threadpool(new_row, table, row, was)
        if refused:
            return edit_form(request, who, table, row, was,
                             {KEYS[table][0]: [CATALOGUE["cm_exists"][
                                 1 if who.language == "en" else 0]]}, status=409)
        result = await run_in_threadpool(write, who, table, [(0, row)])
        if result.errors:
            errors: dict[str, list[str]] = {}
            for error in result.errors:
                errors.setdefault(error.column or "", []).append(error.text(who.language))
            return edit_form(request, who, table, row, was, errors, status=422,
                             note="fix_below")
        return RedirectResponse(f"{root(request)}/community/{table}?m=saved", 303)

    @api.post("/community/{table}/remove")
    async def remove_page(request: Request, table: Table, who: admin_page) -> Response:
        form = await request.form()
        key = str(form.get("key") or "")
        try:
            outcome = await run_in_threadpool(remove, who, table, key)
        except TableError as refused:
            return RedirectResponse(f"{root(request)}/community/{table}?m={refused.reason}"
                                    f"&d={quote(refused.detail[:200])}", 303)
        return RedirectResponse(f"{root(request)}/community/{table}?m={outcome}", 303)

    @api.get("/community/{table}/import")
    def import_page(request: Request, table: Table, who: admin_page) -> Response:
        return render(ctx, request, "community_import.html", who, table=table,
                      columns=COLUMNS[table], read_only=READ_ONLY.get(table, frozenset()),
                      result=None)

    @api.post("/community/{table}/import")
    async def preview_page(request: Request, table: Table, who: admin_page) -> Response:
        form = await request.form()
        upload = form.get("file")
        sent = upload if isinstance(upload, StarletteUpload) else None
        data = await sent.read(community_files.MAX_BYTES + 1) if sent is not None else b""
        read = community_files.read(table, data, _format_of(sent, data, None))

        def preview() -> Plan:
            if read.errors:
                return Plan(table, read.errors)
            with ctx.sessions() as session:
                return community_table.plan(session, community_of(session), table, read.rows)

        result = await run_in_threadpool(preview)
        changed = [[c.line, c.after] for c in result.changes if c.status != "unchanged"]
        return render(ctx, request, "community_import.html", who, table=table,
                      columns=COLUMNS[table], read_only=READ_ONLY.get(table, frozenset()),
                      result=result, shown=[(c, masked(c.before), masked(c.after))
                                            for c in result.changes[:500]],
                      rows_json=json.dumps(changed, ensure_ascii=False),
                      status=422 if result.errors else 200)

    @api.post("/community/{table}/import/confirm")
    async def confirm_page(request: Request, table: Table, who: admin_page) -> Response:
        form = await request.form()
        try:
            given = [(int(line), {str(k): str(v) for k, v in row.items()})
                     for line, row in json.loads(str(form.get("rows") or "[]"))]
        except (ValueError, TypeError, AttributeError):
            given = []
        try:
            result = await run_in_threadpool(write, who, table, given,
                                             str(form.get("fingerprint") or ""), "file")
        except TableError:
            return RedirectResponse(f"{root(request)}/community/{table}?m=moved", 303)
        if result.errors:
            return RedirectResponse(f"{root(request)}/community/{table}?m=moved", 303)
        counts = result.counts
        return RedirectResponse(f"{root(request)}/community/{table}?m=imported"
                                f"&added={counts['added']}&changed={counts['changed']}", 303)

    return api


def _units(households: Sequence[Row]) -> dict[str, str]:
    """Each building's units and how many households it has: "1, 2 (14)"."""
    found: dict[str, tuple[set[str], int]] = {}
    for row in households:
        units, count = found.get(row["building"], (set(), 0))
        if row["unit"]:
            units.add(row["unit"])
        found[row["building"]] = (units, count + 1)
    return {number: f"{', '.join(sorted(units, key=lambda u: (len(u), u)))} ({count})"
            for number, (units, count) in found.items()}
