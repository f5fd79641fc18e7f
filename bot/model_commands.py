"""``linli nlu models``, ``linli nlu activate VERSION`` and ``linli nlu rollback``: the model
versions of the console's models page (console/nlu.py) from a terminal. Activating writes the
active-version pointer in the database (store/nlu_models.py); every running ``linli serve``
worker follows it within seconds, without a restart. Each change is audited as from "cli"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from nlu.registry import PACKAGED, version_path
from store import audit, nlu_models


class ModelCommandError(ValueError):
    """What the person asked cannot be done; the message says why."""


def _score(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "-"


def listing(session: Session) -> list[dict[str, Any]]:
    """The versions, newest first, as the console's models API gives them."""
    return [nlu_models.summary(row) for row in nlu_models.versions(session)]


def lines(session: Session) -> list[str]:
    """One line a version, the active one starred, and which model serves when none is."""
    rows = listing(session)
    out = [f"  {'version':<22} {'status':<9} {'created (UTC)':<16} {'fingerprint':<12} "
           f"{'examples':>8} {'corr.':>5} {'acc.':>6} {'F1':>6} {'oos P/R':>11}"]
    for row in rows:
        created = row["created_at"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") \
            if row["created_at"] else "-"
        out.append(f"{'*' if row['status'] == 'active' else ' '} {row['version']:<22} "
                   f"{row['status']:<9} {created:<16} {(row['fingerprint'] or '-')[:12]:<12} "
                   f"{row['examples'] if row['examples'] is not None else '-':>8} "
                   f"{row['corrections'] if row['corrections'] is not None else '-':>5} "
                   f"{_score(row['accuracy']):>6} {_score(row['macro_f1']):>6} "
                   f"{_score(row['oos_precision']) + '/' + _score(row['oos_recall']):>11}")
    if not any(row["status"] == "active" for row in rows):
        out.append(f"* {PACKAGED:<22} active    (the model trained from nlu/data alone)")
    if not rows:
        out.append("no version trained yet: train one in the console (Models page)")
    return out


def activate(session: Session, version: str, now: dt.datetime) -> str:
    """Make ``version`` (or "packaged") the one every worker serves; returns the one active
    before ("packaged" for none)."""
    wanted = None if version == PACKAGED else version
    if wanted is not None:
        try:
            version_path(Path(), wanted)  # checks the name; each host finds its folder
        except ValueError:
            raise ModelCommandError(f"{version!r} is not a model version "
                                    "(see `linli nlu models`)") from None
    try:
        previous = nlu_models.activate(session, wanted, now)
    except nlu_models.UnknownVersionError:
        raise ModelCommandError(f"no trained version {version} (see `linli nlu models`)") \
            from None
    audit.record(session, None, "nlu_activate", now, target=version,
                 details={"previous": previous or PACKAGED}, username="cli")
    return previous or PACKAGED


def rollback(session: Session, now: dt.datetime) -> tuple[str, str]:
    """Serve again the version served before the active one; returns (from, to)."""
    current = nlu_models.active_version(session) or PACKAGED
    target = nlu_models.previous_active(session) or PACKAGED
    if target == current:
        raise ModelCommandError(f"nothing to roll back to: {current} is the only model served")
    activate(session, target, now)
    return current, target

