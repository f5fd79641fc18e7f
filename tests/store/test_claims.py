"""Household claims on SQLite and PostgreSQL: a held flat waits for its grid member."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.claims import ClaimError, decide, holders, may_decide, pending_claims, register
from store.community import household
from store.database import transaction
from store.models import Building, ClaimStatus, Household, Person, PersonRole, Role
from tests.demo import load_community
from tests.store.test_tickets import person

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def community(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    load_community(sessions)
    return sessions


def newcomer(session: Session) -> Person:
    someone = Person(community_id=person(session, "王阿姨").community_id, name="王小明",
                     roles=[PersonRole(role=Role.RESIDENT)])
    session.add(someone)
    session.flush()
    return someone


def flat(session: Session, number: str, unit: str | None, room: str | None
         ) -> Household:
    found = session.scalar(select(Building).where(Building.number == number))
    assert found is not None
    return household(session, found, unit, room)


def test_a_held_flat_waits_and_confirming_binds(community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        son, home = newcomer(session), flat(session, "3", "2", "501")
        registration = register(session, son, home, NOW)
        assert not registration.bound and registration.new
        assert son.household is None
        assert [p.name for p in holders(session, home, son)] == ["王阿姨"]
        claim = registration.claim
        assert claim is not None
        decide(session, claim, confirmed=True, by=person(session, "张伟"), now=NOW)
        assert son.household is home and claim.status == ClaimStatus.CONFIRMED
        with pytest.raises(ClaimError):
            decide(session, claim, confirmed=False, by=person(session, "张伟"), now=NOW)
        assert son.household is home


def test_a_building_without_a_flat_is_nobodys_to_hold(community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        first, second = newcomer(session), newcomer(session)
        whole = flat(session, "3", None, None)
        assert register(session, first, whole, NOW).bound
        assert register(session, second, whole, NOW).bound
        assert first.household is whole and second.household is whole


def test_refusing_leaves_the_resident_where_they_were(community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        son = newcomer(session)
        assert register(session, son, flat(session, "5", "1", "101"), NOW).bound
        before = son.household
        claim = register(session, son, flat(session, "3", "2", "501"), NOW).claim
        assert claim is not None and son.household is before
        decide(session, claim, confirmed=False, by=person(session, "张伟"), now=NOW)
        assert son.household is before and claim.status == ClaimStatus.REFUSED


def test_saying_the_flat_again_keeps_one_claim_and_another_flat_withdraws_it(
        community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        son, held = newcomer(session), flat(session, "3", "2", "501")
        first = register(session, son, held, NOW)
        again = register(session, son, held, NOW)
        assert again.claim is first.claim and not again.new
        assert register(session, son, flat(session, "3", "2", "502"), NOW).bound
        assert first.claim is not None and first.claim.status == ClaimStatus.WITHDRAWN
        assert pending_claims(session, son) == []


def test_only_the_buildings_grid_member_or_staff_may_decide(
        community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        claim = register(session, newcomer(session), flat(session, "3", "2", "501"), NOW).claim
        assert claim is not None
        allowed = {name: may_decide(person(session, name), claim)
                   for name in ("张伟", "赵敏", "王芳", "李娜", "王阿姨")}
        assert allowed == {"张伟": True, "赵敏": True, "王芳": False, "李娜": False,
                           "王阿姨": False}


def test_nobody_decides_their_own_claim(community: sessionmaker[Session]) -> None:
    with transaction(community) as session:
        zhang_wei = person(session, "张伟")
        claim = register(session, zhang_wei, flat(session, "3", "2", "501"), NOW).claim
        assert claim is not None
        assert not may_decide(zhang_wei, claim) and may_decide(person(session, "赵敏"), claim)
