"""Once-only scheduled steps and the scheduler's lease. Functions take a session and never
commit; the caller owns the transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import ScheduledStep, SchedulerLease


def claim(session: Session, job: str, ref: str, now: dt.datetime) -> bool:
    """Mark ``job`` done for ``ref``; False if it already was (by this or another process)."""
    if session.get(ScheduledStep, (job, ref)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ScheduledStep(job=job, ref=ref, done_at=now))
    except IntegrityError:
        return False
    return True


def hold_lease(session: Session, name: str, holder: str, now: dt.datetime,
               ttl: dt.timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder`` unless someone else holds it unexpired."""
    renewed = session.execute(update(SchedulerLease).where(
        SchedulerLease.name == name,
        or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl))
    if renewed.rowcount:  # type: ignore[attr-defined]
        return True
    if session.get(SchedulerLease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False  # another process created it first
    return True


def release_lease(session: Session, name: str, holder: str, now: dt.datetime) -> None:
    """Give the lease up at once (a clean shutdown), so another process need not wait."""
    session.execute(update(SchedulerLease).where(
        SchedulerLease.name == name, SchedulerLease.holder == holder).values(expires_at=now))
