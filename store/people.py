"""Who is who in the community: queries over people and their roles."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Person, PersonRole, Role


def on_duty_staff(session: Session, community_id: int) -> Sequence[Person]:
    """Staff on duty, who get emergencies, handoffs and unanswered questions."""
    return session.scalars(select(Person).join(PersonRole).where(
        Person.community_id == community_id, Person.on_duty.is_(True),
        PersonRole.role == Role.STAFF).order_by(Person.id)).all()


def with_role(session: Session, community_id: int, role: Role) -> Sequence[Person]:
    return session.scalars(select(Person).join(PersonRole).where(
        Person.community_id == community_id, PersonRole.role == role).order_by(Person.id)).all()
