"""Household claims: saying one lives in a flat someone else is registered in waits for the
building's grid member (or staff) to confirm it; an unclaimed flat is bound at once.

Functions take a session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ClaimStatus, Household, HouseholdClaim, Person, Role


class ClaimError(ValueError):
    """The claim was already decided (or withdrawn)."""


@dataclass(frozen=True, slots=True)
class Registration:
    """What registering a household did: bound the person at once, or left a claim waiting
    (``new`` when it was made now, not by saying the same flat again)."""

    claim: HouseholdClaim | None = None
    new: bool = False

    @property
    def bound(self) -> bool:
        return self.claim is None


def holders(session: Session, household: Household, besides: Person) -> Sequence[Person]:
    """The people registered in ``household``, other than ``besides``."""
    return session.scalars(select(Person).where(
        Person.household_id == household.id, Person.id != besides.id).order_by(Person.id)).all()


def pending_claims(session: Session, person: Person) -> Sequence[HouseholdClaim]:
    return session.scalars(select(HouseholdClaim).where(
        HouseholdClaim.person_id == person.id,
        HouseholdClaim.status == ClaimStatus.PENDING).order_by(HouseholdClaim.id)).all()


def register(session: Session, person: Person, household: Household,
             now: dt.datetime) -> Registration:
    """Bind ``person`` to ``household`` if nobody else holds it (or they already do, or it
    is a whole building rather than a flat); otherwise keep a pending claim for the grid
    member to decide. Saying another flat withdraws a claim still waiting; saying the same
    one again keeps it."""
    waiting = None
    for claim in pending_claims(session, person):
        if claim.household_id == household.id and person.household_id != household.id:
            waiting = claim
        else:
            claim.status, claim.decided_at = ClaimStatus.WITHDRAWN, now
    # Only a flat is held: "我住3号楼" names a building many households share.
    if person.household_id == household.id or household.room is None \
            or not holders(session, household, person):
        person.household = household
        return Registration()
    if waiting is not None:
        return Registration(waiting, new=False)
    claim = HouseholdClaim(person_id=person.id, household_id=household.id,
                           status=ClaimStatus.PENDING, created_at=now)
    session.add(claim)
    session.flush()
    return Registration(claim, new=True)


def may_decide(person: Person, claim: HouseholdClaim) -> bool:
    """Only the grid member of the flat's building, or staff of the same community; never
    the claimant (a grid member claiming a flat in their own grid asks staff)."""
    building = claim.household.building
    if person.community_id != building.community_id or person.id == claim.person_id:
        return False
    return person.id == building.grid.grid_member_id or person.has_role(Role.STAFF)


def decide(session: Session, claim: HouseholdClaim, *, confirmed: bool, by: Person,
           now: dt.datetime) -> None:
    """Confirm (the person is bound to the flat) or refuse a pending claim."""
    if claim.status != ClaimStatus.PENDING:
        raise ClaimError(f"claim {claim.id} is {claim.status}")
    claim.status = ClaimStatus.CONFIRMED if confirmed else ClaimStatus.REFUSED
    claim.decided_at, claim.decided_by_id = now, by.id
    if confirmed:
        claim.person.household = claim.household
    session.flush()
