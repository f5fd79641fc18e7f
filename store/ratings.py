"""Which of a resident's tickets a rating can be for (效果共评).

Functions take a session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from store.models import Person, Ticket, TicketStatus, TicketSubscriber

#: Ticket.poll_step while a poll waits for an answer: asked (1) or reminded (2).
POLL_WAITING = (1, 2)


def _theirs(person: Person) -> ColumnElement[bool]:
    subscribed = select(TicketSubscriber.ticket_id).where(TicketSubscriber.person_id == person.id)
    return (Ticket.reporter_id == person.id) | Ticket.id.in_(subscribed)


def open_polls(session: Session, person: Person) -> Sequence[Ticket]:
    """Resolved tickets of the resident whose satisfaction poll was sent and not answered,
    most recently resolved first."""
    return session.scalars(select(Ticket).where(
        _theirs(person), Ticket.status == TicketStatus.RESOLVED,
        Ticket.poll_step.in_(POLL_WAITING)).order_by(Ticket.resolved_at.desc(),
                                                     Ticket.id.desc())).all()


def rateable(session: Session, person: Person) -> Sequence[Ticket]:
    """Every resolved ticket of the resident, the poll sent or not yet: a rating closes it."""
    return session.scalars(select(Ticket).where(
        _theirs(person), Ticket.status == TicketStatus.RESOLVED).order_by(
        Ticket.resolved_at.desc(), Ticket.id.desc())).all()


def recently_closed(session: Session, person: Person, limit: int = 3) -> Sequence[Ticket]:
    """The resident's last closed tickets, to show when there is nothing left to rate."""
    return session.scalars(select(Ticket).where(
        _theirs(person), Ticket.status == TicketStatus.CLOSED).order_by(
        Ticket.closed_at.desc(), Ticket.id.desc()).limit(limit)).all()
