"""The FAQ for operators: every entry residents can be answered from (config/faq.yml's and
those written in the console), edited, retired, put back or deleted. Changes are rows of the
``faq_entry`` table (store/faq_entries.py), so every worker answers from them on the next
question without a restart (actions/faq_live.py); each one is audited.

A file entry is never changed on disk: the console's questions and answers go on top of it
(an empty answer keeps the file's), retiring it hides it, and deleting its row undoes the
console's changes.
"""

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from actions.faq_index import FaqIndex
from actions.runtime import current as current_runtime
from console.context import ConsoleContext, MenuItem
from console.faq_texts import TEXTS
from console.i18n import CATALOGUE
from console.rendering import render, root
from console.security import Principal, page, require
from store import audit, faq_entries
from store.database import transaction
from store.models import ConsoleUser, FaqEntryRow

ROLES = ("operator",)
KEY = re.compile(r"[A-Za-z0-9_-]{1,80}")
_LANGUAGES = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Entry:
    """One FAQ entry as residents get it: the file's part, the console's part, or both."""

    key: str
    in_file: bool
    file_questions: list[str] = field(default_factory=list)
    file_answers: dict[str, str] = field(default_factory=dict)
    #: the console's row, if any: questions by language, other phrasings, answers
    questions: dict[str, str] = field(default_factory=dict)
    paraphrases: list[str] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    in_console: bool = False
    retired: bool = False
    updated_at: dt.datetime | None = None

    @property
    def source(self) -> str:
        return "both" if self.in_file and self.in_console else \
            "file" if self.in_file else "console"

    @property
    def answer(self) -> dict[str, str]:
        """The answers residents get: the console's where it wrote one, else the file's."""
        return {**self.file_answers, **{k: v for k, v in self.answers.items() if v}}

    @property
    def all_questions(self) -> list[str]:
        own = [q for q in (self.questions.get("zh"), self.questions.get("en")) if q]
        return list(dict.fromkeys([*self.file_questions, *own, *self.paraphrases]))

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "source": self.source, "retired": self.retired,
                "questions": self.all_questions, "answer": self.answer,
                "file": {"questions": self.file_questions, "answer": self.file_answers}
                if self.in_file else None,
                "console": {"question_zh": self.questions.get("zh", ""),
                            "question_en": self.questions.get("en", ""),
                            "paraphrases": self.paraphrases,
                            "answer_zh": self.answers.get("zh", ""),
                            "answer_en": self.answers.get("en", "")}
                if self.in_console else None,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}


def _from_file(source: Mapping[str, Any]) -> Entry:
    questions = [str(q) for qs in source["questions"].values() for q in qs]
    return Entry(str(source["id"]), True, questions,
                 {k: str(v) for k, v in source["answer"].items()})


def _with_row(entry: Entry | None, row: FaqEntryRow) -> Entry:
    return Entry(row.key, entry is not None, entry.file_questions if entry else [],
                 entry.file_answers if entry else {},
                 {"zh": row.question_zh, "en": row.question_en}, list(row.paraphrases),
                 {"zh": row.answer_zh, "en": row.answer_en}, True, row.retired, row.updated_at)


def entries(session: Session, base: FaqIndex | None) -> list[Entry]:
    """Every entry, the file's in its order, then the console's own by age."""
    found = {str(e["id"]): _from_file(e) for e in (base.source if base else ())}
    for row in faq_entries.listed(session):
        found[row.key] = _with_row(found.get(row.key), row)
    return list(found.values())


def entry(session: Session, base: FaqIndex | None, key: str) -> Entry | None:
    row = faq_entries.by_key(session, key)
    source = next((e for e in (base.source if base else ()) if str(e["id"]) == key), None)
    from_file = _from_file(source) if source is not None else None
    return _with_row(from_file, row) if row is not None else from_file


def matching(found: Sequence[Entry], text: str) -> list[Entry]:
    needle = text.strip().lower()
    if not needle:
        return list(found)
    return [e for e in found if needle in e.key.lower()
            or any(needle in q.lower() for q in e.all_questions)
            or any(needle in a.lower() for a in e.answer.values())]


class FaqEditError(ValueError):
    """An edit that cannot be made: ``reason`` is a catalogue key's end (faq_m_<reason>)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EntryBody(BaseModel):
    question_zh: str = Field("", max_length=500)
    question_en: str = Field("", max_length=500)
    paraphrases: list[str] = Field(default_factory=list, max_length=200)
    answer_zh: str = Field("", max_length=4000)
    answer_en: str = Field("", max_length=4000)
    #: making a new entry: refused when the key is taken (an edit would overwrite it)
    new: bool = False


def save(session: Session, base: FaqIndex | None, key: str, body: EntryBody, author: str,
         now: dt.datetime) -> tuple[Entry | None, Entry]:
    """Write the console's part of the entry ``key``; returns it before and after."""
    if not KEY.fullmatch(key) or key == "new":  # /faq/new is the page for a new entry
        raise FaqEditError("bad_key")
    before = entry(session, base, key)
    if body.new and before is not None:
        raise FaqEditError("taken")
    if before is None and body.new is False:
        raise FaqEditError("not_found")
    questions = {"zh": body.question_zh.strip(), "en": body.question_en.strip()}
    answers = {"zh": body.answer_zh.strip(), "en": body.answer_en.strip()}
    paraphrases = [p.strip() for p in body.paraphrases if p.strip()]
    in_file = before is not None and before.in_file
    # A console entry must be able to answer; a file entry keeps the file's questions and
    # answers whatever the console's part says.
    if not in_file and (not any(answers.values())
                        or not (any(questions.values()) or paraphrases)):
        raise FaqEditError("incomplete")
    faq_entries.edit(session, key, questions, answers, paraphrases, author, now)
    after = entry(session, base, key)
    assert after is not None
    return before, after


def _audit_details(before: Entry | None, after: Entry | None) -> dict[str, Any]:
    def brief(e: Entry | None) -> dict[str, Any] | None:
        return None if e is None else {"retired": e.retired, "answer": e.answer,
                                       "questions": e.all_questions[:20]}
    return {"old": brief(before), "new": brief(after)}


def router(ctx: ConsoleContext) -> APIRouter:
    for text_key, texts in TEXTS.items():
        CATALOGUE.setdefault(text_key, texts)
    ctx.menu.append(MenuItem("/faq", "faq", ROLES))
    api = APIRouter()
    operator_api = Annotated[Principal, Depends(require(ctx, *ROLES))]
    operator_page = Annotated[Principal, Depends(page(ctx, *ROLES))]

    def base() -> FaqIndex | None:
        return current_runtime().faq  # config/faq.yml as every worker loaded it

    def listing(text: str = "") -> list[Entry]:
        with ctx.sessions() as session:
            return matching(entries(session, base()), text)

    def one(key: str) -> Entry | None:
        with ctx.sessions() as session:
            return entry(session, base(), key)

    def change(who: Principal, key: str, action: str, body: EntryBody | None = None) -> str:
        """Save, retire, restore or delete the entry ``key``, audited in the same
        transaction; returns the message key for what happened."""
        index = base()
        with transaction(ctx.sessions) as session:
            user = session.get(ConsoleUser, who.id)
            author = user.username if user else "-"
            before = entry(session, index, key)
            after: Entry | None
            if action == "save":
                assert body is not None
                before, after = save(session, index, key, body, author, ctx.now())
                done = "saved"
            elif before is None:
                raise FaqEditError("not_found")
            elif action in ("retire", "restore"):
                faq_entries.retire(session, key, action == "retire", author, ctx.now())
                after, done = entry(session, index, key), f"{action}d"
            else:  # delete: a console entry goes, a file entry is as the file has it
                if not faq_entries.delete(session, key):
                    raise FaqEditError("not_found")
                after = entry(session, index, key)
                done = "reverted" if after is not None else "deleted"
            audit.record(session, user, f"faq_{done}", ctx.now(), target=key,
                         details=_audit_details(before, after))
        return done

    def refused(error: FaqEditError, language: str) -> JSONResponse:
        status = {"not_found": 404, "taken": 409}.get(error.reason, 422)
        message = CATALOGUE[f"faq_m_{error.reason}"][0 if language == "zh" else 1]
        return JSONResponse({"error": error.reason, "message": message}, status_code=status)

    # -- JSON API ---------------------------------------------------------------------------

    @api.get("/api/faq")
    def faq_api(_who: operator_api, q: str = Query("", max_length=200)) -> dict[str, Any]:
        return {"entries": [e.as_dict() for e in listing(q)]}

    @api.get("/api/faq/{key}", response_model=None)
    def entry_api(key: str, who: operator_api) -> dict[str, Any] | JSONResponse:
        found = one(key)
        if found is None:
            return refused(FaqEditError("not_found"), who.language)
        return found.as_dict()

    @api.put("/api/faq/{key}", response_model=None)
    def save_api(key: str, body: EntryBody, who: operator_api) -> dict[str, Any] | JSONResponse:
        try:
            done = change(who, key, "save", body)
        except FaqEditError as error:
            return refused(error, who.language)
        found = one(key)
        return {"done": done, "entry": found.as_dict() if found else None}

    @api.post("/api/faq/{key}/{action}", response_model=None)
    def act_api(key: str, action: str, who: operator_api) -> dict[str, Any] | JSONResponse:
        if action not in ("retire", "restore"):
            return refused(FaqEditError("not_found"), who.language)
        try:
            done = change(who, key, action)
        except FaqEditError as error:
            return refused(error, who.language)
        found = one(key)
        return {"done": done, "entry": found.as_dict() if found else None}

    @api.delete("/api/faq/{key}", response_model=None)
    def delete_api(key: str, who: operator_api) -> dict[str, Any] | JSONResponse:
        try:
            done = change(who, key, "delete")
        except FaqEditError as error:
            return refused(error, who.language)
        found = one(key)
        return {"done": done, "entry": found.as_dict() if found else None}

    # -- pages ------------------------------------------------------------------------------

    @api.get("/faq")
    def faq_page(request: Request, who: operator_page,
                 q: str = Query("", max_length=200)) -> Response:
        found = listing(q)
        live = sum(not e.retired for e in found)
        return render(ctx, request, "faq.html", who, entries=found, q=q, live=live,
                      retired=len(found) - live, message=request.query_params.get("m"))

    @api.get("/faq/new")
    def new_page(request: Request, who: operator_page) -> Response:
        return render(ctx, request, "faq_entry.html", who, entry=None,
                      message=request.query_params.get("m"))

    @api.get("/faq/{key}")
    def entry_page(key: str, request: Request, who: operator_page) -> Response:
        found = one(key)
        if found is None:
            return RedirectResponse(f"{root(request)}/faq?m=not_found", 303)
        return render(ctx, request, "faq_entry.html", who, entry=found,
                      message=request.query_params.get("m"))

    @api.post("/faq/{key}")
    async def save_page(key: str, request: Request, who: operator_page) -> Response:
        form = await request.form()

        def field_of(name: str, limit: int) -> str:
            return str(form.get(name) or "")[:limit]

        new = key == "new"
        target = field_of("key", 80).strip() if new else key
        body = EntryBody(question_zh=field_of("question_zh", 500),
                         question_en=field_of("question_en", 500),
                         paraphrases=field_of("paraphrases", 40000).splitlines()[:200],
                         answer_zh=field_of("answer_zh", 4000),
                         answer_en=field_of("answer_en", 4000), new=new)
        try:
            await run_in_threadpool(change, who, target, "save", body)
        except FaqEditError as error:
            back = "new" if new else key
            return RedirectResponse(f"{root(request)}/faq/{back}?m={error.reason}", 303)
        return RedirectResponse(f"{root(request)}/faq/{target}?m=saved", 303)

    @api.post("/faq/{key}/{action}")
    async def act_page(key: str, action: str, request: Request, who: operator_page
                       ) -> Response:
        if action not in ("retire", "restore", "delete"):
            return RedirectResponse(f"{root(request)}/faq?m=not_found", 303)
        try:
            done = await run_in_threadpool(change, who, key, action)
        except FaqEditError as error:
            return RedirectResponse(f"{root(request)}/faq?m={error.reason}", 303)
        if done == "deleted":
            return RedirectResponse(f"{root(request)}/faq?m=deleted", 303)
        return RedirectResponse(f"{root(request)}/faq/{key}?m={done}", 303)

    return api


__all__ = ["Entry", "EntryBody", "FaqEditError", "entries", "entry", "matching", "router",
           "save"]
