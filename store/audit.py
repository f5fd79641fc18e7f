"""The console's audit log: who did what, when, to what. Written in the same transaction as
the action it records; query functions take a session and never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import AuditEntry, ConsoleUser


def record(session: Session, user: ConsoleUser | None, action: str, now: dt.datetime,
           target: str | None = None, details: dict[str, Any] | None = None,
           username: str | None = None) -> AuditEntry:
    """Add an entry; ``username`` names someone without an account (a failed login)."""
    entry = AuditEntry(at=now, user_id=user.id if user else None,
                       username=(user.username if user else username or "-")[:60],
                       action=action[:60], target=None if target is None else target[:200],
                       details=details)
    session.add(entry)
    return entry


def recent(session: Session, limit: int = 100, action: str | None = None,
           username: str | None = None) -> Sequence[AuditEntry]:
    """The latest entries, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if username is not None:
        query = query.where(AuditEntry.username == username)
    return session.scalars(query).all()


def of_actions(session: Session, actions: Collection[str], limit: int = 50
               ) -> Sequence[AuditEntry]:
    """The latest entries of any of ``actions`` (an admin page's own history), newest
    first."""
    return session.scalars(select(AuditEntry).where(AuditEntry.action.in_(list(actions)))
                           .order_by(AuditEntry.id.desc()).limit(limit)).all()
