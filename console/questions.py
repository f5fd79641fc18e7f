"""Questions the FAQ could not answer (the ``question`` table), grouped by similarity, and
answered from the console: every resident who asked one of a group gets the answer.

Grouping reads questions the way FAQ retrieval does (actions/faq_index.py ``Words``): Chinese
character pairs, English word stems, synonyms; two questions sharing most of that are one.
"""

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from actions.faq_index import Words
from console.context import ConsoleContext, MenuItem
from console.i18n import CATALOGUE
from console.nlu_texts import TEXTS
from console.rendering import render, root
from console.security import Principal, page, require
from store import audit, faq_entries
from store.database import transaction
from store.models import ConsoleUser, Person, Question
from store.outbox import enqueue
from store.privacy import ERASED

ROLES = ("operator", "staff")
#: Cosine similarity of two questions' features above which they are one group.
SAME_QUESTION = 0.45
_LIMIT = 500


@dataclass(slots=True)
class Group:
    """Questions that ask the same thing; the first is the oldest."""

    questions: list[Question] = field(default_factory=list)
    features: Counter[str] = field(default_factory=Counter)


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(value * b[key] for key, value in a.items() if key in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def group(questions: Sequence[Question], words: Words) -> list[Group]:
    """Questions in groups of similar ones, largest groups first."""
    groups: list[Group] = []
    for question in questions:
        features = words.read(question.text).features
        best = max(groups, key=lambda g: _cosine(features, g.features), default=None)
        if best is not None and _cosine(features, best.features) >= SAME_QUESTION:
            best.questions.append(question)
            best.features.update(features)
        else:
            groups.append(Group([question], Counter(features)))
    return sorted(groups, key=lambda g: (-len(g.questions), g.questions[0].id))


def listed(session: Session, status: str) -> list[Question]:
    """Questions by status (open, answered, all), oldest first; erased texts left out."""
    query = select(Question).where(Question.text != ERASED).order_by(Question.id)
    if status == "open":
        query = query.where(Question.answered.is_(False))
    elif status == "answered":
        query = query.where(Question.answered.is_(True))
    return list(session.scalars(query.limit(_LIMIT)))


def answer(session: Session, ids: Sequence[int], answers: dict[str, str],
           now: dt.datetime) -> tuple[int, int]:
    """Tell each asker of the open questions ``ids`` the answer in their language (the
    question's, else the other one given), and mark the questions answered. Returns how many
    were answered and how many residents were written to."""
    answered = notified = 0
    for question in session.scalars(select(Question).where(
            Question.id.in_(ids), Question.answered.is_(False), Question.text != ERASED)):
        text = answers.get(question.language) or next(a for a in answers.values() if a)
        person = session.get(Person, question.person_id)
        question.answered = True
        answered += 1
        if person is not None and enqueue(session, person=person,
                                          text=f"「{question.text[:200]}」\n{text}",
                                          key=f"question-answer:{question.id}", now=now):
            notified += 1
    return answered, notified


class FaqSaveError(ValueError):
    """Saving as FAQ cannot be done as asked: ``reason`` is "taken" or "nokey"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def save_as_faq(session: Session, ids: Sequence[int], answers: dict[str, str], how: str,
                key: str, author: str, now: dt.datetime) -> tuple[str, bool]:
    """The open questions ``ids`` as a new FAQ entry with ``answers`` (``how`` "new"), or as
    phrasings of the entry ``key`` ("extend"). Call before `answer` marks them answered.
    Returns the entry's key and whether it is new."""
    key = key.strip()
    if how == "extend" and not key:
        raise FaqSaveError("nokey")
    questions = list(session.scalars(select(Question).where(
        Question.id.in_(ids), Question.answered.is_(False), Question.text != ERASED
    ).order_by(Question.id)))
    if how == "new":
        key = key or f"console-{min(q.id for q in questions) if questions else min(ids)}"
        if faq_entries.by_key(session, key) is not None:
            raise FaqSaveError("taken")
    row, new = faq_entries.save(session, key, [(q.text, q.language) for q in questions],
                                answers, author, now)
    return row.key, new


class AnswerBody(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=_LIMIT)
    zh: str = Field("", max_length=4000)
    en: str = Field("", max_length=4000)
    #: also save as FAQ: a new entry, or these questions added to the entry ``faq_key``
    faq: Literal["", "new", "extend"] = ""
    faq_key: str = Field("", max_length=80)


def _out(g: Group) -> dict[str, Any]:
    return {"size": len(g.questions), "ids": [q.id for q in g.questions],
            "questions": [{"id": q.id, "text": q.text, "language": q.language,
                           "at": q.created_at.isoformat(), "answered": q.answered}
                          for q in g.questions]}


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu.append(MenuItem("/questions", "questions", ROLES))
    api = APIRouter()
    words = Words()
    member_api = Annotated[Principal, Depends(require(ctx, *ROLES))]
    member_page = Annotated[Principal, Depends(page(ctx, *ROLES))]

    def groups(status: str) -> list[Group]:
        with ctx.sessions() as session:
            return group(listed(session, status), words)

    def record(who: Principal, ids: Sequence[int], answers: dict[str, str], faq: str = "",
               faq_key: str = "") -> tuple[int, int]:
        with transaction(ctx.sessions) as session:
            user = session.get(ConsoleUser, who.id)
            saved: dict[str, Any] = {}
            if faq:
                key, new = save_as_faq(session, ids, answers, faq, faq_key,
                                       user.username if user else "-", ctx.now())
                saved = {"faq": key, "faq_new": new}
            done = answer(session, ids, answers, ctx.now())
            audit.record(session, user, "answer_questions",
                         ctx.now(), target=",".join(map(str, ids))[:200],
                         details={"answered": done[0], "notified": done[1], **answers, **saved})
        return done

    @api.get("/api/questions")
    def questions_api(_who: member_api,
                      status: str = Query("open", pattern="^(open|answered|all)$")
                      ) -> dict[str, Any]:
        return {"groups": [_out(g) for g in groups(status)]}

    @api.post("/api/questions/answer", response_model=None)
    def answer_api(body: AnswerBody, who: member_api) -> dict[str, int] | JSONResponse:
        answers = {k: v.strip() for k, v in (("zh", body.zh), ("en", body.en)) if v.strip()}
        if not answers:
            return JSONResponse({"error": "empty", "message": "give the answer in zh or en"},
                                status_code=422)
        try:
            answered, notified = record(who, body.ids, answers, body.faq, body.faq_key)
        except FaqSaveError as refused:
            return JSONResponse({"error": refused.reason, "message": CATALOGUE[
                f"q_{refused.reason}"][1]}, status_code=409 if refused.reason == "taken" else 422)
        return {"answered": answered, "notified": notified}

    @api.get("/questions")
    def questions_page(request: Request, who: member_page,
                       status: str = Query("open", pattern="^(open|answered|all)$")
                       ) -> Response:
        return render(ctx, request, "questions.html", who, groups=groups(status),
                      shown=status, message=request.query_params.get("m"))

    @api.post("/questions/answer")
    async def answer_page(request: Request, who: member_page) -> Response:
        form = await request.form()
        ids = [int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit()]
        answers = {k: str(form.get(k) or "").strip()[:4000] for k in ("zh", "en")}
        answers = {k: v for k, v in answers.items() if v}
        if not ids or not answers:
            return RedirectResponse(f"{root(request)}/questions?m=empty", 303)
        faq = str(form.get("faq") or "")
        try:
            await run_in_threadpool(record, who, ids, answers,
                                    faq if faq in ("new", "extend") else "",
                                    str(form.get("faq_key") or "")[:80])
        except FaqSaveError as refused:
            return RedirectResponse(f"{root(request)}/questions?m={refused.reason}", 303)
        return RedirectResponse(f"{root(request)}/questions?m=answered", 303)

    return api
