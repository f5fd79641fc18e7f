"""Building the long-lived parts from the settings: the one place that wires things together."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from actions.faq_index import FaqIndex
from actions.notify import notify_person
from actions.responses import Responses
from actions.runtime import Runtime, configure
from actions.runtime import current as current_runtime
from bot.conversation import CLAIM_LEASE, ConversationService, Parser
from bot.settings import Settings
from bot.spool import Spool
from flows.definitions import load_flows, packaged_flows
from flows.executor import ActionCaller, HttpActions, InProcessActions
from flows.runner import FlowRunner
from nlu.pipeline import NluPipeline
from store.community import ImportReport, home, import_community, parse_community
from store.database import make_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import Person
from store.parts import Parts
from store.people import on_duty_staff
from store.policy import SchedulePolicy

if TYPE_CHECKING:
    from bot.nlu_swap import SwappableParser
    from bot.scheduler.engine import Scheduler
    from bot.webchat import WebChat


def build_runtime(settings: Settings | None = None) -> Runtime:
    """Database (migrated), responses and clock for the actions."""
    settings = settings or Settings()
    engine = make_engine(settings.database)
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        community = home(session)
    timezone = ZoneInfo(community.timezone if community else "Asia/Shanghai")
    faq_file = settings.config_dir / "faq.yml"
    policy = SchedulePolicy.load(settings.config_dir / "schedule.yml")
    return Runtime(sessions=sessions, responses=Responses.load(settings.config_dir),
                   timezone=timezone, faq=FaqIndex.load(faq_file) if faq_file.exists() else None,
                   policy=policy, deadlines=policy.deadline_rules(timezone),
                   parts=Parts.load(settings.config_dir / "parts.yml"),
                   retention=dt.timedelta(days=settings.retention_days))


def build_service(runtime: Runtime, nlu: Parser, flows_file: Path | None = None,
                  actions: ActionCaller | None = None,
                  spool: Spool | None = None,
                  lease: dt.timedelta = CLAIM_LEASE) -> ConversationService:
    """The conversation service over ``runtime``'s database, with in-process actions."""
    configure(runtime)
    runner = FlowRunner(load_flows(flows_file or packaged_flows()),
                        actions or InProcessActions(), runtime.responses)
    return ConversationService(runtime.sessions, nlu, runner, runtime.clock, spool, lease)


def prepare(settings: Settings, progress: Callable[[str], None]) -> tuple[SwappableParser,
                                                                           ConversationService]:
    """Everything a chat needs: the NLU (trained if stale), the database (migrated, demo
    community loaded if it holds none) and the conversation service."""
    from nlu.loader import ensure_pipeline

    runtime = build_runtime(settings)
    pipeline = serve_active_model(settings, runtime, ensure_pipeline(settings.nlu_paths,
                                                                      progress))
    with runtime.sessions() as session:
        empty = home(session) is None
    if empty:
        load_community_file(runtime, settings.config_dir / "community.demo.yml")
        progress("no community in the database: loaded the demo community")
        from console.cli import demo_logins  # and its console accounts, said once

        for line in demo_logins(runtime.sessions, runtime.now()):
            progress(line)
    actions = HttpActions(settings.action_endpoint) if settings.action_endpoint else None
    spool = Spool(settings.home / "spool" / "inbox.jsonl")
    return pipeline, build_service(runtime, pipeline, actions=actions, spool=spool,
                                   lease=dt.timedelta(seconds=settings.claim_lease_seconds))


def serve_active_model(settings: Settings, runtime: Runtime,
                       packaged: NluPipeline) -> SwappableParser:
    """The parser every part of this process uses: the version the database names as active
    (the packaged model when none is), followed every few seconds and swapped in live."""
    from bot.nlu_swap import ActiveModelWatcher, SwappableParser

    parser = SwappableParser(packaged)
    watcher = ActiveModelWatcher(parser, runtime.sessions, settings.home, settings.nlu_paths)
    watcher.refresh()
    watcher.start()
    return parser


def build_scheduler(runtime: Runtime) -> Scheduler:
    """The scheduler for ``runtime``'s database, at the pace config/schedule.yml sets."""
    from bot.scheduler.engine import Scheduler
    from bot.scheduler.jobs import Jobs

    return Scheduler(Jobs(runtime), runtime.sessions, runtime.clock,
                     interval=runtime.policy.engine.interval, lease=runtime.policy.engine.lease)


def build_webchat(settings: Settings, service: ConversationService) -> WebChat:
    """The web chat (socket.io, its page and pushes), signing sessions with the settings' key."""
    from bot.webchat import SessionSigner, WebChat

    return WebChat(service, SessionSigner(settings.signing_key()))


def load_community_file(runtime: Runtime, path: Path) -> ImportReport:
    """Validate and import a community YAML file (raises CommunityFileError, OSError)."""
    import yaml

    spec = parse_community(yaml.safe_load(path.read_text(encoding="utf-8")))
    with transaction(runtime.sessions) as session:
        return import_community(session, spec)


async def run_telegram(settings: Settings, service: ConversationService,
                       application: Any) -> None:
    """Telegram until cancelled: updates by polling (or the webhook route feeds them), and the
    outbox delivered at Telegram's limits."""
    from bot.delivery import DeliveryWorker
    from bot.telegram import RateLimiter, TelegramChannel, TelegramFrontend, add_handlers

    channel = TelegramChannel(application, service.sessions, RateLimiter(), service.clock)
    await application.initialize()
    add_handlers(application, TelegramFrontend(service, channel, application.bot.username))
    await application.start()
    if settings.telegram_webhook_url:
        await application.bot.set_webhook(settings.telegram_webhook_url,
                                          secret_token=settings.telegram_webhook_secret)
    else:
        assert application.updater is not None
        await application.bot.delete_webhook()
        await application.updater.start_polling(drop_pending_updates=False)
    runtime = current_runtime()
    worker = DeliveryWorker(service.sessions, {"telegram": channel}, service.clock,
                            on_unreachable=tell_staff_unreachable(),
                            quiet=runtime.policy.quiet(runtime.timezone))
    try:
        await worker.run_forever(interval=0.5)
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await application.stop()
        await application.shutdown()


def tell_staff_unreachable() -> Callable[[Session, Person], None]:
    """Delivery hook: when someone blocks the bot, the staff on duty are told (outbox)."""
    runtime = current_runtime()

    def hook(session: Session, person: Person) -> None:
        for member in on_duty_staff(session, person.community_id):
            notify_person(session, runtime, member, "utter_notify_unreachable",
                          f"unreachable:{person.id}:{member.id}", name=person.name,
                          phone=person.phone or "")

    return hook


def settle_heap() -> None:
    """Once a serving process has loaded what it serves with (the NLU model, flows, the app),
    move it out of the garbage collector's sight: a full collection otherwise walks all of it,
    about 190,000 objects and 90 ms during which no turn runs — the slowest 1 % of answers.
    What is loaded later (a swapped-in model) is collected as usual."""
    gc.collect()
    gc.freeze()
