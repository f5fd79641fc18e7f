"""store/corrections.py on SQLite and PostgreSQL: the latest correction per message is the
training data, an erased message teaches nothing, an answer is never corrected."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.corrections import NotCorrectableError, correct, latest_corrections, latest_for
from store.database import transaction
from store.models import Direction, TranscriptMessage
from store.privacy import ERASED

NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)


def message(session: Session, text: str, direction: Direction = Direction.IN,
            intent: str = "greet") -> TranscriptMessage:
    stored = TranscriptMessage(channel="rest", chat_id="c1", sender="c1", direction=direction,
                               text=text, language="zh", answered=True, at=NOW,
                               parse={"text": text, "intent": {"name": intent,
                                                               "confidence": 0.4},
                                      "entities": [{"entity": "building", "value": "3",
                                                    "start": 0, "end": 2,
                                                    "extractor": "x"}]})
    session.add(stored)
    session.flush()
    return stored


def test_the_latest_correction_of_each_kept_message_is_training_data(
        sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        first = message(session, "3栋那个灯")
        second = message(session, "随便问问")
        erased = message(session, "我家电话13812345678")
        before = correct(session, first, "file_complaint", [], "op1", NOW)
        assert before.previous_intent == "greet"
        assert before.previous_entities == [{"entity": "building", "value": "3", "start": 0,
                                             "end": 2}]
        again = correct(session, first, "report_repair",
                        [{"entity": "building", "value": "3", "start": 0, "end": 2}], "op2",
                        NOW + dt.timedelta(minutes=1))
        assert again.previous_intent == "file_complaint" and again.previous_entities == []
        correct(session, second, "out_of_scope", [], "op1", NOW)
        correct(session, erased, "register_household", [], "op1", NOW)
        erased.text = ERASED  # as store/privacy.py erases it
        ids = (first.id, second.id)
        with pytest.raises(NotCorrectableError):
            correct(session, message(session, "好的", Direction.OUT), "greet", [], "op1", NOW)
    with sessions() as session:
        training = latest_corrections(session)
        assert [(c.message_id, c.text, c.intent, c.author) for c in training] == [
            (ids[0], "3栋那个灯", "report_repair", "op2"),
            (ids[1], "随便问问", "out_of_scope", "op1")]
        assert latest_for(session, [ids[0]])[ids[0]].intent == "report_repair"
