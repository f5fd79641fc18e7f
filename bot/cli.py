"""The ``linli`` command line: the composition root for everything started from a terminal."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.settings import Settings
from console.cli import console_app

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from actions.faq_evaluation import FaqReport
    from store.models import Community

app = typer.Typer(help="Linli (邻里): a resident-services bot for urban communities.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)
nlu_app = typer.Typer(help="Train, evaluate and try the language-understanding model.",
                      no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
community_app = typer.Typer(help="The community: grids, buildings, people.", no_args_is_help=True)
app.add_typer(community_app, name="community")
report_app = typer.Typer(help="Reports on the community's service.", no_args_is_help=True)
app.add_typer(report_app, name="report")
notice_app = typer.Typer(help="Notices to residents: now, at a time, or recurring.",
                         no_args_is_help=True)
app.add_typer(notice_app, name="notice")
person_app = typer.Typer(help="A resident's data rights (PIPL): export and erasure.",
                         no_args_is_help=True)
app.add_typer(person_app, name="person")
app.add_typer(console_app, name="console")


def _progress() -> Any:
    started = time.perf_counter()

    def report(message: str) -> None:
        typer.echo(f"[{time.perf_counter() - started:5.1f}s] {message}", err=True)

    return report


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@nlu_app.command("train")
def nlu_train(
    data: Annotated[Path | None, typer.Option(help="training data folder or file")] = None,
) -> None:
    """Train the NLU model on the training data and save it."""
    from nlu.loader import train_and_save
    from nlu.trainingdata import TrainingDataError

    settings = Settings()
    paths = settings.nlu_paths
    if data is not None:
        paths = type(paths)(data=data, model=paths.model, cache=paths.cache)
    try:
        train_and_save(paths, _progress())
    except (TrainingDataError, FileNotFoundError, ValueError) as error:
        raise _fail(str(error)) from None


@nlu_app.command("evaluate")
def nlu_evaluate(
    data: Annotated[list[Path] | None, typer.Option(
        help="annotated data file or folder to score on; repeat it, or list more after it, to "
             "score several sets together and each on its own (default: the test split "
             "nlu/data/test; with --cross-validation the training data nlu/data)")] = None,
    more: Annotated[list[Path] | None, typer.Argument(
        help="more data files or folders (a shell glob: --data bench/data/*.yml)",
        metavar="DATA", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full report as JSON")] = False,
    report_dir: Annotated[Path | None, typer.Option(help="where to write report.json, "
                                                    "confusion.png and reliability.png")] = None,
    cross_validation: Annotated[bool, typer.Option(
        help="k-fold cross-validation on DATA instead of scoring the saved model")] = False,
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
) -> None:
    """Score the model on annotated data: intents, out-of-scope, emergencies, calibration,
    entities, categories, languages."""
    from nlu.evaluation import (
        evaluate,
        load_sets,
        plot_confusion,
        plot_reliability,
        summary_lines,
    )
    from nlu.loader import ensure_pipeline
    from nlu.trainingdata import TrainingData, TrainingDataError, load

    settings = Settings()
    # Cross-validation trains on all but one fold: on the small test split (or without the
    # lookup tables and synonyms of the training folder) it measures a starved model.
    paths = [*(data or []), *(more or [])] or [
        settings.nlu_data if cross_validation else settings.nlu_data / "test"]
    try:
        if cross_validation:
            from nlu.crossvalidation import cross_validate

            training = TrainingData()
            for path in paths:
                training.extend(load(path))
            report = cross_validate(training, folds, settings.nlu_paths.cache, _progress())
        else:
            examples, sources = load_sets(paths)
            pipeline = ensure_pipeline(settings.nlu_paths, _progress())
            report = evaluate(pipeline.parse, examples, sources)
    except (TrainingDataError, FileNotFoundError, ValueError) as error:
        raise _fail(str(error)) from None
    report["data"] = [str(path) for path in paths]
    faq = _faq_report(settings.config_dir)
    if faq is not None:
        report["faq"] = faq.as_dict()
    out = report_dir or settings.home / "reports"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1),
                                     encoding="utf-8")
    report["confusion_png"] = str(plot_confusion(report, out / "confusion.png"))
    report["reliability_png"] = str(plot_reliability(report, out / "reliability.png"))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        for line in summary_lines(report):
            typer.echo(line)
        if faq is not None:
            from actions.faq_evaluation import summary_lines as faq_summary_lines

            for line in faq_summary_lines(faq):
                typer.echo(line)
        typer.echo(f"report: {out / 'report.json'}  confusion matrix: {report['confusion_png']}"
                   f"  reliability chart: {report['reliability_png']}")


def _faq_report(config_dir: Path) -> FaqReport | None:
    """FAQ retrieval scored on its paraphrase set, when the configuration has both."""
    import yaml

    from actions.faq_evaluation import ParaphraseSet
    from actions.faq_evaluation import evaluate as evaluate_faq
    from actions.faq_index import FaqIndex

    faq, paraphrases = config_dir / "faq.yml", config_dir / "faq_paraphrases.yml"
    if not (faq.exists() and paraphrases.exists()):
        return None
    try:
        return evaluate_faq(FaqIndex.load(faq).best, ParaphraseSet.load(paraphrases))
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise _fail(f"{faq} or {paraphrases}: {error!r}") from None


@nlu_app.command("parse")
def nlu_parse(
    text: Annotated[str | None, typer.Argument(help="message; without it, one per stdin line")]
    = None,
) -> None:
    """Parse a message, or every line of standard input, printing one JSON result per line."""
    from nlu.loader import ensure_pipeline

    pipeline = ensure_pipeline(Settings().nlu_paths, _progress())
    lines = [text] if text is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for line in lines:
        sys.stdout.write(json.dumps(pipeline.parse(line), ensure_ascii=False) + "\n")
        sys.stdout.flush()


@nlu_app.command("models")
def nlu_models(
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """List the trained model versions: status, data fingerprint and scores."""
    from bot.model_commands import lines, listing
    from bot.wiring import build_runtime

    with build_runtime(Settings()).sessions() as session:
        if as_json:
            typer.echo(json.dumps(listing(session), ensure_ascii=False, default=str))
            return
        for line in lines(session):
            typer.echo(line)


@nlu_app.command("activate")
def nlu_activate(
    version: Annotated[str, typer.Argument(help="a version from `linli nlu models`, or "
                                           "packaged")],
) -> None:
    """Serve VERSION in every running worker (they switch within seconds, no restart)."""
    from bot.model_commands import ModelCommandError, activate
    from bot.wiring import build_runtime
    from store.database import transaction

    runtime = build_runtime(Settings())
    try:
        with transaction(runtime.sessions) as session:
            previous = activate(session, version, runtime.now())
    except ModelCommandError as error:
        raise _fail(str(error)) from None
    typer.echo(f"active: {version} (was {previous})")


@nlu_app.command("rollback")
def nlu_rollback() -> None:
    """Serve again the model version served before the active one."""
    from bot.model_commands import ModelCommandError, rollback
    from bot.wiring import build_runtime
    from store.database import transaction

    runtime = build_runtime(Settings())
    try:
        with transaction(runtime.sessions) as session:
            was, now_active = rollback(session, runtime.now())
    except ModelCommandError as error:
        raise _fail(str(error)) from None
    typer.echo(f"active: {now_active} (was {was})")


@app.command()
def shell(
    who: Annotated[str, typer.Option("--as", help="demo person to chat as, e.g. wang_aiyi "
                                     "(resident), anna (English), zhang_wei (grid member)")]
    = "wang_aiyi",
) -> None:
    """Chat with Linli in the terminal as a person of the community."""
    import asyncio

    from bot.conversation import Incoming
    from bot.wiring import prepare

    _, service = prepare(Settings(), _progress())
    # Messages stored but never answered (a process killed mid-turn) or spooled during an
    # outage are answered now, as `linli serve` does at start-up; replies go to the outbox.
    asyncio.run(service.answer_orphans())
    asyncio.run(service.replay_spooled())
    typer.echo(f"Linli 邻里 — chatting as {who}. Type a message; a number picks a button; "
               "Ctrl-D quits. 输入消息，数字选按钮，Ctrl-D 退出。")
    buttons: list[dict[str, str]] = []
    turn = 0
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo()
            return
        if line.strip().isdigit() and 0 < int(line) <= len(buttons):
            line = buttons[int(line) - 1]["payload"]
        turn += 1
        replies = asyncio.run(service.handle(Incoming("shell", who, who, line,
                                                      message_id=f"{who}-{time.time()}-{turn}")))
        buttons = []
        for reply in replies:
            typer.echo("linli> " + reply["text"].replace("\n", "\n       "))
            for button in reply.get("buttons", []):
                buttons.append(button)
                typer.echo(f"       [{len(buttons)}] {button['title']}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port for the REST channel and web chat")] = 5005,
    workers: Annotated[int, typer.Option(min=1, max=16, help="worker processes")] = 1,
    threads: Annotated[int | None, typer.Option(
        min=0, max=64, help="turn threads per worker (default: 2 on PostgreSQL with "
                            "one worker, else 1; 0: turns on the event loop)")]
    = None,
) -> None:
    """Run Linli: REST channel (Rasa-compatible), /model/parse, web chat at /chat (Rasa's
    socket.io channel at /socket.io), the scheduler, and Telegram when a token is set."""
    import os

    import uvicorn

    from actions.runtime import current as current_runtime
    from bot.rest import create_app
    from bot.turns import THREADS_VARIABLE
    from bot.wiring import build_scheduler, build_webchat, prepare, settle_heap
    from bot.workers import reuse_port_supported, serve_workers

    # Prepared once here (trains a stale model, migrates, loads the demo, makes the web chat's
    # signing key), so that workers only load what is ready.
    settings = Settings()
    pipeline, service = prepare(settings, _progress())
    scheduler = build_scheduler(current_runtime())
    webchat = build_webchat(settings, service)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = []
    telegram = None
    if settings.telegram_token:
        from bot.telegram import build_application, webhook_secret
        from bot.wiring import run_telegram

        telegram = build_application(settings.telegram_token, settings.telegram_base_url)
        if settings.telegram_webhook_url:
            # Never open: without a configured secret, one made now is registered with
            # Telegram (setWebhook) and checked on every call.
            try:
                secret = webhook_secret(settings.telegram_webhook_secret)
            except ValueError as error:
                raise _fail(str(error)) from None
            settings = settings.model_copy(update={"telegram_webhook_secret": secret})
        background.append(lambda: run_telegram(settings, service, telegram))
        typer.echo("Telegram: " + ("webhook " + settings.telegram_webhook_url
                                   if settings.telegram_webhook_url else "polling for updates"))
    from bot.auth import Access, warn_if_open

    try:
        warn_if_open(Access.from_settings(settings), host)
    except ValueError as error:  # a JWT method that cannot check signatures
        raise _fail(str(error)) from None
    typer.echo(f"Linli is up: web chat http://{host}:{port}/chat  ·  REST "
               f"http://{host}:{port}/webhooks/rest/webhook  ·  console "
               f"http://{host}:{port}/console")
    several = workers > 1 and not background
    if threads is None and several:
        # Another worker overlaps one's round trips to the database already, and threads of
        # one process only wait on each other for the GIL: measured on PostgreSQL with two
        # workers, one thread each gave p99 95 ms where two gave 110 (medians of 7 runs).
        threads = 1
    if threads is not None:  # the environment reaches every worker process
        os.environ[THREADS_VARIABLE] = str(threads)
    if several:
        if not reuse_port_supported():  # uvicorn's workers, on one shared socket
            uvicorn.run("bot.rest:app_from_settings", factory=True, host=host, port=port,
                        workers=workers, log_level="warning", access_log=False,
                        timeout_keep_alive=KEEP_ALIVE)
            return
        try:
            serve_workers(host, port, workers, KEEP_ALIVE)
        except OSError as error:  # the port is taken
            raise _fail(f"cannot listen on {host}:{port}: {error.strerror}") from None
    else:
        webhook = (telegram, settings.telegram_webhook_secret) \
            if telegram is not None and settings.telegram_webhook_url else None
        app = create_app(service, pipeline, background, webhook, scheduler, webchat)
        settle_heap()
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                    timeout_keep_alive=KEEP_ALIVE)


#: Seconds an idle HTTP connection stays open: longer than clients keep theirs (httpx: 5 s),
#: so that a client never sends on a connection the server is closing (a ReadError).
KEEP_ALIVE = 30


def _import_community(path: Path) -> None:
    import yaml

    from bot.wiring import build_runtime, load_community_file
    from store.community import CommunityFileError

    try:
        report = load_community_file(build_runtime(Settings()), path)
    except (OSError, yaml.YAMLError, CommunityFileError) as error:
        raise _fail(f"{path}: {error}") from None
    typer.echo(f"community {report.community}: {report.grids} grids, {report.buildings} "
               f"buildings, {report.people} people")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from store.database import make_engine
    from store.migrate import upgrade

    settings = Settings()
    upgrade(make_engine(settings.database))
    typer.echo(f"database is up to date: {settings.database}")


@community_app.command("import")
def community_import(
    file: Annotated[Path, typer.Argument(help="community YAML (see config/community.demo.yml)")],
) -> None:
    """Load or update a community from a YAML file."""
    _import_community(file)


@app.command()
def demo() -> None:
    """Load the demo community (config/community.demo.yml) and its console accounts."""
    from console.cli import demo_accounts

    _import_community(Settings().config_dir / "community.demo.yml")
    demo_accounts()


@report_app.command("rates")
def report_rates(
    since: Annotated[str | None, typer.Option(
        metavar="YYYY-MM-DD", help="first day, inclusive, a local date of the community; "
        "default 30 days before --until")] = None,
    until: Annotated[str | None, typer.Option(
        metavar="YYYY-MM-DD", help="day after the last, exclusive; default tomorrow, so "
        "today is included")] = None,
    grid: Annotated[str | None, typer.Option(help="one grid's code, e.g. G1; default the "
                                             "whole community")] = None,
    category: Annotated[str | None, typer.Option(help="one category, e.g. water; default "
                                                 "all")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON object")] = False,
    by: Annotated[str | None, typer.Option(help="also break it down by grid, category or "
                                           "week")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="also write the figures to this XLSX "
                                              "workbook")] = None,
) -> None:
    """The three rates (响应率, 解决率, 满意率) of the tickets opened in a period."""
    import datetime as dt

    from bot.rates_command import RatesCommandError, run
    from bot.wiring import build_runtime

    with build_runtime(Settings()).sessions() as session:
        community = _community(session)
        try:
            lines = run(session, community, since=since, until=until, grid=grid,
                        as_json=as_json, by=by, xlsx=xlsx, as_of=dt.datetime.now(dt.UTC),
                        category=category)
        except RatesCommandError as error:
            raise _fail(str(error)) from None
    for line in lines:
        typer.echo(line)


def _community(session: Session) -> Community:
    from store.community import home

    community = home(session)
    if community is None:
        raise _fail("no community in the database: load one with `linli community import "
                    "FILE` (or `linli demo`)")
    return community


@notice_app.command("create")
def notice_create(
    to: Annotated[str, typer.Option(help="all, grid:CODE, building:NUMBER, groups or "
                                    "language:zh|en")],
    when: Annotated[str, typer.Option(help='"now", "2026-12-07 08:00", "明天8点", '
                                      '"every monday 8:00", "每天7点半", a crontab…')] = "now",
    zh: Annotated[str, typer.Option(help="the Chinese text")] = "",
    en: Annotated[str, typer.Option(help="the English text")] = "",
    yes: Annotated[bool, typer.Option("--yes", help="send to a large audience without "
                                      "asking")] = False,
) -> None:
    """Schedule a notice; each resident gets their language, else the community default."""
    from bot.notice_dry_run import Draft, dry_run, preview_lines
    from bot.wiring import build_runtime
    from nlu.schedule import describe, parse_schedule
    from store import notices
    from store.database import transaction

    runtime = build_runtime(Settings())
    schedule = parse_schedule(when, runtime.local(runtime.now()))
    if schedule is None:
        raise _fail(f"--when {when!r}: not a time I understand, or already past")
    try:
        audience = notices.Audience.parse(to)
        with transaction(runtime.sessions) as session:
            community = _community(session)
            # The console's dry run: who reads it and what holds it back, said below.
            draft = Draft(audience, schedule, {"zh": zh, "en": en}, when)
            preview = preview_lines(dry_run(session, runtime, draft), draft, runtime)
            notice, reach = notices.create(
                session, community=community, author=None, texts={"zh": zh, "en": en},
                audience=audience, at=schedule.at, cron=schedule.cron, now=runtime.now(),
                zone=runtime.timezone, confirm_above=runtime.policy.notices.confirm_above)
            if notice.status == "to_confirm" and yes:
                notices.confirm(notice, runtime.now(), runtime.timezone)
            number, status = notice.id, notice.status
    except notices.NoticeError as error:
        raise _fail(str(error)) from None
    typer.echo(f"notice #{number}: {audience}, {reach} recipients, "
               f"{describe(schedule, 'en')}, {status}")
    for line in preview:
        typer.echo(line)
    if status == "to_confirm":
        typer.echo(f"more than {runtime.policy.notices.confirm_above} recipients: confirm "
                   f"with `linli notice confirm {number}` (or create it with --yes)")


@notice_app.command("list")
def notice_list() -> None:
    """Notices still to go out, and the last runs of each with their delivery counts."""
    from sqlalchemy import select

    from bot.wiring import build_runtime
    from store import notices
    from store.models import Notice, NoticeRun

    runtime = build_runtime(Settings())
    with runtime.sessions() as session:
        for notice in session.scalars(select(Notice).order_by(Notice.id)):
            upcoming = runtime.local(notice.next_run_at).strftime("%Y-%m-%d %H:%M") \
                if notice.next_run_at else "-"
            preview = next(iter(notice.texts.values()), "")[:40].replace("\n", " ")
            typer.echo(f"#{notice.id:<4} {notice.status:<10} {notice.audience:<12} "
                       f"{notice.cron or 'once':<14} next {upcoming:<16} {preview}")
            for run in session.scalars(select(NoticeRun).where(
                    NoticeRun.notice_id == notice.id).order_by(NoticeRun.id.desc()).limit(3)):
                counts = notices.delivery(session, run)
                ran = runtime.local(run.ran_at).strftime("%Y-%m-%d %H:%M")
                typer.echo(f"      ran {ran}: " + ("missed (Linli was down)" if run.missed else
                           f"{run.recipients} recipients, delivered {counts.delivered}, "
                           f"failed {counts.failed}, unreachable {counts.unreachable}, "
                           f"waiting {counts.waiting}, retrying {counts.pending}"))


def _change_notice(number: int, change: str) -> None:
    from bot.wiring import build_runtime
    from store import notices
    from store.database import transaction
    from store.models import Notice

    runtime = build_runtime(Settings())
    try:
        with transaction(runtime.sessions) as session:
            notice = session.get(Notice, number)
            if notice is None:
                raise _fail(f"no notice #{number}")
            if change == "cancel":
                notices.cancel(notice, runtime.now())
            else:
                notices.confirm(notice, runtime.now(), runtime.timezone)
    except notices.NoticeError as error:
        raise _fail(str(error)) from None
    typer.echo(f"notice #{number}: {'cancelled' if change == 'cancel' else 'scheduled'}")


@notice_app.command("cancel")
def notice_cancel(number: Annotated[int, typer.Argument(help="the notice's number")]) -> None:
    """Cancel a notice (a recurring one stops for good)."""
    _change_notice(number, "cancel")


@notice_app.command("confirm")
def notice_confirm(number: Annotated[int, typer.Argument(help="the notice's number")]) -> None:
    """Send a notice that waits for confirmation because of its large audience."""
    _change_notice(number, "confirm")


_PERSON_KEY = ("a person id (15), a chat identity (telegram:123, rest:abc) or the key in the "
               "community file (wang_aiyi)")


@person_app.command("export")
def person_export(
    key: Annotated[str, typer.Argument(help=_PERSON_KEY)],
    out: Annotated[Path | None, typer.Option("--out", help="write the JSON here instead of "
                                             "to standard output")] = None,
) -> None:
    """Everything held about a person, as JSON (UTF-8)."""
    from bot.wiring import build_runtime
    from store import privacy

    runtime = build_runtime(Settings())
    with runtime.sessions() as session:
        person = privacy.find_person(session, key)
        if person is None:
            raise _fail(f"no person {key!r}")
        data = privacy.export_json(privacy.export(session, person, runtime.now()))
    if out is None:
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
        return
    out.write_bytes(data + b"\n")
    typer.echo(f"person #{person.id}: written to {out}", err=True)


@person_app.command("erase")
def person_erase(
    key: Annotated[str, typer.Argument(help=_PERSON_KEY)],
    yes: Annotated[bool, typer.Option("--yes", help="erase without asking")] = False,
) -> None:
    """Erase a person's name, phone, chat identities, household and message texts; their
    tickets stay in the statistics, anonymised. Asks first unless --yes."""
    from bot.wiring import build_runtime
    from store import privacy
    from store.database import transaction
    from store.models import Person

    runtime = build_runtime(Settings())
    with runtime.sessions() as session:
        person = privacy.find_person(session, key)
        if person is None:
            raise _fail(f"no person {key!r}")
        number, name = person.id, person.name
    if not yes and not typer.confirm(f"Erase the personal data of person #{number} ({name})? "
                                     "This cannot be undone."):
        raise _fail("nothing was erased")
    with transaction(runtime.sessions) as session:
        person = session.get(Person, number)
        assert person is not None
        erased = privacy.erase(session, person, runtime.now())
    if not erased.anything:
        typer.echo(f"person #{number}: nothing left to erase")
        return
    done = [what for what, did in (("name", erased.name), ("phone", erased.phone),
                                   ("household", erased.household)) if did]
    done += [f"{erased.identities} chat identities"] if erased.identities else []
    done += [f"{erased.messages} message texts"] if erased.messages else []
    done += [f"numbers or name taken out of {erased.masked} other texts"] if erased.masked \
        else []
    typer.echo(f"person #{number}: erased " + ", ".join(done))


def main() -> None:
    """Entry point of the ``linli`` console script."""
    app()
