"""The daily digest to staff: yesterday's and open tickets by grid, the three rates (响应率,
解决率, 满意率) for yesterday and the last 30 days, and a small chart."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.notify import notify_person
from actions.runtime import Runtime
from store import media
from store.models import Community, Role
from store.people import with_role
from store.rates import GridLoad, Rate, load_by_grid, rates

THIRTY_DAYS = dt.timedelta(days=30)


def percent(rate: Rate) -> str:
    return "–" if rate.value is None else f"{rate.value:.0%} ({rate.numerator}/{rate.denominator})"


def chart(load: Mapping[str, GridLoad]) -> bytes:
    """Open, overdue and escalated tickets per grid as a small bar chart (PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    grids = [code for code in sorted(load) if code] + ([""] if "" in load else [])
    names = [code or "?" for code in grids]
    figure, axes = plt.subplots(figsize=(4.2, 2.4), dpi=100)
    width = 0.27
    for offset, (field, colour) in enumerate((("open", "#4c78a8"), ("overdue", "#e45756"),
                                              ("escalated", "#f58518"))):
        axes.bar([i + (offset - 1) * width for i in range(len(grids))],
                 [getattr(load[code], field) for code in grids], width, label=field,
                 color=colour)
    axes.set_xticks(range(len(grids)), [f"grid {name}" for name in names])
    axes.legend(fontsize=7, frameon=False)
    axes.tick_params(labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def send_digests(session: Session, runtime: Runtime, day: dt.date, now: dt.datetime) -> int:
    """Queue the digest for ``day`` (about yesterday) to every staff member; how many."""
    zone = runtime.timezone
    day_end = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    day_start = day_end - dt.timedelta(days=1)
    sent = 0
    for community in session.scalars(select(Community).order_by(Community.id)):
        staff = with_role(session, community.id, Role.STAFF)
        if not staff:
            continue
        load = load_by_grid(session, community.id, day_start, day_end, now)
        yesterday = rates(session, community.id, day_start, day_end, now)
        month = rates(session, community.id, day_end - THIRTY_DAYS, day_end, now)
        photo = media.save(session, chart(load), "image/png", now)
        values: dict[str, Any] = {
            field: str(sum(getattr(g, field) for g in load.values()))
            for field in ("new", "open", "overdue", "escalated")}
        for name in ("response", "resolution", "satisfaction"):
            values[f"{name}_day"] = percent(getattr(yesterday, name))
            values[f"{name}_30"] = percent(getattr(month, name))
        lines = {language: "\n".join(runtime.responses.render(
            "utter_digest_grid", language, grid=code or "?", new=str(g.new), open=str(g.open),
            overdue=str(g.overdue), escalated=str(g.escalated)).text
            for code, g in sorted(load.items()))
            for language in {p.language or community.default_language for p in staff}}
        for person in staff:
            notify_person(
                session, runtime, person, "utter_digest", f"digest:{day}:{person.id}",
                photo=photo, date=day.isoformat(),
                grids=lines[person.language or community.default_language], **values)
            sent += 1
    return sent
