"""The conversation service's own promises about a turn, beyond what one dialogue shows."""

from __future__ import annotations

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import ConversationService
from store.models import ChatIdentity, Person
from tests.bot.test_dialogues import service, talker  # noqa: F401 — the wired service fixture


def test_a_turn_sees_the_resident_as_staff_left_them_a_moment_ago(
        service: ConversationService, sessions: sessionmaker[Session],  # noqa: F811
        engine: Engine) -> None:
    """The person a turn's actions work with is read afresh with each message: a phone number
    staff filled in between two messages means the report is not asked for one. (On
    PostgreSQL they come with the message's own statement: the action reads no person.)"""
    talk = talker(service, "wang_ayi")
    assert talk("你好")
    with sessions.begin() as session:
        person = session.scalar(select(Person).join(ChatIdentity).where(
            ChatIdentity.external_id == "wang_ayi"))
        assert person is not None and person.phone is None
        person.phone = "13800001111"
        theirs = {"pk_1": person.id}
    statements: list[tuple[str, object]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, parameters, *_rest: statements.append(
                     (statement, parameters)))
    replied = "\n".join(talk("12号楼1单元302卫生间下水道堵了"))
    assert "BX-20261121-0001" in replied and "电话" not in replied
    if engine.dialect.name == "postgresql":
        assert not [statement for statement, parameters in statements
                    if statement.startswith("SELECT person.id") and parameters == theirs]
