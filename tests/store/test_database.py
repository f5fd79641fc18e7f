"""Units of work: what the parts of one turn share."""

from __future__ import annotations

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from store.database import remembered, transaction, unit_of_work
from store.models import Community


def _count_statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_rest: seen.append(statement))
    return seen


def _community(sessions: sessionmaker[Session], code: str) -> int:
    with transaction(sessions) as session:
        community = Community(code=code, name=code, timezone="Asia/Shanghai",
                              default_language="zh")
        session.add(community)
        session.flush()
        return community.id


def _lookup(session: Session, code: str) -> Community | None:
    return remembered(session, ("community", code), lambda: session.scalar(
        select(Community).where(Community.code == code)))


def test_parts_of_a_unit_read_a_remembered_lookup_once(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    _community(sessions, "east")
    seen = _count_statements(engine)
    with unit_of_work(sessions):
        with transaction(sessions) as session:
            first = _lookup(session, "east")
        with transaction(sessions) as session:
            again = _lookup(session, "east")
            missing, missing_again = _lookup(session, "west"), _lookup(session, "west")
    assert first is not None and again is first
    assert missing is None and missing_again is None
    assert sum("FROM community" in statement for statement in seen) == 2  # east, west


def test_each_unit_and_work_outside_any_unit_reads_afresh(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    """A new building or community is seen by the next turn, never hidden by the last one's
    memory."""
    with unit_of_work(sessions), transaction(sessions) as session:
        assert _lookup(session, "north") is None
    _community(sessions, "north")
    seen = _count_statements(engine)
    with unit_of_work(sessions), transaction(sessions) as session:
        found = _lookup(session, "north")
    with transaction(sessions) as session:
        _lookup(session, "north"), _lookup(session, "north")
    assert found is not None and found.code == "north"
    assert sum("FROM community" in statement for statement in seen) == 3
