"""Operators correct what the NLU understood: one message (span and entity), many at once,
and a review queue of the messages a correction would teach most."""

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.context import ConsoleContext
from console.i18n import translate
from console.normalise import EntityValueError, check_intent, normalise
from console.rendering import render, root
from console.search import confidence_of, parse_fields
from console.security import Principal, page, require
from console.views import CorrectionOut, MessageOut, Offsets, correction_out, message_out
from nlu.intents import CATEGORY_INTENTS, INTENTS, OUT_OF_SCOPE
from store import audit, corrections
from store.database import transaction
from store.masking import mask_sensitive
from store.models import ConsoleUser, Correction, Direction, TranscriptMessage
from store.privacy import ERASED

OPERATOR = "operator"
MAX_BULK = 500
REVIEW_WINDOW = 2000  # the newest unsure inbound messages the queue ranks


class EntityIn(BaseModel):
    entity: str
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    value: str | None = Field(default=None, max_length=200)


class CorrectionIn(BaseModel):
    """Offsets are positions in the text as the console shows it (numbers masked)."""

    intent: str
    entities: list[EntityIn] | None = Field(default=None, max_length=30)


class BulkIn(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=MAX_BULK)
    intent: str
    confirm: bool = False


class BulkOut(BaseModel):
    count: int
    intent: str
    corrected: bool
    preview: list[MessageOut]


class ReviewItem(MessageOut):
    score: float
    margin: float | None
    reasons: list[str]


class ReviewPage(BaseModel):
    items: list[ReviewItem]


def _current_reading(session: Session, message: TranscriptMessage) -> list[dict[str, Any]]:
    latest = corrections.latest_for(session, [message.id]).get(message.id)
    if latest is not None:
        return [dict(e) for e in latest.entities]
    _, _, entities = parse_fields(message)
    return [{key: e.get(key) for key in ("entity", "value", "start", "end")} for e in entities]


def build_entities(message: TranscriptMessage, intent: str, given: list[EntityIn] | None,
                   current: list[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """Normalised entities in stored-text offsets: the given ones, else the current reading
    (without a category when the new intent takes none)."""
    if given is None:
        return [e for e in current
                if e.get("entity") != "category" or intent in CATEGORY_INTENTS]
    offsets = Offsets(message.text, mask_sensitive(message.text))
    built = []
    for entity in given:
        start = end = None
        span = None
        if entity.start is not None or entity.end is not None:
            if entity.start is None or entity.end is None or entity.end <= entity.start \
                    or entity.end > len(offsets.masked):
                raise EntityValueError(f"{entity.entity}: start and end must select text "
                                       f"within the message (0-{len(offsets.masked)})")
            start, end = offsets.to_original(entity.start), offsets.to_original(entity.end)
            span = message.text[start:end]
        built.append({"entity": entity.entity,
                      "value": normalise(entity.entity, span, entity.value, today),
                      "start": start, "end": end})
    return built


def apply(session: Session, ctx: ConsoleContext, who: Principal, message: TranscriptMessage,
          intent: str, given: list[EntityIn] | None, action: str = "correction") -> Correction:
    """Correct one message and audit it, in the caller's transaction."""
    check_intent(intent)
    if message.direction != Direction.IN or message.text == ERASED:
        raise EntityValueError("only a resident's message whose text is kept can be corrected")
    now = ctx.now()
    entities = build_entities(message, intent, given, _current_reading(session, message),
                              now.date())
    correction = corrections.correct(session, message, intent, entities, who.username, now)
    audit.record(session, session.get(ConsoleUser, who.id), action, now,
                 target=f"message:{message.id}",
                 details={"intent": intent, "previous_intent": correction.previous_intent,
                          "entities": entities})
    return correction


def review_queue(session: Session, threshold: float, limit: int) -> list[ReviewItem]:
    """Uncorrected inbound messages by how much a correction would teach: low confidence,
    the top two intents close, out-of-scope near the threshold."""
    candidates = session.execute(
        select(TranscriptMessage.id, TranscriptMessage.parse).where(
            TranscriptMessage.direction == Direction.IN, TranscriptMessage.text != ERASED,
            TranscriptMessage.parse.is_not(None), confidence_of() < 0.9,
            ~select(Correction.id).where(Correction.message_id == TranscriptMessage.id)
            .exists())
        .order_by(TranscriptMessage.at.desc(), TranscriptMessage.id.desc())
        .limit(REVIEW_WINDOW)).all()
    # A message said again after an operator corrected it, and still read the old way: the
    # correction is pending a retrain, and confirming the repeat teaches the most.
    corrected = {c.text.strip().lower(): c.intent
                 for c in corrections.latest_corrections(session)}
    scored = []
    for number, parse in candidates:
        found = (parse or {}).get("intent")
        if not isinstance(found, dict) or not isinstance(found.get("confidence"),
                                                         (int, float)):
            continue
        intent, confidence = str(found.get("name")), float(found["confidence"])
        ranking = [r for r in (parse or {}).get("intent_ranking") or []
                   if isinstance(r, dict) and isinstance(r.get("confidence"), (int, float))]
        margin = float(ranking[0]["confidence"]) - float(ranking[1]["confidence"]) \
            if len(ranking) >= 2 else None
        reasons = []
        score = 0.5 * (1.0 - confidence)
        if confidence < 0.5:
            reasons.append("low_confidence")
        if margin is not None:
            score += 0.3 * (1.0 - min(1.0, margin))
            if margin < 0.15:
                reasons.append("close_second")
        if intent == OUT_OF_SCOPE and threshold and abs(confidence - threshold) < 0.1:
            score += 0.2
            reasons.append("near_out_of_scope")
        said = str((parse or {}).get("text") or "").strip().lower()
        if corrected.get(said, intent) != intent:
            score += 0.5
            reasons.append("correction_pending")
        scored.append((score, number, margin, reasons))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    chosen = scored[:limit]
    messages = {m.id: m for m in session.scalars(select(TranscriptMessage).where(
        TranscriptMessage.id.in_([number for _, number, _, _ in chosen])))}
    return [ReviewItem(**message_out(messages[number], None).model_dump(),
                       score=round(score, 4),
                       margin=None if margin is None else round(margin, 4), reasons=reasons)
            for score, number, margin, reasons in chosen]


def _bulk(session: Session, ctx: ConsoleContext, who: Principal, ids: list[int], intent: str,
          confirm: bool) -> BulkOut:
    check_intent(intent)
    found = session.scalars(select(TranscriptMessage).where(
        TranscriptMessage.id.in_(ids), TranscriptMessage.direction == Direction.IN,
        TranscriptMessage.text != ERASED).order_by(TranscriptMessage.id)).all()
    if confirm:
        for message in found:
            apply(session, ctx, who, message, intent, None, action="bulk_correction")
    latest = corrections.latest_for(session, (m.id for m in found))
    return BulkOut(count=len(found), intent=intent, corrected=confirm,
                   preview=[message_out(m, latest.get(m.id)) for m in found[:20]])


def router(ctx: ConsoleContext) -> APIRouter:
    routes = APIRouter()
    operator_api = Annotated[Principal, Depends(require(ctx, OPERATOR))]
    operator_page = Annotated[Principal, Depends(page(ctx, OPERATOR))]

    @routes.post("/api/messages/{number}/correction", response_model=CorrectionOut,
                 status_code=201)
    async def correct(number: int, body: CorrectionIn, who: operator_api) -> Any:
        """Correct a resident's message: its intent and (optionally) its entities."""
        try:
            with transaction(ctx.sessions) as session:
                message = session.get(TranscriptMessage, number)
                if message is None:
                    return JSONResponse({"error": "not_found"}, status_code=404)
                made = apply(session, ctx, who, message, body.intent, body.entities)
                return correction_out(made, Offsets(message.text,
                                                    mask_sensitive(message.text)))
        except EntityValueError as error:
            return JSONResponse({"error": "bad_correction", "message": str(error)},
                                status_code=422)

    @routes.post("/api/corrections/bulk", response_model=BulkOut)
    async def bulk(body: BulkIn, who: operator_api) -> Any:
        """Correct many messages as one intent; without ``confirm`` only say what would be."""
        try:
            with transaction(ctx.sessions) as session:
                return _bulk(session, ctx, who, body.ids, body.intent, body.confirm)
        except EntityValueError as error:
            return JSONResponse({"error": "bad_correction", "message": str(error)},
                                status_code=422)

    @routes.get("/api/review", response_model=ReviewPage)
    async def review(who: operator_api,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Any:
        with ctx.sessions() as session:
            return ReviewPage(items=review_queue(session, ctx.out_of_scope_threshold, limit))

    @routes.post("/messages/{number}/correction")
    async def correct_form(request: Request, number: int, who: operator_page,
                           intent: Annotated[str, Form()],
                           keep: Annotated[list[int] | None, Form()] = None,
                           new_entity: Annotated[str, Form()] = "",
                           new_start: Annotated[str, Form()] = "",
                           new_end: Annotated[str, Form()] = "",
                           new_value: Annotated[str, Form()] = "") -> Response:
        back = f"{root(request)}/messages/{number}"
        try:
            with transaction(ctx.sessions) as session:
                message = session.get(TranscriptMessage, number)
                if message is None:
                    raise EntityValueError("no such message")
                offsets = Offsets(message.text, mask_sensitive(message.text))
                current = _current_reading(session, message)
                kept = set(keep or [])
                given = [EntityIn(entity=str(e["entity"]), value=str(e["value"]),
                                  start=None if e.get("start") is None
                                  else offsets.to_masked(int(e["start"])),
                                  end=None if e.get("end") is None
                                  else offsets.to_masked(int(e["end"])))
                         for index, e in enumerate(current) if index in kept]
                if new_entity:
                    given.append(EntityIn(
                        entity=new_entity, value=new_value or None,
                        start=int(new_start) if new_start.strip().isdigit() else None,
                        end=int(new_end) if new_end.strip().isdigit() else None))
                apply(session, ctx, who, message, intent, given)
        except EntityValueError as error:
            return RedirectResponse(f"{back}?{urlencode({'error': str(error)})}",
                                    status_code=303)
        return RedirectResponse(f"{back}?saved=1", status_code=303)

    @routes.post("/messages/bulk")
    async def bulk_form(request: Request, who: operator_page,
                        intent: Annotated[str, Form()],
                        ids: Annotated[list[int], Form()],
                        confirm: Annotated[str, Form()] = "",
                        back: Annotated[str, Form()] = "") -> Response:
        try:
            with transaction(ctx.sessions) as session:
                result = _bulk(session, ctx, who, ids[:MAX_BULK], intent, confirm == "yes")
        except EntityValueError as error:
            return render(ctx, request, "error.html", who, status=422, message=str(error))
        if result.corrected:
            target = back if back.startswith(f"{root(request)}/messages") else \
                f"{root(request)}/messages"
            joiner = "&" if "?" in target else "?"
            return RedirectResponse(f"{target}{joiner}done={result.count}", status_code=303)
        return render(ctx, request, "bulk_confirm.html", who, result=result, ids=ids,
                      back=back, intent=intent,
                      question=translate("bulk_confirm", who.language, count=result.count,
                                         intent=intent))

    @routes.get("/review")
    async def review_page(request: Request, who: operator_page) -> Response:
        with ctx.sessions() as session:
            items = review_queue(session, ctx.out_of_scope_threshold, 50)
        return render(ctx, request, "review.html", who, items=items, intents=INTENTS)

    return routes
