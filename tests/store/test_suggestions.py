"""Suggestions (共谋) on SQLite and PostgreSQL: the staff inbox, supporters, and a status change
with a public reply that its author and supporters are told of (outbox rows, their language)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions import suggestions as suggestion_actions
from actions.base import ActionRefusedError
from actions.runtime import Runtime
from store import suggestions
from store.database import transaction
from store.models import ChatIdentity, OutboxMessage, Person, Suggestion
from store.suggestions import SuggestionError
from tests import demo

NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)


def person(session: Session, key: str) -> Person:
    found = session.scalar(select(Person).join(ChatIdentity).where(
        ChatIdentity.channel == "shell", ChatIdentity.external_id == key))
    assert found is not None
    return found


@pytest.fixture
def runtime(sessions: sessionmaker[Session]) -> Runtime:
    demo.load_community(sessions, NOW.date())
    return Runtime(sessions=sessions, responses=demo.responses(),
                   timezone=ZoneInfo("Asia/Shanghai"), clock=lambda: NOW)


@pytest.fixture
def ideas(runtime: Runtime) -> dict[str, int]:
    with transaction(runtime.sessions) as session:
        made = {}
        for key, who, text, language in (
                ("benches", "wang_aiyi", "小区花园多放几张长椅吧，老人走累了没地方坐", "zh"),
                ("bikes", "anna", "could we get a covered bike shed near building 9?", "en"),
                ("lights", "he_dama", "3号楼后面那条路晚上太黑了，装几盏路灯", "zh")):
            suggestion = Suggestion(community_id=person(session, who).community_id,
                                    person_id=person(session, who).id, text=text,
                                    language=language, created_at=NOW)
            session.add(suggestion)
            session.flush()
            made[key] = suggestion.id
        benches = session.get(Suggestion, made["benches"])
        assert benches is not None
        assert suggestions.support(session, benches, person(session, "anna"), NOW)
        assert suggestions.support(session, benches, person(session, "li_shushu"), NOW)
        assert not suggestions.support(session, benches, person(session, "anna"), NOW)
        assert not suggestions.support(session, benches, person(session, "wang_aiyi"), NOW)
        return made


def told(runtime: Runtime) -> dict[str, str]:
    with runtime.sessions() as session:
        return {name: text for name, text in session.execute(
            select(Person.name, OutboxMessage.text).join(
                Person, OutboxMessage.person_id == Person.id).where(
                OutboxMessage.dedupe_key.like("suggestion:%")))}


def test_the_inbox_lists_newest_first_with_supporters(runtime: Runtime,
                                                      ideas: dict[str, int]) -> None:
    with runtime.sessions() as session:
        community = person(session, "zhao_min").community_id
        everything = suggestions.inbox(session, community)
        first_two = suggestions.inbox(session, community, limit=2)
        rest = suggestions.inbox(session, community, before_id=first_two[-1].id)
    assert [item.id for item in everything] == [ideas["lights"], ideas["bikes"],
                                                ideas["benches"]]
    assert [item.id for item in [*first_two, *rest]] == [item.id for item in everything]
    assert {item.id: item.supporters for item in everything}[ideas["benches"]] == 2
    assert everything[0].author == "何大妈" and everything[0].status == "new"


def test_adopting_tells_the_author_and_supporters_in_their_language(
        runtime: Runtime, ideas: dict[str, int]) -> None:
    with transaction(runtime.sessions) as session:
        told_now = suggestion_actions.decide(session, runtime, person(session, "zhao_min"),
                                             ideas["benches"], "adopted",
                                             "下个月在中心花园加装 6 张长椅。")
        assert [p.name for p in told_now] == ["王阿姨", "李叔叔", "Anna Smith"]
    messages = told(runtime)
    assert set(messages) == {"王阿姨", "Anna Smith", "李叔叔"}  # 何大妈's idea is not this one
    assert "已采纳" in messages["王阿姨"] and "下个月在中心花园加装 6 张长椅" in messages["王阿姨"]
    assert "小区花园多放几张长椅吧" in messages["李叔叔"]
    assert "adopted" in messages["Anna Smith"] and "The committee replies" in messages[
        "Anna Smith"]
    with runtime.sessions() as session:
        adopted = suggestions.inbox(session, person(session, "zhao_min").community_id,
                                    "adopted")
    assert [(i.id, i.reply, i.status_changed_at) for i in adopted] == [
        (ideas["benches"], "下个月在中心花园加装 6 张长椅。", NOW)]


def test_the_same_status_again_tells_nobody_twice(runtime: Runtime,
                                                 ideas: dict[str, int]) -> None:
    for _ in range(2):
        with transaction(runtime.sessions) as session:
            suggestion_actions.decide(session, runtime, person(session, "zhao_min"),
                                      ideas["bikes"], "discussing", None)
    with runtime.sessions() as session:
        rows = session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.dedupe_key.like("suggestion:%"))).all()
    assert len(rows) == 1 and "under discussion" in rows[0] and "replies" not in rows[0]


def test_only_staff_decide_and_only_known_statuses(runtime: Runtime,
                                                   ideas: dict[str, int]) -> None:
    with transaction(runtime.sessions) as session:
        with pytest.raises(ActionRefusedError) as refused:
            suggestion_actions.decide(session, runtime, person(session, "zhang_wei"),
                                      ideas["lights"], "declined", "不行")
        assert refused.value.response == "utter_not_allowed"
        with pytest.raises(ActionRefusedError):
            suggestion_actions.decide(session, runtime, person(session, "zhao_min"), 999,
                                      "declined", None)
        lights = session.get(Suggestion, ideas["lights"])
        assert lights is not None
        with pytest.raises(SuggestionError):
            suggestions.decide(session, lights, "maybe", reply=None, actor=None, now=NOW)
        with pytest.raises(SuggestionError):
            suggestions.inbox(session, lights.community_id, "maybe")
    assert told(runtime) == {}
