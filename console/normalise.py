"""Entity values of a correction, normalised as DESIGN.md says (三号楼 → "3"), with the NLU's
own rules (nlu/entities.py), so corrected data and parses agree."""

from __future__ import annotations

import datetime as dt
import re

from nlu.entities import EntityExtractor
from nlu.intents import INTENTS
from nlu.numerals import to_digits
from nlu.text import clean

#: DESIGN.md, Entities.
ENTITIES = ("building", "unit", "room", "category", "ticket_id", "event", "date", "time",
            "phone", "count")
CATEGORIES = ("water", "electricity", "elevator", "gas", "lighting", "door_access", "drainage",
              "sanitation", "noise", "parking", "greenery", "pests", "pets", "security",
              "property_service", "construction", "facilities", "fire", "medical", "other")
_NUMBERED = ("building", "unit", "room", "count")


class EntityValueError(ValueError):
    """An entity that cannot be normalised: said plainly for the operator."""


def check_intent(intent: str) -> str:
    if intent not in INTENTS:
        raise EntityValueError(f"unknown intent {intent!r}")
    return intent


def normalise(entity: str, span: str | None, value: str | None,
              today: dt.date | None = None) -> str:
    """The normalised value of ``entity`` for the selected ``span`` (or the given ``value``)."""
    if entity not in ENTITIES:
        raise EntityValueError(f"unknown entity {entity!r}")
    if entity == "category":
        chosen = (value or span or "").strip().lower()
        if chosen not in CATEGORIES:
            raise EntityValueError(f"a category is one of: {', '.join(CATEGORIES)}")
        return chosen
    source = (value if value not in (None, "") else span) or ""
    text = clean(source).text
    if not text:
        raise EntityValueError(f"{entity}: select the words that say it, or give a value")
    found = [f for f in EntityExtractor(today=lambda: today or dt.date.today()).extract(text)
             if f.entity == entity]
    if found:
        return found[0].value
    if entity in _NUMBERED:
        digits = to_digits(re.sub(r"[^\d〇零一二两三四五六七八九十百千]", "", text))
        if digits is not None and int(digits) > 0:
            return digits
        raise EntityValueError(f"{entity}: {source!r} is not a number")
    if entity == "phone":
        digits = re.sub(r"\D", "", text)
        if 7 <= len(digits) <= 13:
            return digits
        raise EntityValueError(f"phone: {source!r} is not a phone number")
    if entity == "ticket_id":
        match = re.search(r"(bx|ts|jj)[\s-]?(\d{8})[\s-]?(\d{4})", text)
        if match:
            return f"{match.group(1).upper()}-{match.group(2)}-{match.group(3)}"
        raise EntityValueError(f"ticket_id: {source!r} is not a ticket number like "
                               "BX-20261121-0001")
    return text  # event, date, time said in a way the rules do not know: kept as said
