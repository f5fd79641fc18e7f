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


#: The name a person gets when their channel gives none (a web chat, a REST sender): never
#: the sender id, which means nothing to the people who read it. Other languages read it
#: through config/labels.yml (person.placeholder).
_PLACEHOLDER = "居民#{}"


def placeholder_name(person_id: int) -> str:
    return _PLACEHOLDER.format(person_id)


def has_real_name(person: Person) -> bool:
    """False for a placeholder, or a name that is just one of the person's sender ids."""
    return bool(person.name.strip()) and person.name != placeholder_name(person.id) and \
        person.name not in {identity.external_id for identity in person.identities}
