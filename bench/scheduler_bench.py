"""Scheduler benchmark: restart time, firing lateness, idle CPU and the three-rates queries, on
SQLite and on PostgreSQL, with the real clock and the production sweep interval.

    python bench/scheduler_bench.py [--database sqlite|postgresql|both] [--tickets 10000]
        [--notices 1000] [--history 300000] [--quick] [--interval SECONDS] [--window 60]
        [--idle-seconds 20]

Per database: the demo community, N open tickets whose response deadlines and M one-off notices
whose send times fall over the next ``--window`` seconds of real time; a new Scheduler (as after
a restart: nothing is re-registered, the deadlines live on the rows) is timed to its first
sweep, then runs through the window. Lateness is read back from the database (the reminder's
TicketEvent.at − respond_by, NoticeRun.ran_at − due_at); the sweep is wrapped here to time it.
Then the process's CPU while nothing is due, then H finished tickets of the past year and the
three-rates queries. ``--quick`` divides the counts by 10. Prints numbers; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from actions.runtime import Runtime  # noqa: E402
from bench.common import percentile, postgres_schema  # noqa: E402
from bot.scheduler.engine import Scheduler  # noqa: E402
from bot.scheduler.jobs import Jobs  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.wiring import build_runtime  # noqa: E402
from store.community import import_community, parse_community  # noqa: E402
from store.database import make_engine, session_factory, transaction  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import (  # noqa: E402
    Building,
    Community,
    Grid,
    Notice,
    NoticeRun,
    NoticeStatus,
    OutboxMessage,
    Person,
    PersonRole,
    Role,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from store.policy import SchedulePolicy  # noqa: E402
from store.rates import Rate, load_by_grid, rates, rates_by_grid  # noqa: E402
from store.tickets import PREFIXES, Deadlines  # noqa: E402

CONFIG = REPO / "config"
BATCH = 5000
CATEGORIES = list(yaml.safe_load((CONFIG / "labels.yml").read_text(encoding="utf-8"))["category"])
EMERGENCIES = {"fire", "medical"}
COMPLAINTS = {"noise", "parking", "pets", "sanitation", "security", "construction",
              "property_service"}
RATINGS = ([5] * 45 + [4] * 25 + [3] * 12 + [2] * 8 + [1] * 5 + [0] * 5)
#: Bot/scheduler/jobs.py's jobs, in the order Jobs.sweep runs them (timed one by one here).
JOB_NAMES = ("response_deadlines", "supervisor_escalations", "resolution_deadlines", "polls",
             "event_reminders", "notices", "notice_reports", "digest")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ms(delta: dt.timedelta) -> float:
    return delta.total_seconds() * 1000


def stats(values: list[float]) -> str:
    """count, p50, p99, max (ms)."""
    if not values:
        return "n=0"
    return (f"n={len(values)} p50 {percentile(values, 50):.1f} p99 {percentile(values, 99):.1f}"
            f" max {max(values):.1f} ms")


@dataclass(frozen=True)
class Options:
    tickets: int
    notices: int
    history: int
    interval: dt.timedelta
    window: float
    lead: float
    idle_seconds: float
    runs: int


@dataclass(frozen=True)
class World:
    """The demo community's ids the generated rows refer to."""

    community_id: int
    zone: ZoneInfo
    buildings: list[tuple[int, str, int | None]]  # id, number, the grid member's person id
    residents: list[int]
    author: int


@dataclass
class Sweep:
    phase: str
    now: dt.datetime
    seconds: float
    finished: dt.datetime
    done: Counter[str]


class TimedJobs(Jobs):
    """Jobs whose sweep, and each job in it, is timed (bot/ is not touched)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.phase = "before window"
        self.sweeps: list[Sweep] = []
        self.job_seconds: dict[str, dict[str, float]] = {}
        for name in JOB_NAMES:  # instance attributes shadow the methods Jobs.sweep calls
            setattr(self, name, self._timed(name, getattr(self, name)))

    def _timed(self, name: str, job: Callable[[dt.datetime], Counter[str]]
               ) -> Callable[[dt.datetime], Counter[str]]:
        def timed(now: dt.datetime) -> Counter[str]:
            started = time.perf_counter()
            try:
                return job(now)
            finally:
                spent = self.job_seconds.setdefault(self.phase, {})
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
        return timed

    def sweep(self, now: dt.datetime) -> Counter[str]:
        started = time.perf_counter()
        done = super().sweep(now)
        self.sweeps.append(Sweep(self.phase, now, time.perf_counter() - started, utcnow(),
                                 done))
        return done

    def phase_sweeps(self, phase: str) -> list[Sweep]:
        return [s for s in self.sweeps if s.phase == phase]


@dataclass
class Result:
    database: str
    lines: list[str] = field(default_factory=list)
    row: dict[str, str] = field(default_factory=dict)

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.lines.append(line)


# -- set-up ------------------------------------------------------------------------------------


def import_demo(sessions: sessionmaker[Session]) -> World:
    spec = parse_community(yaml.safe_load((CONFIG / "community.demo.yml").read_text(
        encoding="utf-8")))
    with transaction(sessions) as session:
        import_community(session, spec)
    with sessions() as session:
        community = session.scalar(select(Community).where(Community.code == spec.community.code))
        assert community is not None
        buildings = [(b, n, m) for b, n, m in session.execute(
            select(Building.id, Building.number, Grid.grid_member_id)
            .join(Grid, Building.grid_id == Grid.id)
            .where(Building.community_id == community.id).order_by(Building.id))]

        def with_role(role: Role) -> list[int]:
            return list(session.scalars(select(Person.id).join(
                PersonRole, PersonRole.person_id == Person.id).where(
                Person.community_id == community.id, PersonRole.role == role)
                .order_by(Person.id)))

        return World(community.id, ZoneInfo(community.timezone), buildings,
                     with_role(Role.RESIDENT), with_role(Role.STAFF)[0])


def kind_of(category: str) -> TicketKind:
    if category in EMERGENCIES:
        return TicketKind.EMERGENCY
    return TicketKind.COMPLAINT if category in COMPLAINTS else TicketKind.REPAIR


class Numbers:
    """Ticket numbers as Linli writes them (BX-20261207-0042), unique per prefix and day."""

    def __init__(self) -> None:
        self.counters: Counter[tuple[str, str]] = Counter()

    def next(self, kind: TicketKind, created: dt.datetime, zone: ZoneInfo) -> str:
        key = (PREFIXES[kind], created.astimezone(zone).strftime("%Y%m%d"))
        self.counters[key] += 1
        return f"{key[0]}-{key[1]}-{self.counters[key]:04d}"


def ticket_row(world: World, rng: random.Random, numbers: Numbers, created: dt.datetime,
               building: tuple[int, str, int | None] | None) -> dict[str, Any]:
    category = rng.choice(CATEGORIES)
    kind = kind_of(category)
    unit, room = str(rng.randint(1, 4)), f"{rng.randint(1, 18)}0{rng.randint(1, 4)}"
    return {
        "number": numbers.next(kind, created, world.zone), "community_id": world.community_id,
        "kind": kind, "category": category, "status": TicketStatus.ASSIGNED,
        "priority": "urgent" if kind == TicketKind.EMERGENCY else "normal",
        "escalation_level": 0,
        "text": (f"{building[1]}号楼{unit}单元{room} " if building else "小区 ") + category,
        "language": "zh" if rng.random() < 0.85 else "en",
        "building_id": building[0] if building else None,
        "unit": unit if building else None, "room": room if building else None,
        "reporter_id": rng.choice(world.residents),
        "assignee_id": building[2] if building else None, "duplicate_of_id": None,
        "created_at": created, "respond_by": None, "escalate_by": None, "resolve_by": None,
        "acknowledged_at": None,
        "resolved_at": None, "closed_at": None, "rating": None, "response_step": 0,
        "resolution_step": 0, "poll_step": 0}


def bulk_insert(engine: Engine, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    """Core inserts of BATCH rows per statement list and transaction; the rows inserted."""
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            with engine.begin() as connection:
                connection.execute(insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        with engine.begin() as connection:
            connection.execute(insert(table), batch)
        count += len(batch)
    return count


def open_tickets(world: World, rng: random.Random, numbers: Numbers, count: int,
                 base: dt.datetime, window: float) -> Iterator[dict[str, Any]]:
    """Assigned, not accepted, their response due within the window; resolution a day on."""
    now = utcnow()
    for _ in range(count):
        row = ticket_row(world, rng, numbers, now, rng.choice(world.buildings))
        row["respond_by"] = base + dt.timedelta(seconds=rng.uniform(0, window))
        row["escalate_by"] = row["respond_by"] + dt.timedelta(hours=1)
        row["resolve_by"] = base + dt.timedelta(days=1)
        yield row


def scheduled_notices(world: World, rng: random.Random, count: int, base: dt.datetime,
                      window: float) -> Iterator[dict[str, Any]]:
    now = utcnow()
    for _ in range(count):
        number = rng.choice(world.buildings)[1]
        yield {"community_id": world.community_id, "author_id": world.author,
               "texts": {"zh": f"{number}号楼通知：明天上午9点至11点停水检修，请提前储水。",
                         "en": f"Building {number}: water off tomorrow 9 to 11 am for repairs."},
               "audience": f"building:{number}", "cron": None,
               "status": NoticeStatus.SCHEDULED,
               "next_run_at": base + dt.timedelta(seconds=rng.uniform(0, window)),
               "created_at": now, "cancelled_at": None}


def history(world: World, deadlines: Deadlines, rng: random.Random, numbers: Numbers,
            count: int, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """Finished tickets of the past year: cancelled, resolved (the poll still running) or
    closed (rated, or closed when the poll lapsed), deadlines met or missed, steps recorded so
    that nothing in them is due for the scheduler."""
    minute = dt.timedelta(minutes=1)
    for _ in range(count):
        created = now - dt.timedelta(seconds=rng.uniform(3600, 365 * 86400))
        building = rng.choice(world.buildings) if rng.random() > 0.03 else None
        row = ticket_row(world, rng, numbers, created, building)
        kind, category = row["kind"], row["category"]
        rule = deadlines.rule(kind, category)
        due = deadlines.due(kind, category, created)
        respond_by, resolve_by = due.respond_by, due.resolve_by
        row["respond_by"], row["resolve_by"] = respond_by, resolve_by
        row["escalate_by"] = due.escalate_by
        if rng.random() < 0.05:
            row["status"] = TicketStatus.CANCELLED
            row["closed_at"] = min(created + dt.timedelta(minutes=rng.uniform(5, 120)), now)
            yield row
            continue
        if rng.random() < 0.85:
            acknowledged = created + (respond_by - created) * rng.uniform(0.02, 1.0)
        else:
            acknowledged = respond_by + rule.escalate_after * rng.uniform(0.05, 2.0)
        resolved = acknowledged + (resolve_by - created) * rng.uniform(0.05, 1.3)
        resolved = min(resolved, now - minute)
        acknowledged = min(acknowledged, resolved)
        late = acknowledged > respond_by
        escalated = acknowledged > respond_by + rule.escalate_after
        row["response_step"] = 2 if escalated else int(late)
        row["resolution_step"] = int(resolved > resolve_by)
        row["escalation_level"] = 2 if resolved > resolve_by else int(escalated)
        row["acknowledged_at"], row["resolved_at"] = acknowledged, resolved
        age = now - resolved
        if age < dt.timedelta(hours=72):  # the poll is still running
            row["status"] = TicketStatus.RESOLVED
            row["poll_step"] = 1 if age < dt.timedelta(hours=24) else 2
        elif rng.random() < 0.6:
            row["status"], row["rating"] = TicketStatus.CLOSED, rng.choice(RATINGS)
            row["closed_at"] = resolved + dt.timedelta(minutes=rng.uniform(10, 72 * 60))
            row["poll_step"] = rng.choice((1, 2))
        else:
            row["status"], row["poll_step"] = TicketStatus.CLOSED, 3
            row["closed_at"] = resolved + dt.timedelta(hours=72, minutes=10)
        yield row


# -- the scheduler -----------------------------------------------------------------------------


def scheduler_for(jobs: Jobs, interval: dt.timedelta) -> Scheduler:
    return Scheduler(jobs, jobs.runtime.sessions, utcnow, interval=interval,
                     lease=jobs.policy.engine.lease)


async def restart(jobs: TimedJobs, interval: dt.timedelta) -> tuple[Scheduler, float]:
    """A new Scheduler to the end of its first sweep (seconds)."""
    started = time.perf_counter()
    scheduler = scheduler_for(jobs, interval)
    await scheduler.start()
    await scheduler.wait_sweeps(1, timeout=300)
    return scheduler, time.perf_counter() - started


async def stop(scheduler: Scheduler) -> None:
    """Stop between sweeps: Scheduler.stop does not wait for a sweep in progress, which the
    end of asyncio.run would then cancel."""
    try:
        await scheduler.wait_sweeps(1, timeout=300)
    finally:
        await scheduler.stop()


async def idle_cpu(seconds: float) -> float:
    """The process's CPU time over ``seconds`` of wall time, as % of one core."""
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - wall) * 100


def sweep_summary(jobs: TimedJobs, phase: str, interval: dt.timedelta) -> str:
    sweeps = jobs.phase_sweeps(phase)
    if not sweeps:
        return f"{phase}: no sweeps"
    durations = [s.seconds * 1000 for s in sweeps]
    over = sum(1 for s in sweeps if s.seconds > interval.total_seconds())
    slowest = max(sweeps, key=lambda s: s.seconds)
    spent = sorted(jobs.job_seconds.get(phase, {}).items(), key=lambda item: -item[1])
    top = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in spent[:3])
    return (f"{phase}: {len(sweeps)} sweeps, p50 {percentile(durations, 50):.1f} ms, p99 "
            f"{percentile(durations, 99):.1f} ms, slowest {max(durations):.1f} ms "
            f"(did {dict(slowest.done)}), {over} longer than the interval; "
            f"time by job: {top}")


def lateness(sessions: sessionmaker[Session], jobs: TimedJobs,
             result: Result) -> tuple[list[float], list[float], Counter[str]]:
    """Ticket and notice lateness (ms, as recorded), and the once-only checks."""
    finished = {s.now: s.finished for s in jobs.sweeps}
    checks: Counter[str] = Counter()
    with sessions() as session:
        due = dict(session.execute(select(Ticket.id, Ticket.respond_by)).all())
        reminders = session.execute(select(TicketEvent.ticket_id, TicketEvent.at).where(
            TicketEvent.kind == "reminded")).all()
        notice_due = dict(session.execute(select(Notice.id, Notice.next_run_at)).all())
        runs = session.execute(select(NoticeRun.notice_id, NoticeRun.due_at, NoticeRun.ran_at,
                                      NoticeRun.missed)).all()
        outbox = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())
                                .limit(1)) or 0
    tickets, tickets_done, notices, notices_done = [], [], [], []
    per_ticket = Counter(ticket_id for ticket_id, _ in reminders)
    for ticket_id, at in reminders:
        respond_by = due[ticket_id]
        assert respond_by is not None
        tickets.append(ms(at - respond_by))
        if at in finished:
            tickets_done.append(ms(finished[at] - respond_by))
    per_notice = Counter(notice_id for notice_id, *_ in runs)
    for _, due_at, ran_at, missed in runs:
        notices.append(ms(ran_at - due_at))
        if ran_at in finished:
            notices_done.append(ms(finished[ran_at] - due_at))
        checks["notices missed (too late)"] += int(missed)
    checks["tickets reminded once"] = sum(1 for n in per_ticket.values() if n == 1)
    checks["ticket reminders duplicated"] = sum(n - 1 for n in per_ticket.values() if n > 1)
    checks["tickets never reminded"] = len(set(due) - set(per_ticket))
    checks["notices run once"] = sum(1 for n in per_notice.values() if n == 1)
    checks["notice runs duplicated"] = sum(n - 1 for n in per_notice.values() if n > 1)
    checks["notices never run"] = len(set(notice_due) - set(per_notice))
    result.say(f"  ticket lateness (TicketEvent.at − respond_by): {stats(tickets)}")
    result.say(f"  ... until its sweep finished:                   {stats(tickets_done)}")
    result.say(f"  notice lateness (ran_at − due_at):              {stats(notices)}")
    result.say(f"  ... until its sweep finished:                   {stats(notices_done)}")
    result.say("  " + ", ".join(f"{k} {v}" for k, v in checks.items())
               + f"; outbox rows {outbox}")
    return tickets, notices, checks


async def run_scheduler(sessions: sessionmaker[Session], settings: Settings, world: World,
                        opts: Options, base: dt.datetime, result: Result) -> None:
    built = time.perf_counter()
    runtime = build_runtime(settings)  # what `linli serve` does at start: own engine, migrate
    jobs = TimedJobs(runtime)
    built_s = time.perf_counter() - built
    scheduler, first = await restart(jobs, opts.interval)
    early = sum(s.done["reminded"] + s.done["notices_sent"] for s in jobs.sweeps)
    result.say(f"  restart: build_runtime {built_s * 1000:.0f} ms; new Scheduler → first sweep "
               f"done {first * 1000:.1f} ms (interval {opts.interval.total_seconds():g} s)"
               + (f"; WARNING {early} items were already due" if early else ""))
    result.row["restart ms"] = f"{first * 1000:.0f}"
    try:
        await asyncio.sleep(max(0.0, (base - utcnow()).total_seconds()))
        jobs.phase = "window"
        await asyncio.sleep(opts.window)
        deadline = time.perf_counter() + opts.window + 60
        while (scheduler.done["reminded"] < opts.tickets
               or scheduler.done["notice_reports"] < opts.notices) \
                and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(2 * opts.interval.total_seconds())
        result.say(f"  window over {(utcnow() - base).total_seconds():.1f} s after it began; "
                   f"scheduler did {dict(scheduler.done)}")
        jobs.phase = "idle"
        await scheduler.wait_sweeps(1, timeout=300)
        cpu = await idle_cpu(opts.idle_seconds)
    finally:
        await stop(scheduler)
    result.say(f"  idle CPU over {opts.idle_seconds:g} s, nothing due, {opts.tickets} reminded "
               f"tickets open: {cpu:.1f}% of one core")
    result.row["idle CPU %"] = f"{cpu:.1f}"
    for phase in ("before window", "window", "idle"):
        result.say("  sweeps " + sweep_summary(jobs, phase, opts.interval))
    result.row["slowest sweep ms"] = f"{max(s.seconds for s in jobs.sweeps) * 1000:.0f}"
    tickets, notices, checks = lateness(sessions, jobs, result)
    for name, values in (("ticket", tickets), ("notice", notices)):
        result.row[f"{name} late p50/p99/max ms"] = (
            f"{percentile(values, 50):.0f} / {percentile(values, 99):.0f} / {max(values):.0f}"
            if values else "–")
    result.row["once / dup / missing"] = (
        f"{checks['tickets reminded once']}/{checks['ticket reminders duplicated']}/"
        f"{checks['tickets never reminded']} + {checks['notices run once']}/"
        f"{checks['notice runs duplicated']}/{checks['notices never run']}")
    engine = runtime.sessions.kw["bind"]
    assert isinstance(engine, Engine)
    engine.dispose()


async def idle_with_history(settings: Settings, opts: Options, result: Result) -> None:
    runtime = build_runtime(settings)
    jobs = TimedJobs(runtime)
    jobs.phase = "idle, history"
    scheduler, first = await restart(jobs, opts.interval)
    try:
        cpu = await idle_cpu(opts.idle_seconds)
    finally:
        await stop(scheduler)
    result.say(f"  with the history: restart → first sweep {first * 1000:.1f} ms; idle CPU "
               f"{cpu:.1f}% of one core; did {dict(scheduler.done)}")
    result.say("  sweeps " + sweep_summary(jobs, "idle, history", opts.interval))
    result.row["restart ms, history"] = f"{first * 1000:.0f}"
    result.row["idle CPU %, history"] = f"{cpu:.1f}"
    engine = runtime.sessions.kw["bind"]
    assert isinstance(engine, Engine)
    engine.dispose()


# -- the three rates ---------------------------------------------------------------------------


def share(rate: Rate) -> str:
    value = rate.value
    return f"{rate.numerator}/{rate.denominator}" + (f" = {value:.3f}" if value is not None
                                                      else "")


def time_queries(sessions: sessionmaker[Session], world: World, runs: int,
                 result: Result) -> None:
    now = utcnow()
    day_start = dt.datetime.combine(now.astimezone(world.zone).date(), dt.time(),
                                    tzinfo=world.zone)
    cid = world.community_id
    queries: dict[str, Callable[[Session], Any]] = {
        "rates": lambda s: rates(s, cid, since=now - dt.timedelta(days=30), until=now,
                                 as_of=now),
        "rates_by_grid": lambda s: rates_by_grid(s, cid, since=now - dt.timedelta(days=30),
                                                 until=now, as_of=now),
        "load_by_grid": lambda s: load_by_grid(s, cid, day_start,
                                               day_start + dt.timedelta(days=1), now),
    }
    for name, query in queries.items():
        timings = []
        with sessions() as session:
            answer = query(session)  # warm-up
            for _ in range(runs):
                started = time.perf_counter()
                query(session)
                timings.append((time.perf_counter() - started) * 1000)
        result.say(f"  {name}: {runs} runs, p50 {percentile(timings, 50):.2f} ms, p99 "
                   f"{percentile(timings, 99):.2f} ms")
        if name == "rates":
            result.say(f"    (last 30 days: opened {answer.opened}, response "
                       f"{share(answer.response)}, resolution {share(answer.resolution)}, "
                       f"satisfaction {share(answer.satisfaction)})")
        result.row[f"{name} p50/p99 ms"] = (f"{percentile(timings, 50):.1f} / "
                                            f"{percentile(timings, 99):.1f}")


# -- one database ------------------------------------------------------------------------------


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """A URL: a fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'linli.db'}"
        return
    with postgres_schema() as url:
        yield url


def bench(kind: str, opts: Options) -> Result:
    result = Result(kind)
    rng = random.Random(20261207)
    numbers = Numbers()
    result.say(f"\n== {kind}: {opts.tickets} tickets, {opts.notices} notices, {opts.history} "
               f"in the history ==")
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = session_factory(engine)
        started = time.perf_counter()
        world = import_demo(sessions)
        community_s = time.perf_counter() - started
        base = utcnow() + dt.timedelta(seconds=opts.lead)
        started = time.perf_counter()
        bulk_insert(engine, Ticket, open_tickets(world, rng, numbers, opts.tickets, base,
                                                 opts.window))
        tickets_s = time.perf_counter() - started
        started = time.perf_counter()
        bulk_insert(engine, Notice, scheduled_notices(world, rng, opts.notices, base,
                                                      opts.window))
        notices_s = time.perf_counter() - started
        result.say(f"  set-up: demo community {community_s * 1000:.0f} ms, {opts.tickets} "
                   f"tickets {tickets_s:.2f} s, {opts.notices} notices {notices_s:.2f} s; "
                   f"due from {(base - utcnow()).total_seconds():.1f} s from now for "
                   f"{opts.window:g} s")
        result.row["set-up s"] = f"{community_s + tickets_s + notices_s:.1f}"
        settings = Settings(home=Path(tmp), database_url=url)
        asyncio.run(run_scheduler(sessions, settings, world, opts, base, result))

        policy = SchedulePolicy.load(CONFIG / "schedule.yml")
        started = time.perf_counter()
        inserted = bulk_insert(engine, Ticket, history(
            world, policy.deadline_rules(world.zone), rng, numbers, opts.history, utcnow()))
        history_s = time.perf_counter() - started
        result.say(f"  history: {inserted} finished tickets over 365 days in {history_s:.1f} s "
                   f"({inserted / history_s:.0f} rows/s, batches of {BATCH})")
        result.row["history insert s"] = f"{history_s:.1f}"
        if kind == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        asyncio.run(idle_with_history(settings, opts, result))
        time_queries(sessions, world, opts.runs, result)
        engine.dispose()
    return result


def table(results: list[Result]) -> str:
    columns = list(dict.fromkeys(k for r in results for k in r.row))
    lines = ["| database | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {r.database} | " + " | ".join(r.row.get(c, "–") for c in columns) + " |"
              for r in results]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--notices", type=int, default=1_000)
    parser.add_argument("--history", type=int, default=300_000)
    parser.add_argument("--quick", action="store_true", help="a tenth of each count")
    parser.add_argument("--interval", type=float,
                        help="sweep interval in seconds (default: config/schedule.yml's)")
    parser.add_argument("--window", type=float, default=60.0,
                        help="seconds over which the deadlines and notices fall due")
    parser.add_argument("--lead", type=float, default=20.0,
                        help="seconds from the set-up until the window begins")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each rates query")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    scale = 10 if args.quick else 1
    policy = SchedulePolicy.load(CONFIG / "schedule.yml")
    interval = (dt.timedelta(seconds=args.interval) if args.interval
                else policy.engine.interval)
    opts = Options(args.tickets // scale, args.notices // scale, args.history // scale,
                   interval, args.window, args.lead, args.idle_seconds, args.runs)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"Scheduler benchmark {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}, `{' '.join(sys.argv)}`")
    results = [bench(kind, opts) for kind in kinds]
    print(f"\nScheduler benchmark {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs: "
          f"{opts.tickets} tickets and {opts.notices} notices due over {opts.window:g} s, "
          f"{opts.history} in the history, sweep every {interval.total_seconds():g} s\n")
    print(table(results))


if __name__ == "__main__":
    main()
