"""Handoffs: a resident talking to staff through Linli, one open handoff per resident.

Functions take a session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from store.models import Handoff, Person

RESIDENT, STAFF, TIMEOUT = "resident", "staff", "timeout"


@functools.cache
def _open_id() -> Select[int]:
    # Built once: the conversation service asks this on every turn.
    return select(Handoff.id).where(Handoff.resident_id == bindparam("resident"),
                                    Handoff.ended_at.is_(None)).limit(1)


def open_handoff_id(session: Session, resident_id: int) -> int | None:
    """The resident's handoff not yet closed (it may have fallen silent: see ``expired``)."""
    return session.scalar(_open_id(), {"resident": resident_id})


def open_handoff(session: Session, resident: Person) -> Handoff | None:
    return session.scalar(select(Handoff).where(Handoff.resident_id == resident.id,
                                                Handoff.ended_at.is_(None))
                          .order_by(Handoff.id.desc()).limit(1))


def start(session: Session, resident: Person, now: dt.datetime,
          staff: Person | None = None) -> Handoff:
    """The resident's open handoff, or a new one; ``staff`` is who answers it, if known."""
    handoff = open_handoff(session, resident)
    if handoff is None:
        handoff = Handoff(community_id=resident.community_id, resident_id=resident.id,
                          started_at=now, last_activity_at=now, relayed=0)
        session.add(handoff)
    if staff is not None and handoff.staff_id is None:
        handoff.staff_id = staff.id
    handoff.last_activity_at = now
    session.flush()
    return handoff


def expired(handoff: Handoff, now: dt.datetime, timeout: dt.timedelta) -> bool:
    """Silent for ``timeout``: closed in effect, though nobody has said so yet."""
    return handoff.ended_at is None and now - handoff.last_activity_at >= timeout


def end(handoff: Handoff, now: dt.datetime, by: str) -> None:
    handoff.ended_at = now
    handoff.ended_by = by
