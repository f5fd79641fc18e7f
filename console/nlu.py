"""Training data and models (operators): corrections as Rasa NLU YAML, retraining in the
background with its progress, the comparison of a candidate with the active model, and
activating a version or rolling back — pages and the JSON API they use.

No postponed annotations: route parameters name types made inside ``router``."""

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from bot.nlu_swap import SwappableParser
from console.context import STATIC, ConsoleContext, MenuItem
from console.i18n import CATALOGUE, translate, translator
from console.nlu_charts import lines, stacked_bars
from console.nlu_jobs import ModelManager, corrected_examples
from console.nlu_stats import Day, daily
from console.nlu_texts import TEXTS
from console.rendering import asset_response, render, root
from console.security import Principal, page, require
from nlu.registry import PACKAGED, to_yaml, version_path
from store import audit, nlu_models
from store.community import home
from store.database import transaction
from store.models import ConsoleUser, ModelStatus
from store.nlu_models import TrainingBusyError, UnknownVersionError

OPERATOR = "operator"
_SCRIPT = STATIC / "nlu.js"
_TOP_INTENTS = 8


def manager_for(ctx: ConsoleContext) -> ModelManager | None:
    """Model management needs the swappable parser ``linli serve`` wires (bot/wiring.py);
    a console over a fixed parser can still export corrections."""
    parser = ctx.nlu
    if not isinstance(parser, SwappableParser) or parser.watcher is None:
        return None
    watcher = parser.watcher
    return ModelManager(ctx.sessions, ctx.clock, watcher.home, watcher.packaged, parser, watcher)


def _audit(ctx: ConsoleContext, who: Principal, action: str, target: str | None,
           details: dict[str, Any] | None = None) -> None:
    with transaction(ctx.sessions) as session:
        audit.record(session, session.get(ConsoleUser, who.id), action, ctx.now(),
                     target=target, details=details)


#: A version as the models page, its API and `linli nlu models` show it.
_row = nlu_models.summary


def _unavailable() -> JSONResponse:
    return JSONResponse({"error": "unavailable",
                         "message": "model management runs under `linli serve`"},
                        status_code=503)


def router(ctx: ConsoleContext) -> APIRouter:
    for key, texts in TEXTS.items():
        CATALOGUE.setdefault(key, texts)
    ctx.menu += [MenuItem("/nlu/models", "models", (OPERATOR,)),
                 MenuItem("/nlu/dashboard", "dashboard", (OPERATOR,))]
    models = manager_for(ctx)
    api = APIRouter()
    operator_api = Annotated[Principal, Depends(require(ctx, OPERATOR))]
    operator_page = Annotated[Principal, Depends(page(ctx, OPERATOR))]

    @api.get("/api/nlu/corrections.yml")
    def corrections_yaml(who: operator_api) -> Response:
        """Every corrected message as Rasa NLU YAML (the latest correction of each)."""
        with ctx.sessions() as session:
            export = to_yaml(corrected_examples(session))
        _audit(ctx, who, "export_corrections", None,
               {"examples": export.examples, "skipped": export.skipped})
        return Response(export.yaml, media_type="application/x-yaml; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="corrections.yml"',
                                 "X-Skipped-Examples": str(export.skipped)})

    @api.post("/api/nlu/train", status_code=202, response_model=None)
    def train_api(who: operator_api) -> dict[str, str] | JSONResponse:
        if models is None:
            return _unavailable()
        try:
            job = models.start(who.username)
        except TrainingBusyError:
            return JSONResponse({"error": "busy", "message": "a model is being trained"},
                                status_code=409)
        _audit(ctx, who, "nlu_train", job)
        return {"job": job}

    @api.get("/api/nlu/jobs/{job}", response_model=None)
    def job_api(job: str, _who: operator_api) -> dict[str, Any] | JSONResponse:
        with ctx.sessions() as session:
            row = nlu_models.get_version(session, job)
            if row is None:
                return JSONResponse({"error": "not_found"}, status_code=404)
            return {"job": row.version, "status": str(row.status), "progress": row.progress,
                    "stage": row.stage, "report": row.report}

    @api.get("/api/nlu/models")
    def models_api(_who: operator_api) -> dict[str, Any]:
        with ctx.sessions() as session:
            rows = [_row(r) for r in nlu_models.versions(session)]
            active = nlu_models.active_version(session) or PACKAGED
        return {"active": active, "serving": models.serving() if models else None,
                "versions": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                              for k, v in r.items()} for r in rows]}

    def _activate(who: Principal, version: str) -> tuple[int, dict[str, Any]]:
        if models is None:
            return 503, {"error": "unavailable"}
        wanted = None if version == PACKAGED else version
        try:
            if wanted is not None:
                version_path(models.home, wanted)
            previous = models.activate(wanted)
        except ValueError:
            return 404, {"error": "not_found"}
        except UnknownVersionError:
            return 409, {"error": "not_ready", "message": "only a trained version can serve"}
        except IntegrityError:
            return 409, {"error": "busy", "message": "another activation won; try again"}
        _audit(ctx, who, "nlu_activate", version, {"previous": previous or PACKAGED})
        return 200, {"active": version, "previous": previous or PACKAGED,
                     "serving": models.serving()}

    @api.post("/api/nlu/models/{version}/activate", response_model=None)
    def activate_api(version: str, who: operator_api) -> JSONResponse:
        status, body = _activate(who, version)
        return JSONResponse(body, status_code=status)

    def _dashboard(days: int) -> tuple[list[Day], dict[str, list[int]]]:
        with ctx.sessions() as session:
            community = home(session)
            zone = ZoneInfo(community.timezone if community else "Asia/Shanghai")
            today = ctx.now().astimezone(zone).date()
            counted = daily(session, today - dt.timedelta(days=days - 1), today, zone)
        overall: Counter[str] = Counter()
        for day in counted:
            overall.update(day.intents)
        top = [name for name, _ in overall.most_common(_TOP_INTENTS)]
        series = {name: [day.intents[name] for day in counted] for name in top}
        if len(overall) > len(top):
            series["other"] = [sum(n for name, n in day.intents.items() if name not in top)
                               for day in counted]
        return counted, series

    @api.get("/api/nlu/dashboard")
    def dashboard_api(_who: operator_api, days: int = Query(14, ge=1, le=366)
                      ) -> dict[str, Any]:
        counted, series = _dashboard(days)
        return {"days": [d.day.isoformat() for d in counted], "intents": series,
                "messages": [d.messages for d in counted],
                "out_of_scope_share": [d.out_of_scope_share for d in counted],
                "low_confidence_share": [d.low_confidence_share for d in counted],
                "faq_hit_rate": [d.faq_hit_rate for d in counted]}

    # --- pages ------------------------------------------------------------------------------

    @api.get("/nlu/dashboard")
    def dashboard_page(request: Request, who: operator_page,
                       days: int = Query(14, ge=1, le=366)) -> Response:
        counted, series = _dashboard(days)
        labels = [d.day.strftime("%m-%d") for d in counted]
        t = translator(who.language)
        charts = [
            stacked_bars(t("chart_intents"), labels, series),
            lines(t("chart_shares"), labels,
                  {t("oos_share"): [d.out_of_scope_share for d in counted],
                   t("low_share"): [d.low_confidence_share for d in counted],
                   t("faq_hit_rate"): [d.faq_hit_rate for d in counted]}),
        ]
        return render(ctx, request, "nlu_dashboard.html", who, charts=charts, days=days,
                      total=sum(d.messages for d in counted),
                      questions=sum(d.questions for d in counted),
                      unanswered=sum(d.unanswered for d in counted))

    @api.get("/nlu/nlu.js")
    async def script() -> Response:
        return asset_response(Path(_SCRIPT), "text/javascript")

    @api.get("/nlu/models")
    def models_page(request: Request, who: operator_page) -> Response:
        with ctx.sessions() as session:
            rows = [_row(r) for r in nlu_models.versions(session)]
            active = nlu_models.active_version(session) or PACKAGED
        training = next((r for r in rows if r["status"] == ModelStatus.TRAINING), None)
        return render(ctx, request, "nlu_models.html", who, rows=rows, active=active,
                      serving=models.serving() if models else None, training=training,
                      available=models is not None, packaged=PACKAGED,
                      message=request.query_params.get("m"))

    @api.post("/nlu/train")
    def train_page(request: Request, who: operator_page) -> Response:
        if models is None:
            return RedirectResponse(f"{root(request)}/nlu/models?m=unavailable", 303)
        try:
            job = models.start(who.username)
        except TrainingBusyError:
            return RedirectResponse(f"{root(request)}/nlu/models?m=busy", 303)
        _audit(ctx, who, "nlu_train", job)
        return RedirectResponse(f"{root(request)}/nlu/jobs/{job}", 303)

    @api.get("/nlu/jobs/{job}")
    def job_page(request: Request, job: str, who: operator_page) -> Response:
        with ctx.sessions() as session:
            row = nlu_models.get_version(session, job)
            found = _row(row) if row is not None else None
        if found is None:
            return render(ctx, request, "error.html", who, status=404,
                          message=translate("not_found", who.language))
        return render(ctx, request, "nlu_job.html", who, job=found)

    @api.get("/nlu/models/{version}")
    def compare_page(request: Request, version: str, who: operator_page) -> Response:
        with ctx.sessions() as session:
            row = nlu_models.get_version(session, version)
            found = _row(row) if row is not None else None
            report = (row.report or {}) if row is not None else {}
            active = nlu_models.active_version(session) or PACKAGED
        if found is None:
            return render(ctx, request, "error.html", who, status=404,
                          message=translate("not_found", who.language))
        comparison = report.get("comparison") or {}
        return render(ctx, request, "nlu_compare.html", who, model=found, report=report,
                      comparison=comparison, active=active,
                      sections=[(key, comparison[key]) for key in ("test", "corrections")
                                if comparison.get(key)])

    @api.post("/nlu/models/{version}/activate")
    def activate_page(request: Request, version: str, who: operator_page) -> Response:
        status, body = _activate(who, version)
        outcome = "activated" if status == 200 else body.get("error", "failed")
        return RedirectResponse(f"{root(request)}/nlu/models?m={outcome}", 303)

    return api
