"""The outbox: once per key, unreachable people recorded, retries back off."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.community import import_community, parse_community
from store.database import transaction
from store.models import OutboxStatus, Person
from store.outbox import due, enqueue, mark_failed, mark_sent

DEMO = Path(__file__).resolve().parents[2] / "config" / "community.demo.yml"
NOW = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)


def test_outbox_lifecycle(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        import_community(session, parse_community(yaml.safe_load(DEMO.read_text())))
        zhang = session.scalar(select(Person).where(Person.name == "张伟"))
        assert zhang is not None
        first = enqueue(session, person=zhang, text="新工单", key="ticket:1:new", now=NOW)
        assert first is not None and first.channel == "shell" and first.chat_id == "zhang_wei"
        assert enqueue(session, person=zhang, text="新工单", key="ticket:1:new", now=NOW) is None
        zhang.unreachable = True
        blocked = enqueue(session, person=zhang, text="x", key="ticket:2:new", now=NOW)
        assert blocked is not None and blocked.status == OutboxStatus.FAILED
    with transaction(sessions) as session:
        [message] = due(session, "shell", NOW)
        mark_failed(message, NOW, "timeout")
        assert due(session, "shell", NOW) == []
        assert [m.id for m in due(session, "shell", NOW + dt.timedelta(seconds=2))] == [
            message.id]
        mark_sent(message, NOW)
    with transaction(sessions) as session:
        assert due(session, "shell", NOW + dt.timedelta(hours=1)) == []
