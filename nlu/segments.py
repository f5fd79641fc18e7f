"""Two requests in one message ("水管漏了，另外想报名包饺子"): the parts, each parsed on its own.

A message is cut only where residents join two requests: a joining word (另外, 还有, 顺便,
"and also", "also", "btw") or a semicolon or line break. The cut is kept only when at least two
parts are, each on its own, confident and different requests; otherwise the message is one
request however it is worded ("电梯坏了，还有人被困在里面" stays one emergency). The parse result
then carries an extra key, which Rasa clients ignore:

    "segments": [{"text", "start", "end", "intent", "confidence", "entities", "language"}, …]

with offsets (of the segment and its entities) into the whole message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nlu.intents import OUT_OF_SCOPE

#: Intents that are requests of their own; small talk, "yes", an address or out-of-scope text
#: next to a request is part of that request, never a second one.
REQUESTS = frozenset({"report_repair", "file_complaint", "report_emergency", "ticket_status",
                      "ticket_cancel", "event_list", "event_signup", "event_cancel", "ask_faq",
                      "make_suggestion", "request_human", "set_language"})
EMERGENCY = "report_emergency"
#: How sure the NLU must be of each part on its own (the flow runner's bar for a reading to
#: steer the conversation).
CONFIDENCE = 0.6
#: More parts than this is a long story, not a list of requests: parsing every part would
#: cost more than the turn (a 10,000-character message full of semicolons).
MAX_PARTS = 6
#: Intents whose category tells two requests apart ("电梯坏了，还有路灯不亮" is two repairs).
_BY_CATEGORY = frozenset({"report_repair", "file_complaint", "report_emergency"})
#: Joining words that start a new request wherever they stand (voice transcripts have no
#: commas); those that also start ordinary phrases ("还有多久", "还有人被困") only after a pause
#: and not before such a phrase. English words stand alone (not inside "brand", "btwn").
_ANYWHERE = (r"另外|顺便|此外|再就是|还有就是|還有就是|順便|"
             r"(?<![a-z0-9])(?:and also|oh and|another thing|by the way|btw)(?![a-z0-9])")
_AFTER_PAUSE = r"(?:还有|還有|再有)(?!人|多|几|幾|没|沒|啥|什么|甚麼|点|點|一|个|個)|然后|然後|而且"
#: English words are joined by spaces anyway: "and" and "also" cut only after punctuation
#: ("it's flooding and water pours through my ceiling" is one emergency).
_AFTER_PUNCTUATION = r"(?:also|and)(?![a-z0-9])"
_PUNCTUATION = r"[,，、.。!！?？~～]"
_PAUSE = r"[\s,，、.。!！?？~～]"
_CUT = re.compile(rf"[；;\n]+|{_PAUSE}*(?:{_ANYWHERE})|(?<={_PAUSE})\s*(?:{_AFTER_PAUSE})|"
                  rf"(?<={_PUNCTUATION})\s*{_AFTER_PUNCTUATION}", re.IGNORECASE)
#: A remark on the language ("sorry no chinese", "english pls") joins a request with a mere
#: comma: a message naming a language is cut at every pause too.
_LANGUAGE_NAMED = re.compile(r"中文|汉语|普通话|英文|英语|english|chinese|mandarin", re.IGNORECASE)
_CLAUSE_CUT = re.compile(r"[,，.。!！?？;；\n]+")
_FILLER = re.compile(rf"^(?:{_PAUSE}|[:：]|呢|啊|就是|我|i)*$", re.IGNORECASE)
#: Greetings and "anyone there?" that open a message, one or several, with what follows them.
_GREETING = re.compile(
    r"^\s*(?:(?:hi+|hello+|hey+|hiya|yo|morning|good (?:morning|afternoon|evening)|"
    r"(?:is )?(?:any|some)(?:one|body) (?:there|around|here|home)|hello anyone there|"
    r"喂+|你好|您好|大家好|在吗|在不在|有人吗|有人在吗|有没有人在?)"
    r"(?![a-z])[\s,，.。!！?？~～]*)+", re.IGNORECASE)

Parse = Callable[[str], dict[str, Any]]


def parts(text: str, cut: re.Pattern[str] = _CUT) -> list[tuple[int, int]]:
    """The [start, end) spans of ``text`` between joining words (or ``cut``), blanks trimmed;
    empty parts (a joining word at the start, two in a row) left out."""
    spans = []
    start = 0
    for match in cut.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        piece = text[begin:end]
        stripped = piece.strip(" \t,，、.。!！?？~～:：")
        if not stripped or _FILLER.match(stripped):
            continue
        begin += piece.index(stripped)
        trimmed.append((begin, begin + len(stripped)))
    return trimmed


def _request_key(result: dict[str, Any]) -> tuple[str, str | None]:
    intent = str(result["intent"]["name"])
    category = next((str(e["value"]) for e in result["entities"]
                     if e["entity"] == "category"), None) if intent in _BY_CATEGORY else None
    return intent, category


def segments(text: str, parse: Parse) -> list[dict[str, Any]] | None:
    """The requests in ``text``, in order, when it holds two or more confident, different ones;
    None otherwise. ``parse`` parses one part (and must not look for segments itself)."""
    found = _requests(text, parse)
    return found if found is not None and len(found) >= 2 else None


def _requests(text: str, parse: Parse) -> list[dict[str, Any]] | None:
    """The confident, different requests among the parts of ``text``; None when it has no
    parts."""
    if _LANGUAGE_NAMED.search(text) and _CLAUSE_CUT.search(text):
        spans = parts(text, _CLAUSE_CUT)
    elif _CUT.search(text):
        spans = parts(text)
    else:
        return None
    if not 2 <= len(spans) <= MAX_PARTS:
        return None
    found: list[dict[str, Any]] = []
    keys: set[tuple[str, str | None]] = set()
    for start, end in spans:
        result = parse(text[start:end])
        intent = result["intent"]
        if intent["name"] not in REQUESTS or float(intent["confidence"]) < CONFIDENCE:
            continue
        key = _request_key(result)
        if key in keys:  # the same request said twice, or its two halves
            continue
        keys.add(key)
        found.append(_segment(text, start, end, result))
    return found


def _segment(text: str, start: int, end: int, result: dict[str, Any]) -> dict[str, Any]:
    """The part ``text[start:end]``, whose own parse is ``result``, as a segment: its entities'
    offsets into the whole message."""
    intent = result["intent"]
    return {"text": text[start:end], "start": start, "end": end, "intent": intent["name"],
            "confidence": intent["confidence"], "language": result["language"],
            "entities": [{**e, "start": e["start"] + start, "end": e["end"] + start}
                         if "start" in e else dict(e) for e in result["entities"]]}


def _after_greeting(text: str, parse: Parse) -> dict[str, Any] | None:
    """The request after a greeting that opens ``text`` ("hi is anyone there, my neighbour is
    shouting for help", "有人在吗 我要报修") as a segment: an emergency however sure the NLU
    is of it (the flow asks whether it is one now), another request when it is sure."""
    opener = _GREETING.match(text)
    if opener is None or not (rest := text[opener.end():].strip()):
        return None
    start = text.index(rest, opener.end())
    result = parse(rest)
    intent = result["intent"]
    if intent["name"] != EMERGENCY and (intent["name"] not in REQUESTS
                                        or float(intent["confidence"]) < CONFIDENCE):
        return None
    return _segment(text, start, start + len(rest), result)


def add_segments(result: dict[str, Any], parse: Parse) -> None:
    """Add the ``segments`` of a parse result's text, if it holds two requests. An emergency
    in one of them makes the whole message an emergency (safety first: a group chat, which
    reads only the whole, must raise the alarm for "着火了！另外我想报名包饺子" too)."""
    if result["intent"]["name"] == "greet" and (
            request := _after_greeting(str(result["text"]), parse)) is not None:
        _adopt(result, request)  # the greeting only opened it
        return
    found = _requests(str(result["text"]), parse)
    if found is not None and len(found) == 1 and result["intent"]["name"] == OUT_OF_SCOPE \
            and found[0]["intent"] != EMERGENCY:
        # "how do I file my income tax? also my kitchen sink is leaking": what is out of scope
        # beside one request is part of it, and the message is that request
        _adopt(result, found[0])
        return
    if found is None or len(found) < 2:
        return
    result["segments"] = found
    emergency = next((s for s in found if s["intent"] == EMERGENCY), None)
    if emergency is None or result["intent"]["name"] == EMERGENCY:
        return
    result["intent"] = {"name": EMERGENCY, "confidence": emergency["confidence"]}
    result["intent_ranking"] = [dict(result["intent"]), *(
        r for r in result["intent_ranking"] if r["name"] != EMERGENCY)]
    result["entities"] = [*(e for e in result["entities"] if e["entity"] != "category"),
                          *(e for e in emergency["entities"] if e["entity"] == "category")]


def _adopt(result: dict[str, Any], segment: dict[str, Any]) -> None:
    """``result`` read as the one request ``segment`` is, with that part's entities."""
    result["intent"] = {"name": segment["intent"], "confidence": segment["confidence"]}
    result["intent_ranking"] = [dict(result["intent"]), *(
        r for r in result["intent_ranking"] if r["name"] != segment["intent"])]
    result["entities"] = list(segment["entities"])


def as_parse(segment: dict[str, Any]) -> dict[str, Any]:
    """A segment as a parse result of its own (offsets into the segment's text), to handle it
    as if it had been sent alone."""
    offset = int(segment["start"])
    intent = {"name": segment["intent"], "confidence": segment["confidence"]}
    return {"text": segment["text"], "language": segment["language"], "intent": intent,
            "entities": [{**e, "start": e["start"] - offset, "end": e["end"] - offset}
                         if "start" in e else dict(e) for e in segment["entities"]],
            "intent_ranking": [intent]}
