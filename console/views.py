"""What the console shows of a transcript message: masked text, the parse, the correction.

Phone and ID numbers are masked (store/masking.py) for every console reader. Entity offsets
shown are offsets into the masked text; :class:`Offsets` maps them back to the stored text.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from pydantic import BaseModel

from console.search import parse_fields
from store.masking import mask_sensitive
from store.models import Correction, Ticket, TranscriptMessage
from store.privacy import ERASED


class EntityOut(BaseModel):
    entity: str
    value: str | None
    start: int | None = None
    end: int | None = None


class CorrectionOut(BaseModel):
    id: int
    intent: str
    entities: list[EntityOut]
    previous_intent: str | None
    previous_entities: list[EntityOut] | None
    author: str
    at: dt.datetime


class MessageOut(BaseModel):
    id: int
    at: dt.datetime
    channel: str
    chat: str
    direction: str
    text: str
    language: str | None
    intent: str | None
    confidence: float | None
    entities: list[EntityOut]
    correction: CorrectionOut | None
    erased: bool = False


class TicketOut(BaseModel):
    number: str
    kind: str
    category: str
    status: str


class TimelineEntry(MessageOut):
    ranking: list[dict[str, Any]]
    flow: str | None
    #: The question the message left waiting in ``flow``, or "done"; None where no flow ran
    #: or the turn did not record it (older messages: ``flow`` is then read from the intent).
    step: str | None = None
    tickets: list[TicketOut]
    reply_to: int | None


class Offsets:
    """Positions in the masked text ↔ positions in the stored text."""

    def __init__(self, original: str, masked: str) -> None:
        self.original = original
        self.masked = masked
        self._to_original: list[int] = list(range(len(masked) + 1))
        self._to_masked: list[int] = list(range(len(original) + 1))
        if original != masked:
            matcher = difflib.SequenceMatcher(None, masked, original, autojunk=False)
            for tag, m1, m2, o1, o2 in matcher.get_opcodes():
                for i in range(m1, m2 + 1):
                    self._to_original[i] = o1 + (min(i - m1, o2 - o1) if tag == "equal"
                                                 else (o2 - o1) * (i - m1) // max(1, m2 - m1))
                for j in range(o1, o2 + 1):
                    self._to_masked[j] = m1 + (min(j - o1, m2 - m1) if tag == "equal"
                                               else (m2 - m1) * (j - o1) // max(1, o2 - o1))

    def to_original(self, position: int) -> int:
        return self._to_original[max(0, min(position, len(self.masked)))]

    def to_masked(self, position: int) -> int:
        return self._to_masked[max(0, min(position, len(self.original)))]


def _masked_value(entity: str, value: str) -> str:
    masked = mask_sensitive(value)
    if entity == "phone" and masked == value and len(value) > 4:
        return "*" * (len(value) - 4) + value[-4:]  # digits alone, no shape to recognise
    return masked


def _entities(found: list[dict[str, Any]], offsets: Offsets) -> list[EntityOut]:
    shown = []
    for entity in found:
        start, end = entity.get("start"), entity.get("end")
        value = entity.get("value")
        shown.append(EntityOut(
            entity=str(entity.get("entity")),
            value=None if value is None else _masked_value(str(entity.get("entity")),
                                                          str(value)),
            start=offsets.to_masked(start) if isinstance(start, int) else None,
            end=offsets.to_masked(end) if isinstance(end, int) else None))
    return shown


def correction_out(correction: Correction, offsets: Offsets) -> CorrectionOut:
    return CorrectionOut(id=correction.id, intent=correction.intent,
                         entities=_entities(list(correction.entities), offsets),
                         previous_intent=correction.previous_intent,
                         previous_entities=None if correction.previous_entities is None
                         else _entities(list(correction.previous_entities), offsets),
                         author=correction.author, at=correction.created_at)


def message_out(message: TranscriptMessage, correction: Correction | None) -> MessageOut:
    masked = mask_sensitive(message.text)
    offsets = Offsets(message.text, masked)
    intent, confidence, entities = parse_fields(message)
    return MessageOut(id=message.id, at=message.at, channel=message.channel,
                      chat=message.chat_id, direction=str(message.direction.value),
                      text=masked, language=message.language, intent=intent,
                      confidence=confidence, entities=_entities(entities, offsets),
                      correction=correction_out(correction, offsets) if correction else None,
                      erased=message.text == ERASED)


def timeline_entry(message: TranscriptMessage, correction: Correction | None,
                   flows: frozenset[str], tickets: list[Ticket]) -> TimelineEntry:
    base = message_out(message, correction)
    ranking = (message.parse or {}).get("intent_ranking") or []
    intent = correction.intent if correction else base.intent
    flow, step = _flow_step(message.parse or {})
    if "flow" not in (message.parse or {}) and intent in flows:
        flow = intent  # an older message: the flow its intent starts, the best guess there is
    return TimelineEntry(**base.model_dump(), ranking=ranking[:3] if isinstance(
        ranking, list) else [], flow=flow, step=step,
        tickets=[TicketOut(number=t.number, kind=str(t.kind.value), category=t.category,
                           status=str(t.status.value)) for t in tickets],
        reply_to=message.reply_to_id)


def _flow_step(parse: dict[str, Any]) -> tuple[str | None, str | None]:
    """The flow and step a turn recorded it left the conversation at (bot/conversation.py)."""
    stored = parse.get("flow")
    if isinstance(stored, dict) and isinstance(stored.get("flow"), str) \
            and isinstance(stored.get("step"), str):
        return stored["flow"], stored["step"]
    return None, None
