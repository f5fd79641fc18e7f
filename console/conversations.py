"""Operators read the transcript: search and filter it, open a conversation as a timeline."""

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from console.context import ConsoleContext
from console.i18n import translate
from console.normalise import CATEGORIES, ENTITIES
from console.rendering import render
from console.search import MessageFilter, around, decode_cursor, search
from console.security import Principal, page, require
from console.views import (
    CorrectionOut,
    MessageOut,
    Offsets,
    TimelineEntry,
    correction_out,
    message_out,
    timeline_entry,
)
from flows.definitions import load_flows, packaged_flows
from nlu.intents import INTENTS
from store import corrections
from store.masking import mask_sensitive
from store.models import Ticket, TranscriptMessage

OPERATOR = "operator"


class MessagePage(BaseModel):
    items: list[MessageOut]
    next: str | None


class Conversation(BaseModel):
    message: TimelineEntry
    conversation: list[TimelineEntry]
    history: list[CorrectionOut]


def _day(value: str | None, end: bool = False) -> dt.datetime | None:
    """A date (2026-11-21, the whole day in UTC) or a moment (ISO 8601)."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
            return day + dt.timedelta(days=1) if end else day
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "yes", "on")


def read_filter(params: Any) -> MessageFilter:
    """A filter from query parameters (API and page alike); raises ValueError."""
    def text(name: str) -> str | None:
        value = params.get(name)
        return value.strip()[:200] if isinstance(value, str) and value.strip() else None

    confidence = text("max_confidence")
    corrected = text("corrected")
    return MessageFilter(
        q=text("q"), intent=text("intent"),
        max_confidence=float(confidence) if confidence is not None else None,
        unanswered=_flag(text("unanswered")), since=_day(text("since")),
        until=_day(text("until"), end=True), channel=text("channel"),
        language=text("language"), direction=text("direction"),
        handed_over=_flag(text("handed_over")), low_confidence=_flag(text("low_confidence")),
        corrected=None if corrected is None else _flag(corrected), chat=text("chat"))


def find_page(session: Session, chosen: MessageFilter, limit: int,
              cursor: str | None) -> MessagePage:
    after = decode_cursor(cursor) if cursor else None
    if cursor and after is None:
        raise ValueError("not a cursor from this console")
    rows, following = search(session, chosen, limit, after)
    latest = corrections.latest_for(session, (m.id for m in rows))
    return MessagePage(items=[message_out(m, latest.get(m.id)) for m in rows], next=following)


def conversation(session: Session, message: TranscriptMessage,
                 flows: frozenset[str]) -> Conversation:
    shown = around(session, message)
    ids = [m.id for m in shown]
    latest = corrections.latest_for(session, ids)
    tickets: dict[int, list[Ticket]] = {}
    for ticket in session.scalars(select(Ticket).where(Ticket.source_message_id.in_(ids))
                                  .order_by(Ticket.id)):
        assert ticket.source_message_id is not None
        tickets.setdefault(ticket.source_message_id, []).append(ticket)
    entries = [timeline_entry(m, latest.get(m.id), flows, tickets.get(m.id, []))
               for m in shown]
    offsets = Offsets(message.text, mask_sensitive(message.text))
    return Conversation(message=next(e for e in entries if e.id == message.id),
                        conversation=entries,
                        history=[correction_out(c, offsets)
                                 for c in corrections.history(session, message.id)])


def router(ctx: ConsoleContext) -> APIRouter:
    routes = APIRouter()
    operator_api = Annotated[Principal, Depends(require(ctx, OPERATOR))]
    operator_page = Annotated[Principal, Depends(page(ctx, OPERATOR))]
    flows = frozenset(load_flows(packaged_flows()))

    @routes.get("/api/messages", response_model=MessagePage)
    async def messages(request: Request, who: operator_api,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       cursor: Annotated[str | None, Query(alias="next")] = None) -> Any:
        """Transcript messages, newest first, filtered; ``next`` pages on."""
        try:
            chosen = read_filter(request.query_params)
            with ctx.sessions() as session:
                return find_page(session, chosen, limit, cursor)
        except ValueError as error:
            return JSONResponse({"error": "bad_request", "message": str(error)},
                                status_code=422)

    @routes.get("/api/messages/{number}", response_model=Conversation)
    async def message(number: int, who: operator_api) -> Any:
        """One message with its conversation around it and its corrections."""
        with ctx.sessions() as session:
            found = session.get(TranscriptMessage, number)
            if found is None:
                return JSONResponse({"error": "not_found"}, status_code=404)
            return conversation(session, found, flows)

    @routes.get("/messages")
    async def list_page(request: Request, who: operator_page,
                        cursor: Annotated[str | None, Query(alias="next")] = None) -> Response:
        # The page opens on residents' messages (what operators correct); "all" shows both.
        params = request.query_params if "direction" in request.query_params else \
            QueryParams({**request.query_params, "direction": "in"})
        error = None
        try:
            chosen = read_filter(params)
            with ctx.sessions() as session:
                found = find_page(session, chosen, 50, cursor)
        except ValueError as problem:
            error, found = str(problem), MessagePage(items=[], next=None)
        kept = {k: v for k, v in params.items() if k != "next" and v}
        return render(ctx, request, "messages.html", who, items=found.items,
                      next_url=("?" + urlencode({**kept, "next": found.next}))
                      if found.next else None,
                      first_url=("?" + urlencode(kept)) if cursor else None,
                      params=params, intents=INTENTS, error=error,
                      inbound_ids=[m.id for m in found.items
                                   if m.direction == "in" and not m.erased],
                      done=params.get("done"))

    @routes.get("/messages/{number}")
    async def message_page(request: Request, number: int, who: operator_page) -> Response:
        with ctx.sessions() as session:
            found = session.get(TranscriptMessage, number)
            if found is None:
                return render(ctx, request, "error.html", who, status=404,
                              message=translate("not_found", who.language))
            shown = conversation(session, found, flows)
        current = shown.message
        reading = current.correction.entities if current.correction else current.entities
        return render(ctx, request, "message.html", who, shown=shown, current=current,
                      reading=reading, intents=INTENTS, entities=ENTITIES,
                      categories=CATEGORIES, saved=request.query_params.get("saved"),
                      error=request.query_params.get("error"))

    return routes
