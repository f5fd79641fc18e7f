"""Staff board benchmark (the query layer, store/board.py) on PostgreSQL.

    python bench/board_bench.py [--tickets 300000] [--open-share 0.02] [--repeat 200]

The demo community in a fresh schema of the shared server, ``--tickets`` tickets over the past
year (a share of them still open: some overdue, some escalated, a few emergencies; the rest
closed or cancelled), then each board request ``--repeat`` times: staff's first page, a page
five pages deep, one grid, the overdue filter, a grid member's and a supervisor's board, the
headline counts and a ticket's detail; then the rates report of 30 days (whole and one grid)
and a month's XLSX workbook. Prints p50 and p95 per request; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Engine, insert, select, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from bench.common import percentile, postgres_schema  # noqa: E402
from store import board  # noqa: E402
from store.board import Filters, Viewer  # noqa: E402
from store.community import import_community, parse_community  # noqa: E402
from store.database import make_engine, session_factory, transaction  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import (  # noqa: E402
    Building,
    ChatIdentity,
    Community,
    Grid,
    Person,
    Ticket,
    TicketKind,
    TicketStatus,
)
from store.rates import report  # noqa: E402
from store.rates_xlsx import workbook  # noqa: E402
from store.tickets import OPEN  # noqa: E402

CATEGORIES = ("water", "electricity", "elevator", "lighting", "drainage", "noise", "parking",
              "sanitation", "greenery", "property_service")
BATCH = 5000


def rows(world: dict[str, Any], count: int, open_share: float, now: dt.datetime,
         rng: random.Random) -> Iterator[dict[str, Any]]:
    hour = dt.timedelta(hours=1)
    for index in range(count):
        created = now - dt.timedelta(seconds=rng.uniform(60, 365 * 86400))
        is_open = rng.random() < open_share
        if is_open:  # open ones are recent: the last two weeks
            created = now - dt.timedelta(seconds=rng.uniform(60, 14 * 86400))
        kind = TicketKind.EMERGENCY if rng.random() < 0.002 else (
            TicketKind.COMPLAINT if rng.random() < 0.3 else TicketKind.REPAIR)
        building_id, grid_member = rng.choice(world["buildings"])
        respond_by, resolve_by = created + 24 * hour, created + 7 * 24 * hour
        status = rng.choice(OPEN) if is_open else (
            TicketStatus.CANCELLED if rng.random() < 0.05 else TicketStatus.CLOSED)
        acknowledged = None if status in (TicketStatus.NEW, TicketStatus.ASSIGNED) else \
            created + rng.uniform(0.1, 1.5) * 24 * hour
        yield {"number": f"BX-{index:09d}", "community_id": world["community"], "kind": kind,
               "category": rng.choice(CATEGORIES), "status": status,
               "priority": "urgent" if kind == TicketKind.EMERGENCY else "normal",
               "escalation_level": rng.choice((0, 0, 0, 1, 2)) if is_open else 0,
               "text": "楼道灯不亮了，电话13800001234", "language": "zh",
               "building_id": building_id, "unit": "1", "room": "101",
               "reporter_id": rng.choice(world["residents"]),
               "assignee_id": None if status == TicketStatus.NEW else grid_member,
               "created_at": created, "respond_by": respond_by,
               "escalate_by": respond_by + 4 * hour, "resolve_by": resolve_by,
               "acknowledged_at": acknowledged,
               "resolved_at": None if is_open else created + 48 * hour,
               "closed_at": None if is_open else created + 60 * hour,
               "rating": None if is_open else rng.choice((None, 3, 4, 5)),
               "response_step": 0, "resolution_step": 0, "poll_step": 0}


def timed(repeat: int, request: Callable[[], object]) -> tuple[float, float]:
    request()  # a first run fills the caches, as the board's own first page would
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        request()
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 50), percentile(samples, 95)


def seed(engine: Engine, tickets: int, open_share: float, now: dt.datetime,
         rng: random.Random) -> tuple[dict[str, Any], int]:
    """A migrated database with the demo community and ``tickets`` tickets (see ``rows``),
    analysed; returns the community's ids (``rows``' world) and how many tickets are open.
    The console benchmark (bench/console_bench.py staff) seeds with this too."""
    upgrade(engine)
    sessions = session_factory(engine)
    document = yaml.safe_load((REPO / "config" / "community.demo.yml").read_text("utf-8"))
    with transaction(sessions) as session:
        import_community(session, parse_community(document))
    with sessions() as session:
        community = session.scalar(select(Community.id))
        world = {"community": community,
                 "buildings": [(b.id, b.grid.grid_member_id)
                               for b in session.scalars(select(Building))],
                 "residents": list(session.scalars(select(Person.id)))}
    batch: list[dict[str, Any]] = []
    for row in rows(world, tickets, open_share, now, rng):
        batch.append(row)
        if len(batch) == BATCH:
            with engine.begin() as connection:
                connection.execute(insert(Ticket), batch)
            batch = []
    if batch:
        with engine.begin() as connection:
            connection.execute(insert(Ticket), batch)
    # A live table is written in time order and vacuumed by autovacuum; the rows above come
    # in random order, so lay the table out as time would (a month's tickets on neighbouring
    # pages, not on every page) and vacuum it before anything is measured.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CLUSTER ticket USING ix_ticket_created_at"))
        connection.execute(text("VACUUM ANALYZE"))
        opened = connection.scalar(select(text("count(*)")).select_from(Ticket).where(
            Ticket.status.in_(OPEN)))
    return world, int(opened or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--open-share", type=float, default=0.02)
    parser.add_argument("--repeat", type=int, default=200)
    opts = parser.parse_args()
    rng = random.Random(13)
    now = dt.datetime.now(dt.UTC)
    with postgres_schema() as url:
        engine = make_engine(url)
        started = time.perf_counter()
        world, opened = seed(engine, opts.tickets, opts.open_share, now, rng)
        sessions = session_factory(engine)
        print(f"PostgreSQL: {opts.tickets} tickets ({opened} open) inserted in "
              f"{time.perf_counter() - started:.1f} s; each request {opts.repeat} times")

        with sessions() as session:
            def who(key: str) -> Viewer:
                person = session.scalar(select(Person).join(ChatIdentity).where(
                    ChatIdentity.external_id == key))
                assert person is not None
                return Viewer.of(person)

            staff, member, supervisor = who("zhao_min"), who("zhang_wei"), who("li_na")
            grid = session.scalar(select(Grid.code).order_by(Grid.code))
            deep = None
            page = board.board(session, staff, as_of=now)
            for _ in range(5):
                deep = page.next
                page = board.board(session, staff, as_of=now, cursor=deep)
            number = page.items[0].number
            requests: list[tuple[str, Callable[[], object]]] = [
                ("staff, first page of 50", lambda: board.board(session, staff, as_of=now)),
                ("staff, 6th page (keyset)",
                 lambda: board.board(session, staff, as_of=now, cursor=deep)),
                (f"staff, grid {grid}",
                 lambda: board.board(session, staff, Filters(grids=[grid or ""]), as_of=now)),
                ("staff, overdue only",
                 lambda: board.board(session, staff, Filters(overdue=True), as_of=now)),
                ("staff, emergencies only",
                 lambda: board.board(session, staff, Filters(kinds=[TicketKind.EMERGENCY]),
                                     as_of=now)),
                ("grid member, first page",
                 lambda: board.board(session, member, as_of=now)),
                ("supervisor, first page",
                 lambda: board.board(session, supervisor, as_of=now)),
                ("staff, headline counts", lambda: board.counts(session, staff, as_of=now)),
                ("ticket detail", lambda: board.detail(session, staff, number, as_of=now)),
            ]
            community_row = session.get(Community, world["community"])
            assert community_row is not None
            today = now.astimezone(ZoneInfo(community_row.timezone)).date()
            requests += [
                ("rates report, 30 days",
                 lambda: report(session, community_row, today - dt.timedelta(days=29),
                                today + dt.timedelta(days=1), now)),
                ("rates report, 30 days, G1",
                 lambda: report(session, community_row, today - dt.timedelta(days=29),
                                today + dt.timedelta(days=1), now,
                                session.scalar(select(Grid).where(Grid.code == grid)))),
                ("rates XLSX, a month",
                 lambda: workbook(report(session, community_row, today - dt.timedelta(days=30),
                                         today + dt.timedelta(days=1), now))),
            ]
            print(f"{'request':<30}{'p50 ms':>9}{'p95 ms':>9}")
            for name, request in requests:
                p50, p95 = timed(opts.repeat, request)
                print(f"{name:<30}{p50:>9.1f}{p95:>9.1f}")
                session.rollback()  # each request its own snapshot, as in the console
        engine.dispose()


if __name__ == "__main__":
    main()
