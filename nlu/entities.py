"""Rule-based entity extraction with normalised values: locations, ticket ids, phones, counts,
dates, times and lookup-table entities (events).

Rules beat a sequence tagger here: these entities have a closed shape, their values must be
normalised (三号楼 → "3") and residents' wording of them is far more regular than their wording of
what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from nlu.numerals import CHINESE_NUMERAL_CHARS, chinese_to_int, to_digits
from nlu.text import alternation

#: Entities that only mean something in a message about community activities: "talk" in
#: "talk later" or 广场舞 in a noise complaint names no event to sign up for.
EVENT_ENTITIES = frozenset({"event", "count"})
EVENT_INTENTS = frozenset({"event_list", "event_signup", "event_cancel"})


@dataclass(frozen=True, slots=True)
class Found:
    """An entity found in clean text: [start, end) offsets into that text."""

    entity: str
    start: int
    end: int
    value: str
    extractor: str


_CN = f"[{CHINESE_NUMERAL_CHARS}]"
_NUM = rf"(?:\d+|{_CN}+)"
_NOT_DIGIT_BEFORE = r"(?<![\d\w-])"
_DIGIT_READING = "[零〇一二三四五六七八九]"
# A room number read aloud digit by digit always has a zero in it: 七零二, 一二零三, 一零零二.
_SPOKEN_ROOM = ("[一二三四五六七八九](?:[零〇][一二三四五六七八九]"
                "|[一二三四五六七八九零〇][零〇][一二三四五六七八九])")
# Or positionally: 一千二百零二, 五百零一.
_POSITIONAL_ROOM = "[一二三四五六七八九][千百][零〇一二三四五六七八九十百]{1,5}"

# Trailing punctuation may follow ("I'm in 7-2-603."), another number part may not.
_TRIPLE = re.compile(r"(?<![\d./-])(\d{1,2})\s?[-—_/]\s?(\d{1,2})\s?[-—_/]\s?(\d{3,4})"
                     r"(?!\d|[.:/-]\d)")
_PAIR = re.compile(r"(?<![\d./-])(\d{1,2})\s?[-—]\s?(\d{3,4})(?!\d|[.:/-]\d)")
_BUILDING_ZH = re.compile(rf"({_NUM})\s?(?:号楼|號樓|号院楼|栋|棟|幢|座|#楼|#|号\s?楼)")
_BUILDING_EN = re.compile(
    r"(?<![a-z])(?:building|bldg|bld|block|blk|tower)\.?\s?(?:no\.?\s?|#\s?)?(\d{1,3})(?!\d)"
    r"|(?<![a-z])(?:no\.?\s?|#)(\d{1,3})\s?(?:building|bldg|block)\b"
    r"|\b(\d{1,2})(?:st|nd|rd|th)\s(?:building|bldg|block)\b"
)
_UNIT_ZH = re.compile(rf"({_NUM})\s?(?:单元|單元|门洞)|"
                      rf"(?<!\d)(\d{{1,2}}|{_CN}+)\s?门(?![禁口卫铃锁把框窗缝])")
_UNIT_EN = re.compile(r"(?<![a-z])(?:unit|entrance)\s?#?\s?(\d{1,4})(?!\d)")
_ROOM_ZH = re.compile(rf"({_NUM})\s?(?:室|号房|户|房间|房(?![子租东产]))|"
                      # "402门缝里冒烟", "602家": a flat's door, a flat's people
                      rf"(?<![\d-])(\d{{3,4}})\s?(?=门|家|那户|那家|的门)")
_ROOM_EN = re.compile(r"(?:(?<![a-z])(?:apt|apartment|flat|room|rm|suite|no)\.?\s?#?\s?|#)"
                      r"(\d{2,4})(?!\d)")
# A bare room number right after a building or unit ("12号楼1单元302", "block 4, 1202").
_ROOM_AFTER = re.compile(rf"[\s,，的、/-]{{0,2}}"
                         rf"(\d{{3,4}}|{_POSITIONAL_ROOM}|{_DIGIT_READING}{{3,4}})"
                         rf"(?![\d楼层])(?:\s?号(?!楼))?")
_ROOM_SPOKEN = re.compile(rf"(?<![{CHINESE_NUMERAL_CHARS}])({_SPOKEN_ROOM})"
                          rf"(?![{CHINESE_NUMERAL_CHARS}楼层栋幢号单])")
_ROOM_AT_HOME = re.compile(rf"(?:我家|我住|家里|住在?|门牌号?|房号)\s?"
                           rf"(\d{{3,4}}|{_DIGIT_READING}{{3,4}})(?![\d栋楼幢号座])")

_TICKET = re.compile(r"(?<![a-z0-9])(bx|ts|jj)[\s-]?(\d{8})[\s-]?(\d{4})(?!\d)")
_PHONE = re.compile(
    r"(?<!\d)(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?!\d)"
)

_CN_SMALL = "一二两三四五六七八九十"
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10}
_COUNT_ZH = re.compile(rf"(\d{{1,2}}|[{_CN_SMALL}]{{1,3}})\s?"
                       rf"(?:个人|口人|位|名|口|人(?![篮赛份间制]))(?![月小钟])"
                       rf"|(\d{{1,2}}|[{_CN_SMALL}]{{1,3}})\s?个(?:位置|名额|座位|位子)")
# A bare "N个" counts people only where it stands for them: after a group (我们/一共/另外), or
# before a word about joining or leaving ("我和闺蜜两个", "另外两个取消", "去四个").
_COUNT_ZH_BARE = re.compile(
    rf"(?:(?<=我们)|(?<=咱们)|(?<=一共)|(?<=总共)|(?<=共)|(?<=另外)|(?<=剩下)|(?<=还有)"
    rf"|(?<=就剩我)|(?<=只去我)|(?<=去)|(?<=减掉)|(?<=加)|(?<=我们家)"
    rf"|(?<=[和跟])[\u4e00-\u9fff]{{1,4}}?)"
    rf"(\d{{1,2}}|[{_CN_SMALL}]{{1,3}})个(?=$|[\s,，。.!！?？~]|都|一起|全|取消|参加|报|去|来|不去"
    rf"|志愿者|人)")
_COUNT_ME = re.compile(r"(?:算|加|报|带)上?我一个|我一个人")
# 俩 and 仨 are "two" and "three" of people: 我们俩, 咱仨, 仨人 (not 俩月).
_COUNT_PAIR = re.compile(r"(?:(?<=们)|(?<=咱))([俩仨])|([俩仨])(?=个?人)")
_PAIR_WORDS = {"俩": 2, "仨": 3}
_EN_COUNT_WORD = r"\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten"
_COUNT_EN = re.compile(
    rf"\b({_EN_COUNT_WORD})\s"
    r"(?:people|persons|person|ppl|of us|adults|kids|children|guests|pax|seats|spots|places)\b"
    rf"|\bfamily of ({_EN_COUNT_WORD})\b|\bteam of ({_EN_COUNT_WORD})\b"
    rf"|\b(?:we're|we are|we're a group of|party of|group of)\s({_EN_COUNT_WORD})\b"
)

_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_WEEKDAYS_EN = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2,
                "wed": 2, "thursday": 3, "thu": 3, "thurs": 3, "friday": 4, "fri": 4,
                "saturday": 5, "sat": 5, "sunday": 6, "sun": 6, "weekend": 5}
_MONTHS_EN = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_RELATIVE_DAYS = {"今天": 0, "今儿": 0, "今日": 0, "明天": 1, "明儿": 1, "明日": 1, "后天": 2,
                  "大后天": 3, "昨天": -1, "前天": -2, "today": 0, "tonight": 0,
                  "tomorrow": 1, "tmr": 1, "tmrw": 1, "yesterday": -1}
_DATE_RELATIVE = re.compile(r"大后天|今天|今儿|今日|明天|明儿|明日|后天|昨天|前天"
                            r"|\b(?:today|tonight|tomorrow|tmrw|tmr|yesterday)\b")
_DATE_PERIOD = re.compile(r"(下下|下个?|这个?|本|上个?)(周|星期|礼拜|月)(?![一二三四五六日天末])"
                          r"|\b(next|this|coming|last) (week|month)\b")
_HOLIDAYS = {"元旦": (1, 1), "new year's day": (1, 1), "劳动节": (5, 1), "五一": (5, 1),
             "国庆": (10, 1), "国庆节": (10, 1), "national day": (10, 1), "圣诞": (12, 25),
             "圣诞节": (12, 25), "christmas": (12, 25), "儿童节": (6, 1), "六一": (6, 1)}
_DATE_HOLIDAY = re.compile("|".join(sorted(map(re.escape, _HOLIDAYS), key=len, reverse=True)))
_DATE_WEEKDAY_ZH = re.compile(r"(下下|下个?|这个?|本|上个?)?(?:周|星期|礼拜)([一二三四五六日天末])")
_DATE_WEEKDAY_EN = re.compile(
    r"\b(?:(next|this|coming|last)\s)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|weekend|mon|tues|tue|wed|thurs|thu|fri|sat|sun)\b")
_DATE_MD_ZH = re.compile(rf"(?:(\d{{4}})\s?年\s?)?(\d{{1,2}}|{_CN}{{1,3}})\s?月"
                         rf"\s?(\d{{1,2}}|{_CN}{{1,3}})\s?[日号]")
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DATE_MD_EN = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s(\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(\d{1,2})(?:st|nd|rd|th)?\s(?:of\s)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b")

_TIME_ZH = re.compile(
    rf"(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|半夜)?\s?(\d{{1,2}}|[{_CN_SMALL}]{{1,3}})\s?[点點时]"
    rf"(?:\s?(半|一刻|三刻|\d{{1,2}}|[{_CN_SMALL}]{{1,3}})\s?分?)?")
_TIME_CLOCK = re.compile(r"(?<![\d:])([01]?\d|2[0-3])[:：]([0-5]\d)"
                         r"(?:\s?(am|pm|a\.m\.|p\.m\.))?(?![\d:])")
_TIME_EN = re.compile(r"\b(\d{1,2})\s?(am|pm|a\.m\.|p\.m\.|o'clock)(?![a-z])")
_AFTERNOON = ("下午", "傍晚", "晚上", "夜里", "pm", "p.m.")


def _spans_overlap(start: int, end: int, taken: Iterable[tuple[int, int]]) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def _number(text: str) -> str | None:
    value = to_digits(text)
    return value if value is not None and 0 < int(value) < 10000 else None


class _Collector:
    """Gathers non-overlapping entities; earlier, more specific rules win."""

    def __init__(self) -> None:
        self.found: list[Found] = []

    def add(self, entity: str, start: int, end: int, value: str | None, extractor: str) -> bool:
        if value is None or _spans_overlap(start, end, ((f.start, f.end) for f in self.found)):
            return False
        self.found.append(Found(entity, start, end, value, extractor))
        return True

    def has(self, entity: str) -> bool:
        return any(f.entity == entity for f in self.found)

    def end_of(self, *entities: str) -> int | None:
        ends = [f.end for f in self.found if f.entity in entities]
        return max(ends) if ends else None


def _locations(text: str, out: _Collector) -> None:
    name = "LocationExtractor"
    for m in _TRIPLE.finditer(text):
        for group, entity in ((1, "building"), (2, "unit"), (3, "room")):
            out.add(entity, m.start(group), m.end(group), _number(m.group(group)), name)
    for pattern, entity in ((_BUILDING_ZH, "building"), (_BUILDING_EN, "building"),
                            (_UNIT_ZH, "unit")):
        for m in pattern.finditer(text):
            out.add(entity, m.start(), m.end(), _number(next(g for g in m.groups() if g)), name)
    for m in _UNIT_EN.finditer(text):
        # "unit 1202" is a flat in Western usage; "unit 2" is an entrance (单元).
        entity = "room" if len(m.group(1)) >= 3 else "unit"
        out.add(entity, m.start(), m.end(), _number(m.group(1)), name)
    for pattern in (_ROOM_ZH, _ROOM_EN):
        for m in pattern.finditer(text):
            out.add("room", m.start(), m.end(), _number(next(g for g in m.groups() if g)), name)
    if not out.has("room"):
        after = out.end_of("building", "unit")
        if after is not None and (bare := _ROOM_AFTER.match(text, after)):
            out.add("room", bare.start(1), bare.end(), _number(bare.group(1)), name)
    if not out.has("room") and (home := _ROOM_AT_HOME.search(text)):
        out.add("room", home.start(1), home.end(1), _number(home.group(1)), name)
    for spoken in _ROOM_SPOKEN.finditer(text):
        out.add("room", spoken.start(1), spoken.end(1), _number(spoken.group(1)), name)
    if not out.has("building") and not out.has("room"):
        for m in _PAIR.finditer(text):
            if out.add("building", m.start(1), m.end(1), _number(m.group(1)), name):
                out.add("room", m.start(2), m.end(2), _number(m.group(2)), name)


def _identifiers(text: str, out: _Collector) -> None:
    for m in _TICKET.finditer(text):
        value = f"{m.group(1).upper()}-{m.group(2)}-{m.group(3)}"
        out.add("ticket_id", m.start(), m.end(), value, "RegexEntityExtractor")
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        out.add("phone", m.start(), m.end(), digits, "RegexEntityExtractor")


def _small_number(text: str) -> int | None:
    if text in _EN_NUMBERS:
        return _EN_NUMBERS[text]
    return chinese_to_int(text)


def _counts(text: str, out: _Collector) -> None:
    name = "CountExtractor"
    for m in _COUNT_ME.finditer(text):
        out.add("count", m.start(), m.end(), "1", name)
    for m in _COUNT_PAIR.finditer(text):
        word = m.group(1) or m.group(2)
        out.add("count", m.start(), m.end(), str(_PAIR_WORDS[word]), name)
    for pattern in (_COUNT_ZH, _COUNT_EN, _COUNT_ZH_BARE):
        for m in pattern.finditer(text):
            group = next(i for i, g in enumerate(m.groups(), 1) if g)
            n = _small_number(m.group(group))
            if n is not None and 0 < n <= 50:
                start = m.start(group) if pattern is _COUNT_ZH_BARE else m.start()
                out.add("count", start, m.end(), str(n), name)


def party_size(text: str) -> int | None:
    """How many people ``text`` (clean text) says are coming ("是3个人", "3 of us"), if it
    says so once."""
    out = _Collector()
    _counts(text, out)
    sizes = {f.value for f in out.found}
    return int(sizes.pop()) if len(sizes) == 1 else None


#: "make it 3", "改成3个": the party's new size, just after a sign-up.
_RESIZED = re.compile(r"(?:\bmake (?:it|that|us)|\bchange (?:it )?to|\bbump it (?:up )?to|"
                      r"改成|换成|变成|加到|改为|(?:先|就|只)?报(?=\s*\S{1,2}\s*[个位人]))\s*(\d{1,2}|[一二两三四五六七八九十]|one|two|three|four|five|six)(?![\da-z])",
                      re.IGNORECASE)
#: "just me", "就我一个": the resident alone.
_ONLY_ME = re.compile(r"\b(?:just|only) me\b|\bjust myself\b|就我一个|只有我|就我自己|我一个人去|"
                      r"(?:我|俺)自己去|就(?:我|俺)去|(?:俺|我)一个人去",
                      re.IGNORECASE)
#: "再加上我老公和闺女", "add my mum and my sister": more people, one per name.
_ADDED = re.compile(r"(?:再|还要)?(?:加上|带上|再加|还有)(.{1,30})$|"
                    r"(?:能|可以)?带(?:个|上|一个)?(邻居|朋友|孩子|小孩|孙子|孙女|老伴|家人|同事)|"
                    r"\b(?:add|plus|also bring|bringing|can i bring|i'?ll bring|bring along)\b"
                    r"(.{1,60})$", re.IGNORECASE)
_AND = re.compile(r"和|跟|、|,|，|\band\b|&", re.IGNORECASE)
_AND_ALSO = re.compile(rf"还有|以及|{_AND.pattern}", re.IGNORECASE)
#: "me and my son", "我和我老伴": the resident and one more.
_WITH_ONE = re.compile(r"^(?:just |and )?(?:me|i) (?:and|plus|\+) (?:my|a) \w+(?: too)?$|"
                       r"^(?:my|a) \w+ and (?:me|i)$|^我(?:和|跟|带)我?\w{1,3}$",
                       re.IGNORECASE)


#: The resident and a number of others: "with my 4 flatmates", "和3个朋友", "带上两个孩子".
_WITH_SOME = re.compile(
    r"\bwith (?:my |our |the )?(\d{1,2}|two|three|four|five|six) (?!of\b)[a-z]+|"
    r"(?:和|跟|带上?|带着)(?:我的?)?(\d{1,2}|两|三|四|五|六)(?:个|位)", re.IGNORECASE)
#: "俺俩", "我们俩", "the two of us": two.
_THE_TWO_OF_US = re.compile(r"(?:我|俺|咱)(?:们)?俩|\bthe two of us\b|\bboth of us\b",
                            re.IGNORECASE)
#: "帮我和我老伴报名包饺子", "sign up me and my husband": who comes, inside a sign-up.
_WE_SIGN_UP = re.compile(
    r"我(?:和|跟|带着?|还有)((?:我|俺)?[\w、和跟]{1,16}?)(?:一起|俩|两个)?(?:报名|报上|报个名|参加|去|来)|"
    r"\b(?:me|i) (?:and|&|plus) ((?:my|a|our) \w+(?:(?:,| and|,? &) (?:my|a|our) \w+)*)",
    re.IGNORECASE)


def party_in_sign_up(text: str) -> int | None:
    """How many come by a sign-up that names who comes with the resident ("帮我和我老伴报名
    包饺子" 2, "sign up me, my wife and my son" 3); None when it names nobody."""
    found = _WE_SIGN_UP.search(text)
    if found is None:
        some = _WITH_SOME.search(text)  # "with my 4 flatmates", "带上两个孩子"
        if some is not None:
            said = some.group(1) or some.group(2)
            n = int(said) if said.isdigit() else _small_number(said.lower())
            return n + 1 if n is not None and 0 < n < 50 else None
        return 2 if _THE_TWO_OF_US.search(text) else None
    others = found.group(1) or found.group(2) or ""
    return 1 + len([part for part in _AND_ALSO.split(others) if part.strip()])


def party_said(text: str) -> int | None:
    """How many people ``text`` (clean text) says will come, said as a number of people, a
    new size ("make it 3"), or the resident and one more ("me and my son")."""
    size = party_size(text)
    if size is not None:
        return size
    resized = resized_to(text)
    if resized is not None:
        return resized
    if _ONLY_ME.search(text):
        return 1
    return 2 if _WITH_ONE.search(text.strip()) or _THE_TWO_OF_US.search(text) else None


def resized_to(text: str) -> int | None:
    """The size a party is changed to in so many words ("make that 3", "那先报3个")."""
    resized = _RESIZED.search(text)
    if resized is None:
        return None
    said = resized.group(1).lower()
    return int(said) if said.isdigit() else _small_number(said)


def party_added(text: str) -> int | None:
    """How many more people ``text`` (clean text) adds to a party ("再加上我老公老陈和闺女朵朵":
    2), if it adds any."""
    added = _ADDED.search(text.strip())
    if added is None:
        return None
    said = next((group for group in added.groups() if group), "")
    names = [part for part in _AND.split(said) if part.strip()]
    return len(names) or None


def _next_weekday(today: dt.date, weekday: int, modifier: str) -> dt.date:
    this_week = today + dt.timedelta(days=weekday - today.weekday())
    if modifier.startswith(("下下",)):
        return this_week + dt.timedelta(days=14)
    if modifier.startswith(("下", "next")):
        return this_week + dt.timedelta(days=7)
    if modifier.startswith(("上", "last")):
        return this_week - dt.timedelta(days=7)
    if modifier.startswith(("这", "本", "this")):
        return this_week
    return this_week if this_week >= today else this_week + dt.timedelta(days=7)


def _period_start(today: dt.date, modifier: str, period: str) -> str:
    """First day of the week or month a phrase such as 下周 or "this month" names."""
    step = 2 if modifier.startswith("下下") else 1 if modifier.startswith(("下", "next",
                                                                          "coming")) else (
        -1 if modifier.startswith(("上", "last")) else 0)
    if period in ("月", "month"):
        month_index = today.year * 12 + today.month - 1 + step
        return dt.date(month_index // 12, month_index % 12 + 1, 1).isoformat()
    monday = today - dt.timedelta(days=today.weekday())
    return (monday + dt.timedelta(weeks=step)).isoformat()


def _month_day(today: dt.date, month: int, day: int, year: int | None = None) -> str | None:
    try:
        date = dt.date(year or today.year, month, day)
    except ValueError:
        return None
    if year is None and date < today - dt.timedelta(days=60):
        date = date.replace(year=today.year + 1)  # "1月5号" said in December means next January
    return date.isoformat()


def _dates(text: str, out: _Collector, today: dt.date) -> None:
    name = "DateExtractor"
    for m in _DATE_ISO.finditer(text):
        out.add("date", m.start(), m.end(),
                _month_day(today, int(m.group(2)), int(m.group(3)), int(m.group(1))), name)
    for m in _DATE_MD_ZH.finditer(text):
        month, day = chinese_to_int(m.group(2)), chinese_to_int(m.group(3))
        if month and day:
            year = int(m.group(1)) if m.group(1) else None
            out.add("date", m.start(), m.end(), _month_day(today, month, day, year), name)
    for m in _DATE_MD_EN.finditer(text):
        month_name = m.group(1) or m.group(4)
        day = int(m.group(2) or m.group(3))
        out.add("date", m.start(), m.end(), _month_day(today, _MONTHS_EN[month_name], day), name)
    for m in _DATE_RELATIVE.finditer(text):
        days = _RELATIVE_DAYS[m.group(0)]
        out.add("date", m.start(), m.end(), (today + dt.timedelta(days=days)).isoformat(), name)
    for m in _DATE_HOLIDAY.finditer(text):
        out.add("date", m.start(), m.end(), _month_day(today, *_HOLIDAYS[m.group(0)]), name)
    for m in _DATE_PERIOD.finditer(text):
        modifier, period = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.add("date", m.start(), m.end(), _period_start(today, modifier, period), name)
    for m in _DATE_WEEKDAY_ZH.finditer(text):
        date = _next_weekday(today, _WEEKDAYS_ZH[m.group(2)], m.group(1) or "")
        out.add("date", m.start(), m.end(), date.isoformat(), name)
    for m in _DATE_WEEKDAY_EN.finditer(text):
        date = _next_weekday(today, _WEEKDAYS_EN[m.group(2)], m.group(1) or "")
        out.add("date", m.start(), m.end(), date.isoformat(), name)


def days_asked(text: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day the first date in clean ``text`` names, counted from ``today``
    (the community's): "明天" one day, "这周末" / "this weekend" Saturday and Sunday, "下周"
    seven days, "this month" the month; None when it names no date."""
    out = _Collector()
    _dates(text, out, today)
    if not out.found:
        return None
    first = min(out.found, key=lambda f: f.start)
    day = dt.date.fromisoformat(first.value)
    said = text[first.start:first.end]
    if said.endswith(("月", "month")):
        month_index = day.year * 12 + day.month
        return day, dt.date(month_index // 12, month_index % 12 + 1, 1) - dt.timedelta(days=1)
    if said.endswith(("周", "星期", "礼拜", "week")):
        return day, day + dt.timedelta(days=6)
    if said.endswith(("末", "weekend")):
        return day, day + dt.timedelta(days=1)
    return day, day


def _hour_minute(hour: int, minute: int, period: str | None) -> str | None:
    if period in _AFTERNOON and hour < 12:
        hour += 12
    elif period in ("am", "a.m.", "凌晨", "早上", "早晨", "上午") and hour == 12:
        hour = 0
    elif period == "中午" and hour < 6:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


def _times(text: str, out: _Collector) -> None:
    name = "TimeExtractor"
    for m in _TIME_CLOCK.finditer(text):
        out.add("time", m.start(), m.end(),
                _hour_minute(int(m.group(1)), int(m.group(2)), m.group(3)), name)
    for m in _TIME_EN.finditer(text):
        out.add("time", m.start(), m.end(), _hour_minute(int(m.group(1)), 0, m.group(2)), name)
    for m in _TIME_ZH.finditer(text):
        hour = chinese_to_int(m.group(2))
        minute_text = m.group(3)
        minutes = {"半": 30, "一刻": 15, "三刻": 45}
        minute = minutes.get(minute_text or "")
        if minute is None:
            minute = chinese_to_int(minute_text) if minute_text else 0
        bare = not m.group(1) and not minute_text and not m.group(2).isdigit()
        if bare and not text.startswith("钟", m.end()):
            continue  # "远一点", "快一点": "a little", not one o'clock
        if hour is not None and minute is not None:
            out.add("time", m.start(), m.end(), _hour_minute(hour, minute, m.group(1)), name)


# Event names residents make up on the spot are a topic plus a kind of activity: "kids sports
# day", "outdoor film screening", "重阳节茶话会", "垃圾分类志愿者". The kinds are a closed list.
_EVENT_KINDS_EN = (
    r"party|day|night|screening|walk|walkathon|marathon|run|class|classes|workshop|workshops|talk"
    r"|lecture|drill|market|fair|bazaar|tour|trip|outing|match|tournament|contest|competition"
    r"|campaign|show|concert|session|club|corner|clean-?up|planting|clinic|camp|gala"
    r"|lunch|dinner|picnic|potluck|bbq|barbecue|meetup|exchange|training|drive|exhibition"
    r"|performance|course|lessons?|playgroup|quiz|bingo|karaoke|[a-z]+athon")
_EVENT_TOPIC_EN = (r"(?!(?:the|a|an|whole|entire|next|same|other|first|last|this|that|my|our"
                   r"|your|some|any|all|know|when|what|where|which|how|is|if|about)\b)"
                   r"[a-z0-9'-]+")
# "for the tea party", "remove us from the walkathon", "join the kids sports day".
_EVENT_EN = re.compile(
    r"\b(?:for|from|to|join|joining|attend|attending|skip|skipping|off|at|in on|do)\s(?:the\s)?"
    rf"((?:{_EVENT_TOPIC_EN}\s){{1,3}}(?:{_EVENT_KINDS_EN})|[a-z]+athon|potluck|bbq)\b")
_EVENT_MODIFIER_EN = re.compile(
    r"(?:kids'?|children's|family|senior|seniors'?|community|free|outdoor|weekly|monthly|annual"
    r"|summer|winter|spring|autumn|neighbourhood|neighborhood)\s$")
_EVENT_KINDS_ZH = ("茶话会|联欢会|运动会|游园会|座谈会|分享会|交流会|见面会|晚会|敬老宴|活动"
                   "|比赛|大赛|讲座|培训|演练|志愿者|宣传|督导|班|课")
_EVENT_SUFFIX_ZH = re.compile(rf"(?:{_EVENT_KINDS_ZH})")
# Kinds that end a Chinese activity name said in a sentence (亲子烘焙课, 社区合唱比赛, 老年模特队).
_EVENT_NAME_END_ZH = rf"(?:{_EVENT_KINDS_ZH}|赛|队|团|营|展|之夜|派对|登山|徒步|春游)"
# A character of a name: never a person, a verb of joining or a vague word (几次, 什么).
_NAME_CHAR_ZH = r"(?:(?!我|你|的|参加|报名|了|想|要|去|几|次|什么|这|那|些)[\u4e00-\u9fff])"
# What may follow a name: the end of a clause or the resident going on about themselves.
_EVENT_AFTER_ZH = r"(?=$|[^\u4e00-\u9fff]|我|还|算|报名|吧|吗|呢|啊|都|了)"
# "报名周六的亲子烘焙课", "取消我的羽毛球比赛报名", and a name opening the message
# ("春节联欢晚会我们家去五口人", "老年模特队还招人吗").
_EVENT_ZH = re.compile(
    rf"(?:报名|报个名|参加|参与|去听|取消|退出|退掉)了?(?:[\u4e00-\u9fff]{{1,4}}的)?"
    rf"({_NAME_CHAR_ZH}{{1,6}}?{_EVENT_NAME_END_ZH}){_EVENT_AFTER_ZH}"
    rf"|^({_NAME_CHAR_ZH}{{2,8}}?{_EVENT_NAME_END_ZH}){_EVENT_AFTER_ZH}")
_EVENT_SUFFIX_EN = re.compile(rf"\s(?:{_EVENT_KINDS_EN})\b")
_EVENT_TOPIC_ZH = re.compile("(?:垃圾分类|亲子|老年|儿童|青少年|免费|重阳节|中秋|春节|元旦"
                             "|端午|元宵|暑期|寒假|暑假|周末|夏季|冬季|趣味|防诈骗|反诈|消防|健康|义务)$")


def _extend_event(text: str, start: int, end: int) -> tuple[int, int]:
    """A listed event name grown over the topic before it and the kind after it ("重阳节" in
    "重阳节茶话会", "sports day" in "kids sports day")."""
    if (kind := _EVENT_SUFFIX_ZH.match(text, end)) and not text[end - 1:end].isascii():
        end = kind.end()
    elif (kind_en := _EVENT_SUFFIX_EN.match(text, end)) and text[end - 1:end].isascii():
        end = kind_en.end()
    if (topic := _EVENT_TOPIC_ZH.search(text, 0, start)) and not text[start:start + 1].isascii():
        start = topic.start()
    elif (topic_en := _EVENT_MODIFIER_EN.search(text, 0, start)) and text[start].isascii():
        start = topic_en.start()
    return start, end


class LookupExtractor:
    """Finds the longest listed surface forms (lookup tables), mapping them through synonyms.

    Event names are also found where the sentence frames one ("for the X party") and grown to
    the whole name around a listed one; those keep the words as written as their value.
    """

    def __init__(self, tables: Mapping[str, Iterable[str]], synonyms: Mapping[str, str]) -> None:
        self._patterns = [(entity, pattern) for entity, items in tables.items()
                          if (pattern := alternation(items)) is not None]
        self._synonyms = dict(synonyms)

    def extract(self, text: str, out: _Collector) -> None:
        for entity, pattern in self._patterns:
            matches = list(pattern.finditer(text))
            if entity == "event":
                self._framed_events(text, out, [m.span() for m in matches])
            for m in matches:
                start, end = m.span()
                if entity == "event":
                    start, end = _extend_event(text, start, end)
                surface = text[start:end]
                value = self._synonyms.get(surface, surface)
                out.add(entity, start, end, value, "LookupExtractor")

    @staticmethod
    def _framed_events(text: str, out: _Collector, listed: list[tuple[int, int]]) -> None:
        spans = [m.span(1) for m in _EVENT_EN.finditer(text)]
        spans.extend(m.span(1) if m.group(1) else m.span(2) for m in _EVENT_ZH.finditer(text))
        for start, end in spans:
            # A listed name inside wins when the frame adds nothing but a topic word.
            if any(start <= s and e <= end and (s, e) != (start, end) for s, e in listed) or \
                    not any(s < end and start < e for s, e in listed):
                out.add("event", start, end, text[start:end], "LookupExtractor")


class EntityExtractor:
    """All rule-based extractors in priority order."""

    def __init__(self, lookups: LookupExtractor | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self._lookups = lookups
        self._today = today

    def extract(self, text: str) -> list[Found]:
        """Entities in clean (lower-cased, NFKC) text, sorted by position."""
        out = _Collector()
        _identifiers(text, out)
        _dates(text, out, self._today())
        _times(text, out)
        _locations(text, out)
        _counts(text, out)
        if self._lookups is not None:
            self._lookups.extract(text, out)
        return sorted(out.found, key=lambda f: (f.start, f.entity))


def iter_location_values(found: Iterable[Found]) -> Iterator[tuple[str, str]]:
    """(entity, value) pairs of the building/unit/room entities among ``found``."""
    for f in found:
        if f.entity in ("building", "unit", "room"):
            yield f.entity, f.value
