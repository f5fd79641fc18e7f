"""Short answers to the choices just shown: "1", "第二个", "the second one", "最后一个", or a
button's own words typed out ("在家里"), pick a button of the bot's last reply to this person.

Many residents type rather than tap, and answer a list the way they would answer a person. The
buttons of each turn's replies are remembered in the conversation state; the next message is
matched against them and then they are forgotten (the conversation has moved on), so a "1"
typed later is never read against an old list.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nlu import danger
from nlu.language import HAN
from nlu.numerals import chinese_to_int
from nlu.text import clean

#: Choices older than this are not answered by a number (the runner forgets a conversation
#: after the same time).
EXPIRE_AFTER = dt.timedelta(minutes=30)
LAST = -1

_EN_ORDINALS = {w: i for i, w in enumerate(
    ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
     "tenth"), start=1)}
_BARE = re.compile(r"^(\d{1,2})\s*[.。、)）]?$")
_ZH = re.compile(r"^(?:选|要|就|我选|我要)?\s*(?:第\s*(?P<n>[一二三四五六七八九十]|\d{1,2})\s*"
                 r"(?:个|项|条|张|种|位)?|(?P<last>最后(?:一个|那个|一项|一条)?))"
                 r"\s*(?:吧|啊|呀|的|就行|好了)?$")
_EN = re.compile(r"^(?:(?:i'?ll take|i want|choose|pick|select)\s+)?(?:the\s+)?"
                 r"(?:(?P<word>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
                 r"tenth|last)|(?P<n>\d{1,2})(?:st|nd|rd|th))(?:\s+one)?(?:,?\s*please)?$"
                 r"|^(?:number|no\.?|option|#)\s*(?P<number>\d{1,2})(?:,?\s*please)?$")
_TRAILING = re.compile(r"[\s.,!?。，！？~～]+$")
_NOT_WORDS = re.compile(r"[\W_]+")
_BRACKET = re.compile(r"\s*[（(].*$")
_YES_NO = frozenset({"/affirm", "/deny"})


@dataclass(frozen=True, slots=True)
class OutOfRange:
    """An ordinal beyond the choices shown: say how many there are."""

    count: int


def remember(state: dict[str, Any], replies: Sequence[dict[str, Any]], now: dt.datetime
             ) -> None:
    """Keep this turn's choices for the next message, or forget the last turn's. One reply
    with buttons gives its buttons; several replies with one button each (an event list) give
    one choice per reply; several menus at once are too ambiguous for a number."""
    menus = [list(r["buttons"]) for r in replies if r.get("buttons")]
    if len(menus) == 1:
        buttons = menus[0]
    elif menus and all(len(menu) == 1 for menu in menus):
        buttons = [menu[0] for menu in menus]
    else:
        buttons = []
    buttons = [{"title": str(b.get("title", "")), "payload": str(b["payload"])}
               for b in buttons if b.get("payload")]
    if buttons:
        state["choices"] = {"buttons": buttons, "at": now.isoformat()}
    else:
        state.pop("choices", None)


def choose(state: dict[str, Any], text: str, now: dt.datetime) -> str | OutOfRange | None:
    """The payload ``text`` picks among the remembered choices, OutOfRange for a number past
    them, None when ``text`` does not answer them (it is then handled as any message)."""
    remembered = state.get("choices")
    if not remembered or now - dt.datetime.fromisoformat(remembered["at"]) > EXPIRE_AFTER:
        return None
    buttons: list[dict[str, str]] = remembered["buttons"]
    said = _TRAILING.sub("", unicodedata.normalize("NFKC", text).strip()).lower()
    if not said or any(said == b["payload"].lower() for b in buttons):
        return None  # already a payload, or a number that is itself a choice (a building)
    by_title = _by_title(buttons, said) or _by_number_in_title(buttons, said) \
        or _by_part_of_title(buttons, said)
    if by_title is not None or all(b["payload"] in _YES_NO for b in buttons):
        return by_title  # a yes-or-no question is no list: "7" there answers something else
    position = ordinal(said, numbers_are_values=any(b["payload"].isdigit() for b in buttons))
    if position is None:
        return None
    if position == LAST:
        return buttons[-1]["payload"]
    if 1 <= position <= len(buttons):
        return buttons[position - 1]["payload"]
    return OutOfRange(len(buttons))


def ordinal(said: str, numbers_are_values: bool = False) -> int | None:
    """1-based position named by ``said`` ("2", "第二个", "the second one"), LAST for "最后一个"
    / "the last one", None if it names none. A bare number is a position only when the
    choices are not numbers themselves (building buttons are answered by their number)."""
    said = unicodedata.normalize("NFKC", said).strip().lower()
    if (bare := _BARE.match(said)) is not None:
        return None if numbers_are_values else int(bare.group(1))
    if (zh := _ZH.match(said)) is not None:
        if zh.group("last"):
            return LAST
        value = zh.group("n")
        return int(value) if value.isdigit() else chinese_to_int(value)
    if (en := _EN.match(said)) is not None:
        if en.group("word"):
            return LAST if en.group("word") == "last" else _EN_ORDINALS[en.group("word")]
        return int(en.group("n") or en.group("number"))
    return None


def _by_number_in_title(buttons: list[dict[str, str]], said: str) -> str | None:
    """A bare number that one button's title shows as a number of its own ("5" for "😀 5
    很满意"): that button, not the fifth (which there is "😞 1 很不满意")."""
    bare = _BARE.match(said)
    if bare is None:
        return None
    number = re.compile(rf"(?<!\d){bare.group(1)}(?!\d)")
    found = {b["payload"] for b in buttons
             if number.search(unicodedata.normalize("NFKC", b["title"]))}
    return found.pop() if len(found) == 1 else None


def _by_part_of_title(buttons: list[dict[str, str]], said: str) -> str | None:
    """Words that only one button's title holds, typed short ("包饺子" for "邻里包饺子", "义诊",
    "movie night"): that button. Never words of a danger, which answer no list ("着火了" while
    the FAQ offers "着火了怎么办")."""
    words = _NOT_WORDS.sub("", said)
    # two Han characters name a choice ("义诊"); Latin letters take four ("movie")
    if said.startswith("/") or len(words) < (2 if HAN.search(words) else 4):
        return None  # a command (/queue) names itself
    text = clean(said).text
    reading = danger.read(text)
    if reading.here_now or reading.hazard_now or danger.someone_unwell(text):
        return None
    found = {b["payload"] for b in buttons if words in _words_of(b["title"])}
    return found.pop() if len(found) == 1 else None


def _by_title(buttons: list[dict[str, str]], said: str) -> str | None:
    """A button whose words were typed instead of tapped: its title, or its title without
    what it says in brackets ("在家里（3号楼2单元501）"), emoji and punctuation aside."""
    words = _NOT_WORDS.sub("", said)
    if not words:
        return None
    found = {b["payload"] for b in buttons
             if words in (_words_of(b["title"]), _words_of(_BRACKET.sub("", b["title"])))}
    return found.pop() if len(found) == 1 else None


def _words_of(title: str) -> str:
    """A button title as typed words are compared with it: folded, lower case, its emoji,
    spaces and punctuation aside."""
    return _NOT_WORDS.sub("", unicodedata.normalize("NFKC", title).lower())
