"""Building the long-lived parts from the settings: the one place that wires things together."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from actions.responses import Responses
from actions.runtime import Runtime, configure
from bot.conversation import ConversationService, Parser
from bot.settings import Settings
from flows.definitions import load_flows, packaged_flows
from flows.executor import ActionCaller, InProcessActions
from flows.runner import FlowRunner
from store.database import make_engine, session_factory
from store.migrate import upgrade
from store.models import Community


def build_runtime(settings: Settings | None = None) -> Runtime:
    """Database (migrated), responses and clock for the actions."""
    settings = settings or Settings()
    engine = make_engine(settings.database)
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        community = session.scalar(select(Community).limit(1))
    timezone = ZoneInfo(community.timezone if community else "Asia/Shanghai")
    return Runtime(sessions=sessions, responses=Responses.load(settings.config_dir),
                   timezone=timezone)


def build_service(runtime: Runtime, nlu: Parser, flows_file: Path | None = None,
                  actions: ActionCaller | None = None) -> ConversationService:
    """The conversation service over ``runtime``'s database, with in-process actions."""
    configure(runtime)
    runner = FlowRunner(load_flows(flows_file or packaged_flows()),
                        actions or InProcessActions(), runtime.responses)
    return ConversationService(runtime.sessions, nlu, runner, runtime.clock)
