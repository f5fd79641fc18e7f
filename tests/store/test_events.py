"""Sign-ups that change size: a party made larger only into free places, a smaller one
giving its places to the waitlist."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.database import transaction
from store.events import find, resize, sign_up
from store.models import EventSignup, Person, SignupStatus
from tests import demo

NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)


def status(signup: EventSignup) -> SignupStatus:
    return signup.status


def test_a_party_grows_only_into_free_places_and_shrinking_frees_places_for_the_waitlist(
        sessions: sessionmaker[Session]) -> None:
    demo.load_community(sessions, NOW.date())
    with transaction(sessions) as session:
        first, second = session.scalars(select(Person).order_by(Person.id).limit(2)).all()
        event = find(session, first.community_id, NOW, "cleanup")  # 3 places
        assert event is not None and event.capacity == 3
        mine = sign_up(session, event, first, 1, NOW).signup
        theirs = sign_up(session, event, second, 3, NOW).signup
        assert status(theirs) == SignupStatus.WAITLISTED
        assert resize(session, mine, 3, NOW)  # the two free places and their own
        assert not resize(session, mine, 4, NOW) and mine.count == 3  # more than there is
        assert resize(session, theirs, 2, NOW) and theirs.count == 2  # waitlisted: freely
        assert status(theirs) == SignupStatus.WAITLISTED
        assert resize(session, mine, 1, NOW)  # two places given back: the waitlist moves up
        assert status(theirs) == SignupStatus.CONFIRMED


def test_a_waiting_party_made_small_enough_gets_in(sessions: sessionmaker[Session]) -> None:
    demo.load_community(sessions, NOW.date())
    with transaction(sessions) as session:
        person = session.scalars(select(Person).order_by(Person.id).limit(1)).one()
        event = find(session, person.community_id, NOW, "cleanup")  # 3 places
        assert event is not None
        family = sign_up(session, event, person, 4, NOW).signup
        assert status(family) == SignupStatus.WAITLISTED
        assert resize(session, family, 3, NOW)  # "那先报3个行不行"
        assert status(family) == SignupStatus.CONFIRMED


def test_an_event_asked_about_as_some_activity_is_found_by_the_words_that_name_it(
        sessions: sessionmaker[Session]) -> None:
    """"有没有志愿者活动" is the volunteers' clean-up, not "no such activity"."""
    demo.load_community(sessions, NOW.date())
    with transaction(sessions) as session:
        community = session.scalars(select(Person.community_id)).first()
        assert community is not None
        for asked in ("有没有志愿者活动", "志愿者的活动", "那个志愿者", "the volunteer thing"):
            event = find(session, community, NOW, asked)
            assert event is not None and event.key == "cleanup", asked
        assert find(session, community, NOW, "书法活动") is None
