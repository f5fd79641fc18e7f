"""``linli report rates``: the three rates of a period as an aligned table (each rate with its
meaning, in Chinese and English), as JSON (``store.rates.report``, the console's document
too), or as an XLSX workbook with the same figures."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.columns import table
from store.models import Community, Grid
from store.rates import FIGURES, NAMES, report
from store.rates_xlsx import workbook

#: What ``--by`` breaks the period down by, and the document's key for it.
BREAKDOWNS = {"grid": "by_grid", "category": "by_category", "week": "weekly"}


class RatesCommandError(ValueError):
    """A request the command refuses, in words for the terminal."""


def period(community: Community, since: str | None, until: str | None,
           today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The local days ``[first, until)``: by default the 30 days up to and including today."""
    today = today or dt.datetime.now(ZoneInfo(community.timezone)).date()
    try:
        last = dt.date.fromisoformat(until) if until else today + dt.timedelta(days=1)
        first = dt.date.fromisoformat(since) if since else last - dt.timedelta(days=30)
    except ValueError as error:
        raise RatesCommandError(
            f"--since and --until take dates like 2026-11-01 ({error})") from None
    if first >= last:
        raise RatesCommandError(f"--since {first} must be before --until {last}")
    return first, last


def document(session: Session, community: Community, since: str | None, until: str | None,
             grid: str | None, as_of: dt.datetime, category: str | None = None,
             today: dt.date | None = None) -> dict[str, Any]:
    """The rates document for the command's options (the console's too, with its own
    ``today``); a clear error for a grid not there."""
    first, last = period(community, since, until, today)
    grids = {g.code: g for g in session.scalars(
        select(Grid).where(Grid.community_id == community.id).order_by(Grid.code))}
    if grid is not None and grid not in grids:
        raise RatesCommandError(f"unknown grid {grid!r}; the grids of {community.code} are: "
                                f"{', '.join(grids) or 'none'}")
    result = report(session, community, first, last, as_of, grids[grid] if grid else None,
                    category or None)
    result["grid_names"] = {code: g.name for code, g in grids.items()}
    return result


def _shown(rate: Mapping[str, Any]) -> str:
    return "–" if rate["value"] is None else f"{rate['value']:.1%}"


def text_lines(community: Community, result: Mapping[str, Any],
               by: str | None = None) -> list[str]:
    """The report as a terminal reads it: a headline, a row per rate with its meaning under
    it, and the breakdown ``by`` grid, category or week when asked."""
    grid = result["grid"]
    scope = f"grid {grid} {result['grid_names'].get(grid, '')}".rstrip() if grid \
        else "all grids"
    if result.get("category"):
        scope += f" · category {result['category']}"
    last = dt.date.fromisoformat(result["until"]) - dt.timedelta(days=1)
    lines = [f"{community.name} ({community.code}) · {scope} · {result['since']} to {last} · "
             f"{result['opened']} tickets opened"]
    rows = [[f"{NAMES[f]} {f}", _shown(result[f]),
             f"{result[f]['numerator']}/{result[f]['denominator']}"] for f in FIGURES]
    aligned = table(rows, right=(False, True, True))
    for figure, line in zip(FIGURES, aligned, strict=True):
        lines.append(line)
        meaning = result["meanings"][figure]
        lines += [f"    {meaning['zh']}", f"    {meaning['en']}"]
    if by is not None:
        lines += ["", *breakdown_lines(result, by)]
    return lines


def breakdown_lines(result: Mapping[str, Any], by: str) -> list[str]:
    """One row per grid, category or week: opened, then each rate with its counts."""
    key = BREAKDOWNS[by]
    if key not in result:
        raise RatesCommandError("--by grid is for the whole community; leave out --grid")
    heading = {"grid": "网格 grid", "category": "类别 category", "week": "周 week"}[by]
    entries: list[tuple[str, Mapping[str, Any]]] = (
        [(w["week"], w) for w in result[key]] if by == "week" else list(result[key].items()))
    rows = [[heading, "开单 opened", *(f"{NAMES[f]} {f}" for f in FIGURES)]]
    for name, figures in entries:
        label = f"{name} {result['grid_names'].get(name, '')}".rstrip() if by == "grid" \
            else name
        rows.append([label, str(figures["opened"]), *(
            f"{_shown(figures[f])} {figures[f]['numerator']}/{figures[f]['denominator']}"
            for f in FIGURES)])
    return table(rows, right=(False, True, True, True, True))


def run(session: Session, community: Community, *, since: str | None, until: str | None,
        grid: str | None, as_json: bool, by: str | None, xlsx: Path | None,
        as_of: dt.datetime, category: str | None = None) -> list[str]:
    """What the command prints (and the workbook it writes when ``xlsx`` is given)."""
    if by is not None and by not in BREAKDOWNS:
        raise RatesCommandError(f"--by takes one of: {', '.join(BREAKDOWNS)}")
    result = document(session, community, since, until, grid, as_of, category)
    if xlsx is not None:
        xlsx.write_bytes(workbook(result))
    if as_json:
        result.pop("grid_names")
        return [json.dumps(result, ensure_ascii=False)]
    lines = text_lines(community, result, by)
    if xlsx is not None:
        lines.append(f"workbook: {xlsx}")
    return lines
