"""What the operator's dashboard counts, per day: intents of residents' messages, the share read
as out of scope or with low confidence, and how often the FAQ answered a question. Queries
take a session and never commit."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.search import LOW_CONFIDENCE, confidence_of, intent_of
from nlu.intents import OUT_OF_SCOPE
from store.models import Direction, Question, TranscriptMessage

FAQ_INTENT = "ask_faq"


@dataclass(slots=True)
class Day:
    """One day's counts (in the community's time zone)."""

    day: dt.date
    messages: int = 0
    intents: Counter[str] = field(default_factory=Counter)
    out_of_scope: int = 0
    low_confidence: int = 0
    questions: int = 0  # asked (ask_faq)
    unanswered: int = 0  # kept for staff: the FAQ had no answer

    @property
    def out_of_scope_share(self) -> float | None:
        return self.out_of_scope / self.messages if self.messages else None

    @property
    def low_confidence_share(self) -> float | None:
        return self.low_confidence / self.messages if self.messages else None

    @property
    def faq_hit_rate(self) -> float | None:
        """Questions the FAQ answered, of those asked (a kept question is a miss)."""
        if not self.questions:
            return None
        return max(0.0, (self.questions - self.unanswered) / self.questions)


def daily(session: Session, since: dt.date, until: dt.date, zone: ZoneInfo) -> list[Day]:
    """Days from ``since`` to ``until`` (inclusive), every day present even when empty."""
    start = dt.datetime.combine(since, dt.time(), zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
    days = {since + dt.timedelta(days=n): Day(since + dt.timedelta(days=n))
            for n in range((until - since).days + 1)}
    rows = session.execute(
        select(TranscriptMessage.at, intent_of(), confidence_of())
        .where(TranscriptMessage.direction == Direction.IN, TranscriptMessage.at >= start,
               TranscriptMessage.at < end, TranscriptMessage.parse.is_not(None)))
    for at, intent, confidence in rows:
        day = days.get(at.astimezone(zone).date())
        if day is None or intent is None:
            continue
        day.messages += 1
        day.intents[intent] += 1
        day.out_of_scope += intent == OUT_OF_SCOPE
        day.low_confidence += confidence is not None and confidence < LOW_CONFIDENCE
        day.questions += intent == FAQ_INTENT
    for (created,) in session.execute(select(Question.created_at)
                                      .where(Question.created_at >= start,
                                             Question.created_at < end)):
        day = days.get(created.astimezone(zone).date())
        if day is not None:
            day.unanswered += 1
    return [days[key] for key in sorted(days)]
