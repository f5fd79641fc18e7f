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
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from store.models import Building, Community, Grid, Ticket, TicketStatus
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


def _conditions(as_of: dt.datetime) -> dict[str, ColumnElement[bool]]:
    """What each count of the module doc counts, by name: the rates, their drill-down and the
    workbook all read these, so a figure and the tickets behind it cannot disagree."""
    acknowledged = Ticket.acknowledged_at.is_not(None)
    return {"opened": true(),
            "in_time": and_(acknowledged, or_(Ticket.respond_by.is_(None),
                                              Ticket.acknowledged_at <= Ticket.respond_by)),
            "due": or_(acknowledged, Ticket.respond_by <= _aware(as_of)),
            "resolved": Ticket.status.in_(RESOLVED),
            "satisfied": Ticket.rating.in_(SATISFIED),
            "rated": Ticket.rating.is_not(None)}


#: Each rate's numerator and denominator, as names of ``_conditions``.
FIGURES = {"response": ("in_time", "due"), "resolution": ("resolved", "opened"),
           "satisfaction": ("satisfied", "rated")}
#: What each rate means, one line per language (``linli report rates``, the workbook, the
#: console's dashboard).
MEANINGS = {
    "response": {
        "zh": "按时回应的工单 / 已到回应时限的工单（未到时限、尚未回应的不计入）",
        "en": "answered in time / tickets already due a response (not yet due and not yet "
              "answered: left out)"},
    "resolution": {
        "zh": "已解决或办结的工单 / 期间新开的工单（重新打开的不算已解决；撤销、重复的不计）",
        "en": "resolved or closed / tickets opened in the period (reopened ones are not "
              "resolved; cancelled and duplicates left out)"},
    "satisfaction": {
        "zh": "评 4–5 分的工单 / 有评价的工单（“没解决”算一个不满意的评价）",
        "en": "rated 4 or 5 / tickets rated (\"not solved\" counts as an unhappy rating)"},
}
NAMES = {"response": "响应率", "resolution": "解决率", "satisfaction": "满意率"}


def _rate_columns(as_of: dt.datetime) -> list[ColumnElement[int]]:
    """opened, responded in time, due a response, resolved, satisfied, rated — in that order."""
    conditions = _conditions(as_of)
    return [func.count(), *(func.count().filter(conditions[name]) for name in
                            ("in_time", "due", "resolved", "satisfied", "rated"))]


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


def _cohort(community_id: int, since: dt.datetime, until: dt.datetime,
            grid_id: int | None, category: str | None) -> Select[int]:
    """The ids of the cohort's tickets, of one grid and one category when given."""
    query = select(Ticket.id).where(_in_cohort(community_id, since, until))
    if grid_id is not None:
        query = query.join(Building, Ticket.building_id == Building.id).where(
            Building.grid_id == grid_id)
    if category is not None:
        query = query.where(Ticket.category == category)
    return query


def rates_by_category(session: Session, community_id: int, since: dt.datetime,
                      until: dt.datetime, as_of: dt.datetime,
                      grid_id: int | None = None) -> dict[str, Rates]:
    """``rates`` per category (only those with tickets), one grid's when ``grid_id`` is given;
    in one query."""
    query = (select(Ticket.category, *_rate_columns(as_of)).select_from(Ticket)
             .where(_in_cohort(community_id, since, until)).group_by(Ticket.category))
    if grid_id is not None:
        query = query.join(Building, Ticket.building_id == Building.id).where(
            Building.grid_id == grid_id)
    return {category: _rates(counts) for category, *counts in
            sorted(session.execute(query).all(), key=lambda row: str(row[0]))}


def weeks(since: dt.datetime, until: dt.datetime,
          zone: dt.tzinfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[since, until)`` cut at each local Monday 00:00: the first and last weeks may be
    short."""
    local = _aware(since).astimezone(zone)
    monday = dt.datetime.combine(local.date() - dt.timedelta(days=local.weekday()), dt.time(),
                                 zone)
    cuts: list[tuple[dt.datetime, dt.datetime]] = []
    start = since
    while start < until:
        monday += dt.timedelta(days=7)
        end = min(monday, until)
        if end > start:
            cuts.append((start, end))
        start = end
    return cuts


def weekly(session: Session, community_id: int, since: dt.datetime, until: dt.datetime,
           as_of: dt.datetime, zone: dt.tzinfo,
           grid_id: int | None = None) -> list[tuple[dt.datetime, Rates]]:
    """The trend: ``rates`` of the tickets opened in each week of ``[since, until)`` (weeks
    from Monday, in the community's zone), with the week's start."""
    return [(start, rates(session, community_id, start, end, as_of, grid_id))
            for start, end in weeks(since, until, zone)]


def tickets_behind(session: Session, community_id: int, since: dt.datetime,
                   until: dt.datetime, as_of: dt.datetime, figure: str, part: str, *,
                   grid_id: int | None = None, category: str | None = None,
                   after_id: int | None = None, limit: int = 100) -> Sequence[Ticket]:
    """The tickets a figure counts: ``figure`` response, resolution or satisfaction; ``part``
    numerator, denominator, or ``missing`` (in the denominator, not in the numerator: the late,
    the unresolved, the unhappy). By id, ``limit`` after ``after_id``."""
    if figure not in FIGURES or part not in ("numerator", "denominator", "missing"):
        raise ValueError(f"no such figure: {figure} {part}")
    conditions = _conditions(as_of)
    top, bottom = (conditions[name] for name in FIGURES[figure])
    wanted = {"numerator": and_(top, bottom), "denominator": bottom,
              "missing": and_(bottom, ~top)}[part]
    query = select(Ticket).where(Ticket.id.in_(
        _cohort(community_id, since, until, grid_id, category).scalar_subquery()), wanted)
    if after_id is not None:
        query = query.where(Ticket.id > after_id)
    return session.scalars(query.order_by(Ticket.id).limit(limit)).all()


def rate_dict(rate: Rate) -> dict[str, Any]:
    return {"numerator": rate.numerator, "denominator": rate.denominator, "value": rate.value}


def rates_dict(result: Rates) -> dict[str, Any]:
    return {"opened": result.opened, **{name: rate_dict(getattr(result, name))
                                        for name in FIGURES}}


def _in_parts(session: Session, community_id: int, since: dt.datetime, until: dt.datetime,
              as_of: dt.datetime, cuts: Sequence[tuple[dt.datetime, dt.datetime]],
              grid_id: int | None, category: str | None = None
              ) -> list[tuple[str | None, str, int, list[int]]]:
    """The cohort's counts (``_rate_columns``) per grid code (None: no building), category
    and week (an index into ``cuts``), in one pass over the period's tickets (of one grid
    and one category when given)."""
    week: ColumnElement[int] = case(*((Ticket.created_at < _aware(end), index)
                                      for index, (_, end) in enumerate(cuts[:-1])),
                                    else_=len(cuts) - 1) if len(cuts) > 1 else literal(0)
    query = (select(Grid.code, Ticket.category, week, *_rate_columns(as_of))
             .select_from(Ticket)
             .outerjoin(Building, Ticket.building_id == Building.id)
             .outerjoin(Grid, Building.grid_id == Grid.id)
             .where(_in_cohort(community_id, since, until))
             .group_by(Grid.code, Ticket.category, week))
    if grid_id is not None:
        query = query.where(Building.grid_id == grid_id)
    if category is not None:
        query = query.where(Ticket.category == category)
    return [(code, kind, int(index), [int(n or 0) for n in counts])
            for code, kind, index, *counts in session.execute(query)]


def _added(parts: Iterable[list[int]]) -> Rates:
    total = [0] * 6
    for counts in parts:
        total = [a + b for a, b in zip(total, counts, strict=True)]
    return _rates(total)


def report(session: Session, community: Community, first: dt.date, until: dt.date,
           as_of: dt.datetime, grid: Grid | None = None,
           category: str | None = None) -> dict[str, Any]:
    """The rates of the tickets opened on the community's local days ``[first, until)``, as
    ``linli report rates --json`` prints them and the console serves them: the whole (one
    grid's when ``grid`` is given, one category's when ``category`` is), per grid (the whole
    community only), per category and per week, with each rate's meaning. One query: the
    same counts as ``rates``, ``rates_by_grid``, ``rates_by_category`` and ``weekly``, added
    up here."""
    zone = ZoneInfo(community.timezone)
    since = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(until, dt.time(), zone)
    cuts = weeks(since, end, zone)
    parts = _in_parts(session, community.id, since, end, as_of, cuts,
                      grid.id if grid is not None else None, category)
    document: dict[str, Any] = {
        "community": community.code, "grid": grid.code if grid is not None else None,
        "category": category,
        "timezone": community.timezone, "since": first.isoformat(), "until": until.isoformat(),
        "as_of": as_of.isoformat(), **rates_dict(_added(p[3] for p in parts))}
    if grid is None:
        codes = session.scalars(select(Grid.code).where(
            Grid.community_id == community.id).order_by(Grid.code)).all()
        document["by_grid"] = {code: rates_dict(_added(p[3] for p in parts if p[0] == code))
                               for code in codes}
    document["by_category"] = {
        name: rates_dict(_added(p[3] for p in parts if p[1] == name))
        for name in sorted({p[1] for p in parts})}
    document["weekly"] = [{"week": start.astimezone(zone).date().isoformat(),
                           **rates_dict(_added(p[3] for p in parts if p[2] == index))}
                          for index, (start, _) in enumerate(cuts)]
    document["meanings"] = MEANINGS
    return document
