"""Residents' suggestions (共谋): the staff inbox, support from other residents (附议), and the
committee's decision — new, under discussion, adopted, declined — with a public reply.

Who made or supported a suggestion is told when its status changes: ``decide`` returns them,
and the caller writes their outbox rows in the same transaction (actions/suggestions.py).
Functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Person, Suggestion, SuggestionSupporter

NEW, DISCUSSING, ADOPTED, DECLINED = "new", "discussing", "adopted", "declined"
STATUSES = (NEW, DISCUSSING, ADOPTED, DECLINED)
#: A reply is at most this long: it is read in a chat.
REPLY_LIMIT = 2000


class SuggestionError(ValueError):
    """A change a suggestion cannot take; ``code`` names a response for the user."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    text: str
    language: str
    status: str
    author: str
    supporters: int
    created_at: dt.datetime
    reply: str | None
    status_changed_at: dt.datetime | None


def inbox(session: Session, community_id: int, status: str | None = None, *,
          before_id: int | None = None, limit: int = 50) -> Sequence[InboxItem]:
    """The community's suggestions, newest first, of one status when given; ``before_id``
    pages on (keyset)."""
    if status is not None and status not in STATUSES:
        raise SuggestionError("status", f"unknown status {status!r}: use {', '.join(STATUSES)}")
    backing = (select(SuggestionSupporter.suggestion_id, func.count().label("n"))
               .group_by(SuggestionSupporter.suggestion_id).subquery())
    query = (select(Suggestion.id, Suggestion.text, Suggestion.language, Suggestion.status,
                    Person.name, func.coalesce(backing.c.n, 0), Suggestion.created_at,
                    Suggestion.reply, Suggestion.status_changed_at)
             .join(Person, Suggestion.person_id == Person.id)
             .outerjoin(backing, backing.c.suggestion_id == Suggestion.id)
             .where(Suggestion.community_id == community_id))
    if status is not None:
        query = query.where(Suggestion.status == status)
    if before_id is not None:
        query = query.where(Suggestion.id < before_id)
    rows = session.execute(query.order_by(Suggestion.id.desc()).limit(max(1, min(limit, 500))))
    return [InboxItem(*row) for row in rows]


def support(session: Session, suggestion: Suggestion, person: Person,
            now: dt.datetime) -> bool:
    """``person`` backs ``suggestion``; False if they made it or back it already."""
    if person.id == suggestion.person_id or session.get(
            SuggestionSupporter, (suggestion.id, person.id)) is not None:
        return False
    session.add(SuggestionSupporter(suggestion_id=suggestion.id, person_id=person.id,
                                    created_at=now))
    return True


def supporters(session: Session, suggestion: Suggestion) -> int:
    """How many residents back ``suggestion`` (its author not counted)."""
    return int(session.scalar(select(func.count()).select_from(SuggestionSupporter).where(
        SuggestionSupporter.suggestion_id == suggestion.id)) or 0)


def supported_by(session: Session, person: Person) -> Sequence[Suggestion]:
    """The suggestions ``person`` backs, oldest support first (their data export)."""
    return session.scalars(select(Suggestion).join(
        SuggestionSupporter, SuggestionSupporter.suggestion_id == Suggestion.id)
        .where(SuggestionSupporter.person_id == person.id)
        .order_by(SuggestionSupporter.created_at, Suggestion.id)).all()


def people_behind(session: Session, suggestion: Suggestion) -> Sequence[Person]:
    """Who made ``suggestion`` and who supported it, the author first."""
    author = session.get(Person, suggestion.person_id)
    backers = session.scalars(select(Person).join(
        SuggestionSupporter, SuggestionSupporter.person_id == Person.id)
        .where(SuggestionSupporter.suggestion_id == suggestion.id)
        .order_by(SuggestionSupporter.created_at, Person.id)).all()
    return [*([author] if author is not None else []), *backers]


def decide(session: Session, suggestion: Suggestion, status: str, *, reply: str | None,
           actor: Person | None, now: dt.datetime) -> Sequence[Person]:
    """Set ``suggestion``'s status and its public reply (kept if none is given); returns
    the people to tell — its author and supporters — or nothing when the status did not
    change and no new reply was given."""
    if status not in STATUSES:
        raise SuggestionError("status", f"unknown status {status!r}: use {', '.join(STATUSES)}")
    reply = (reply or "").strip()[:REPLY_LIMIT] or None
    if status == suggestion.status and (reply is None or reply == suggestion.reply):
        return []
    suggestion.status = status
    if reply is not None:
        suggestion.reply = reply
    suggestion.status_changed_at = now
    suggestion.status_changed_by_id = actor.id if actor is not None else None
    return people_behind(session, suggestion)
