"""The three rates of 接诉即办 assessment and each grid's workload, one SQL statement each.

The daily digest, the web console and ``linli report rates`` all read these, so every number
shown anywhere means the same thing.

Cohort: the tickets of one community (optionally one grid, through the ticket's building) OPENED
in ``[since, until)``, except those cancelled or marked duplicate — they were never work to do.

- 响应率 response rate = tickets acknowledged (``acknowledged_at`` set) at or before
  ``respond_by`` / tickets due a response, i.e. acknowledged, or not acknowledged with
  ``respond_by <= as_of``. A ticket whose response is not yet due and not yet given is left out,
  so a fresh ticket never drags the rate down. An acknowledged ticket without a ``respond_by``
  had no deadline to miss and counts as in time.
- 解决率 resolution rate = tickets whose status is now resolved or closed / tickets in the
  cohort. A reopened ticket is not resolved until it is resolved again.
- 满意率 satisfaction rate = tickets rated 4 or 5 / tickets with a rating; 0 ("not solved")
  is a rating, an unsatisfied one.

Datetimes must be timezone-aware (the store keeps and compares them in UTC on every database,
see ``store.models.UtcDateTime``).

Functions take a session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from store.models import Building, Grid, Ticket, TicketStatus
from store.tickets import OPEN

EXCLUDED = (TicketStatus.CANCELLED, TicketStatus.DUPLICATE)
RESOLVED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
SATISFIED = (4, 5)
NO_GRID = ""  # load_by_grid's key for tickets with no building


@dataclass(frozen=True, slots=True)
class Rate:
    """A ratio kept as its two counts, so it can be shown as "7/8"."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The ratio in [0, 1]; None when there is nothing to rate."""
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True, slots=True)
class Rates:
    """The three rates of one cohort; ``opened`` is the cohort's size."""

    response: Rate
    resolution: Rate
    satisfaction: Rate
    opened: int


@dataclass(frozen=True, slots=True)
class GridLoad:
    """A grid's workload: opened in the day, open now, open and overdue, open and escalated."""

    new: int
    open: int
    overdue: int
    escalated: int


def _aware(moment: dt.datetime) -> dt.datetime:
    # A naive moment would be taken as UTC and silently shift a Beijing day by eight hours.
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; rates need aware datetimes")
    return moment


def _in_cohort(community_id: int, since: dt.datetime, until: dt.datetime) -> ColumnElement[bool]:
    return and_(Ticket.community_id == community_id, Ticket.created_at >= _aware(since),
                Ticket.created_at < _aware(until), Ticket.status.not_in(EXCLUDED))


def _rate_columns(as_of: dt.datetime) -> list[ColumnElement[int]]:
    """opened, responded in time, due a response, resolved, satisfied, rated — in that order."""
    acknowledged = Ticket.acknowledged_at.is_not(None)
    in_time = and_(acknowledged, or_(Ticket.respond_by.is_(None),
                                     Ticket.acknowledged_at <= Ticket.respond_by))
    due = or_(acknowledged, Ticket.respond_by <= _aware(as_of))
    return [func.count(), func.count().filter(in_time), func.count().filter(due),
            func.count().filter(Ticket.status.in_(RESOLVED)),
            func.count().filter(Ticket.rating.in_(SATISFIED)),
            func.count().filter(Ticket.rating.is_not(None))]


def _rates(row: Sequence[Any]) -> Rates:
    opened, in_time, due, resolved, satisfied, rated = (int(n or 0) for n in row)
    return Rates(response=Rate(in_time, due), resolution=Rate(resolved, opened),
                 satisfaction=Rate(satisfied, rated), opened=opened)


def _with_every_grid(tickets: Select[*tuple[Any, ...]], community_id: int,
                     width: int) -> CompoundSelect[*tuple[Any, ...]]:
    """``tickets`` (key, counts…) plus a zero row per grid, so quiet grids are listed too."""
    zeros = select(Grid.code, *(literal(0) for _ in range(width))).where(
        Grid.community_id == community_id)
    return union_all(tickets, zeros)


def _sum_by_key(rows: Iterable[Sequence[Any]]) -> dict[str, list[int]]:
    totals: dict[str, list[int]] = {}
    for key, *counts in rows:
        previous = totals.get(key, [0] * len(counts))
        totals[key] = [a + int(b or 0) for a, b in zip(previous, counts, strict=True)]
    return totals


def rates(session: Session, community_id: int, since: dt.datetime, until: dt.datetime,
          as_of: dt.datetime, grid_id: int | None = None) -> Rates:
    """The three rates of the tickets opened in ``[since, until)``, deadlines judged at
    ``as_of``; one grid's only when ``grid_id`` is given."""
    query = (select(*_rate_columns(as_of)).select_from(Ticket)
             .where(_in_cohort(community_id, since, until)))
    if grid_id is not None:
        query = query.join(Building, Ticket.building_id == Building.id).where(
            Building.grid_id == grid_id)
    return _rates(session.execute(query).one())


def rates_by_grid(session: Session, community_id: int, since: dt.datetime, until: dt.datetime,
                  as_of: dt.datetime) -> dict[str, Rates]:
    """``rates`` for every grid of the community, keyed by grid code, in one query.

    Grids with no tickets get zeros; tickets with no building belong to no grid and are
    counted only by ``rates``.
    """
    columns = _rate_columns(as_of)
    tickets = (select(Grid.code, *columns).select_from(Ticket)
               .join(Building, Ticket.building_id == Building.id)
               .join(Grid, Building.grid_id == Grid.id)
               .where(_in_cohort(community_id, since, until)).group_by(Grid.code))
    rows = session.execute(_with_every_grid(tickets, community_id, len(columns)))
    return {code: _rates(counts) for code, counts in sorted(_sum_by_key(rows).items())}


def load_by_grid(session: Session, community_id: int, day_start: dt.datetime,
                 day_end: dt.datetime, as_of: dt.datetime) -> dict[str, GridLoad]:
    """Each grid's workload, keyed by grid code; tickets with no building under ``""``.

    new = opened in ``[day_start, day_end)`` (not cancelled or duplicate, as in ``rates``);
    open = status open now; overdue = open with an unacknowledged response due or a resolution
    due by ``as_of``; escalated = open with an escalation level above 0. Every grid is listed,
    ``""`` only when such tickets exist.
    """
    now = _aware(as_of)
    new = and_(Ticket.created_at >= _aware(day_start), Ticket.created_at < _aware(day_end),
               Ticket.status.not_in(EXCLUDED))
    is_open = Ticket.status.in_(OPEN)
    overdue = and_(is_open, or_(and_(Ticket.acknowledged_at.is_(None), Ticket.respond_by <= now),
                                Ticket.resolve_by <= now))
    columns = [func.count().filter(new), func.count().filter(is_open),
               func.count().filter(overdue),
               func.count().filter(and_(is_open, Ticket.escalation_level > 0))]
    # Only the day's tickets and the open ones are read (two indexed conditions), never the
    # whole history.
    tickets = (select(func.coalesce(Grid.code, NO_GRID), *columns).select_from(Ticket)
               .outerjoin(Building, Ticket.building_id == Building.id)
               .outerjoin(Grid, Building.grid_id == Grid.id)
               .where(Ticket.community_id == community_id, or_(new, is_open))
               .group_by(Grid.code))
    rows = session.execute(_with_every_grid(tickets, community_id, len(columns)))
    return {code: GridLoad(*counts) for code, counts in sorted(_sum_by_key(rows).items())}
