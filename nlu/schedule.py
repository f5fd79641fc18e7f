"""When staff want a community notice sent (now, once, or recurring), read from Chinese, English
or mixed wording, and described back in words for the confirmation."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger

from nlu.numerals import CHINESE_NUMERAL_CHARS, chinese_to_int
from nlu.text import clean


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a notice goes out: now, once at a moment, or recurring by a crontab expression."""

    at: dt.datetime | None = None  # one-off moment, timezone-aware, in the tz of `now`
    cron: str | None = None  # "minute hour day month day_of_week", day_of_week as mon,tue,...

    def __post_init__(self) -> None:
        if self.at is not None and self.cron is not None:
            raise ValueError("a schedule is one-off (at) or recurring (cron), not both")

    @property
    def immediate(self) -> bool:
        return self.at is None and self.cron is None


_MAX_CHARS = 200  # a when-phrase is short; anything longer is a message, not a schedule
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
_EN_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ZH_DAY_CHARS = "一二三四五六日天"  # 天 and 日 are both Sunday

_NUM = rf"(?:\d{{1,2}}|[{CHINESE_NUMERAL_CHARS}]{{1,3}})"
_EN = r"(?<![a-z])(?:{})(?![a-z])"  # English words must not be pieces of longer words
_ORD = r"(?:st|nd|rd|th)?"
_EN_DAY = r"(?<![a-z])(?:mon|tue|wed|thu|fri|sat|sun)(?:[a-z]{0,6}days?|rs?|s)?(?![a-z])"
_ZH_WEEK = "(?:周|星期|礼拜)"
_ZH_DAY = f"[{_ZH_DAY_CHARS}]"
_SEP = r"\s*(?:,\s*and|,|、|and|&|/|-|~|to|through|thru|到|至|和|及)?\s*"
_MONTH = r"(?<![a-z])(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_FOLLOWED_BY_CLOCK = r"(?!\s*[点點时時:])"  # so 周三三点 is Wednesday 3:00, not Wed + Wed

_CRONTAB = re.compile(r"(?:cron\s*:?\s*)?([\d*,/-]+) ([\d*,/-]+) ([\d*,/-]+) ([\w*,/-]+) "
                      r"([\w*,-]+)")
_NOW = re.compile(_EN.format(r"right\s+now|now|immediately|asap")
                  + "|立即|立刻|马上|现在|即刻|立马")
_IN = re.compile(_EN.format(r"in\s+(?P<n>\d{1,4}|an?|one|half\s+an?)\s*(?P<unit>h(?:ou)?rs?|h|"
                            r"min(?:ute)?s?|m)"))
_AFTER = re.compile(rf"(?P<n>\d{{1,4}}|[{CHINESE_NUMERAL_CHARS}]{{1,3}}|半)\s*个?\s*"
                    r"(?P<unit>小时|钟头|分钟|分)\s*(?:以后|之后|后)")
_PERIOD = re.compile("凌晨|清晨|早上|早晨|上午|中午|午后|下午|傍晚|晚上|晚间|夜里|夜间|早|晚|"
                     + _EN.format("morning|noon|afternoon|evening|night"))
_TIME = re.compile(rf"""
    (?<![\d:./-])
    (?: (?P<h>\d{{1,2}}):(?P<m>\d{{2}})                                     # 8:30, 20:00
      | (?P<zh_h>{_NUM})\s*[点點时時](?:\s*(?P<half>半)|\s*(?P<zh_m>{_NUM})\s*分?)?  # 十点半
      | (?P<en_h>\d{{1,2}})(?=\s*(?:[ap]\.?m(?![a-z])|o'?clock))              # 8am
    )
    (?:\s*(?P<suffix>[ap])\.?m(?![a-z])\.?|\s*o'?clock)?
""", re.VERBOSE)
_LONE_HOUR = re.compile(r"(?<![\w:./-])\d{1,2}(?![\w:./])")  # "tmrw 8", "on the 1st at 9"
_FILLER = re.compile(_EN.format("at|on|the|of|in|by|send|sent|post|it|this|please|pls|and|to|be")
                     + r"|请|在|于|的|吧|就|发布|发出去?|发送?|推送|通知|准时|定时|[\s,.!?;:、。~]")

_RECURRENCES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), kind) for p, kind in (
    (r"每?个?工作日|" + _EN.format(r"(?:every\s+|on\s+)?week\s?days?"), "weekdays"),
    (r"每个?周末|" + _EN.format(r"every\s+weekend|weekends"), "weekend"),
    (r"每天|每日|天天|每一天|" + _EN.format(r"ev(?:e)?ry\s*day|each\s+day|daily"), "daily"),
    (rf"每个?月的?\s*(?P<dom>{_NUM})\s*[号號日]", "monthly"),
    (_EN.format(rf"(?:every|each)\s+month\s+(?:on\s+)?(?:the\s+)?(?P<dom>\d{{1,2}}){_ORD}"),
     "monthly"),
    (_EN.format(rf"(?:on\s+)?(?:the\s+)?(?P<dom>\d{{1,2}}){_ORD}\s+(?:day\s+)?of\s+"
                r"(?:every|each)\s+month|monthly\s+on\s+(?:the\s+)?(?P<dom2>\d{1,2})" + _ORD),
     "monthly"),
    (rf"每个?{_ZH_WEEK}(?P<days>{_ZH_DAY}(?:{_SEP}{_ZH_WEEK}?{_ZH_DAY})*){_FOLLOWED_BY_CLOCK}",
     "weekly"),
    (_EN.format(r"ev(?:e)?ry|each|weekly(?:\s+on)?")
     + rf"\s+(?P<days>{_EN_DAY}(?:{_SEP}{_EN_DAY})*)",
     "weekly"),
))
_RELATIVE_DAYS = {"大后天": 3, "后天": 2, "day after tomorrow": 2, "明天": 1, "明日": 1,
                  "tomorrow": 1, "tommorow": 1, "tomorow": 1, "tommorrow": 1, "tmrw": 1,
                  "tmr": 1, "今天": 0, "今日": 0, "today": 0}
_DATES = tuple(re.compile(p) for p in (
    r"(?<!\d)(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号號]?",
    rf"(?<!\d)(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH}(?:\s*,?\s*(?P<y>\d{{4}}))?",
    rf"{_MONTH}\s*(?P<d>\d{{1,2}}){_ORD}(?![\d:])(?:\s*,?\s*(?P<y>\d{{4}}))?",
    rf"(?<![\d.])(?P<m>{_NUM})\s*(?:[-/]|月)\s*(?P<d>{_NUM})\s*[日号號]?(?![\d:])",
    _EN.format("|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True))),
    rf"(?P<zh_rel>下下?|这|本)?个?{_ZH_WEEK}(?P<zh_day>{_ZH_DAY}){_FOLLOWED_BY_CLOCK}",
    rf"(?:(?P<en_rel>this|next|coming)\s+)?(?P<en_day>{_EN_DAY})",
))
_AM = {"凌晨", "清晨", "早上", "早晨", "上午", "早", "morning", "a"}
_PM = {"午后", "下午", "傍晚", "晚上", "晚间", "夜里", "夜间", "晚",
       "afternoon", "evening", "night", "p"}
_NIGHT = {"晚上", "晚间", "夜里", "夜间", "晚", "night"}  # 晚上12点 is midnight, not noon


def parse_schedule(text: str, now: dt.datetime) -> Schedule | None:
    """Read when a notice should go out from staff wording such as 明天8点, every Monday 8am.

    `now` is timezone-aware local time of the community; one-off moments come back in its
    timezone. None if not understood, and also when the moment is already past (the caller
    says so to the user), when a recurrence has no time of day (every monday: at what time?),
    and for crontab lines that restrict both day of month and day of week (APScheduler would
    AND them where cron ORs them). Month-day dates without a year take the nearest such date.
    A naive `now` is a programming error and raises ValueError.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if len(text) > _MAX_CHARS:
        return None
    text = clean(text).text
    for short, long in (("今晚", "今天晚上"), ("明早", "明天早上"), ("明晚", "明天晚上"),
                        ("今早", "今天早上"), ("tonight", "today night")):
        text = text.replace(short, long)
    try:
        return _parse(text, now)
    except ValueError:  # an impossible date or hour, or two readings that contradict
        return None


def describe(schedule: Schedule, language: str) -> str:
    """A short human description for confirmations, zh or en: '现在' / 'now', '12月7日 08:00' /
    '7 Dec 08:00', '每周一 08:00' / 'every Monday 08:00', '每天 07:30' / 'every day 07:30',
    '每月1日 09:00' / 'on day 1 of every month 09:00', '工作日 08:00' / 'weekdays 08:00'."""
    zh = language.lower().startswith("zh")
    if schedule.at is not None:
        at = schedule.at
        if zh:
            return f"{at.month}月{at.day}日 {at:%H:%M}"
        return f"{at.day} {_EN_MONTHS[at.month - 1].title()} {at:%H:%M}"
    if schedule.cron is None:
        return "现在" if zh else "now"
    words = _recurrence_words(schedule.cron, zh)
    if words is None:  # a hand-written crontab we have no words for
        return f"定时 {schedule.cron}" if zh else f"cron {schedule.cron}"
    return words


def _recurrence_words(cron: str, zh: bool) -> str | None:
    fields = cron.split()
    if len(fields) != 5 or not (fields[0].isdigit() and fields[1].isdigit()) or fields[3] != "*":
        return None
    minute, hour, dom, _, dow = fields
    clock = f"{int(hour):02d}:{int(minute):02d}"
    if dom != "*":
        if not dom.isdigit() or dow != "*":
            return None
        return f"每月{dom}日 {clock}" if zh else f"on day {dom} of every month {clock}"
    named = {"*": ("每天", "every day"), "mon-fri": ("工作日", "weekdays"),
             "sat,sun": ("每周末", "every weekend")}
    if dow in named:
        return f"{named[dow][0 if zh else 1]} {clock}"
    try:
        days = sorted(_cron_days(dow))
    except ValueError:
        return None
    if zh:
        return f"每周{'、'.join(_ZH_DAY_CHARS[day] for day in days)} {clock}"
    names = [_EN_DAY_NAMES[day] for day in days]
    listed = f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]
    return f"every {listed} {clock}"


def _parse(text: str, now: dt.datetime) -> Schedule | None:
    if crontab := _CRONTAB.fullmatch(text):
        minute, hour, dom, month, dow = crontab.groups()
        cron = _cron(minute, hour, dom, month, dow, now)
        return Schedule(cron=cron) if cron else None
    now_word, text = _take(_NOW, text)
    relative, text = _relative(text)
    recurrence, text = _recurrence(text)
    day, text = _date(text, now.date())
    period, text = _take(_PERIOD, text)
    clock, text = _clock(text, period[0] if period else None, bool(recurrence or day or period))
    if _FILLER.sub("", text):
        return None  # words we do not understand may change the meaning: better to ask
    if now_word or relative:
        if recurrence or day or clock or (now_word and relative):
            return None
        return Schedule(at=now + relative) if relative else Schedule()
    if clock is None or (recurrence and day):
        return None
    hour, minute = clock
    if recurrence:
        dom, dow = recurrence
        cron = _cron(str(minute), str(hour), dom, "*", dow, now) if hour < 24 else None
        return Schedule(cron=cron) if cron else None
    date, roll = day or (now.date(), 1)  # a time alone is the next such moment
    at = dt.datetime.combine(date, dt.time(), now.tzinfo) + dt.timedelta(hours=hour, minutes=minute)
    if at <= now:
        at += dt.timedelta(days=roll)
    return Schedule(at=at) if at > now else None


def _take(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    match = pattern.search(text)
    if match is None:
        return None, text
    return match, f"{text[:match.start()]} {text[match.end():]}"


def _number(text: str) -> int:
    value = chinese_to_int(text)
    if value is None:
        raise ValueError(text)
    return value


def _relative(text: str) -> tuple[dt.timedelta | None, str]:
    for pattern in (_IN, _AFTER):
        match, text = _take(pattern, text)
        if match:
            n, unit = match["n"], match["unit"]
            in_hours = unit[0] == "h" or unit in ("小时", "钟头")
            if n == "半" or n.startswith("half"):
                minutes = 30 if in_hours else 0
            else:
                minutes = (1 if n[0] in "ao" else _number(n)) * (60 if in_hours else 1)
            if minutes == 0:
                raise ValueError(n)
            return dt.timedelta(minutes=minutes), text
    return None, text


def _recurrence(text: str) -> tuple[tuple[str, str] | None, str]:
    """Crontab (day of month, day of week) of an every-… phrase."""
    found: tuple[str, str] | None = None
    for pattern, kind in _RECURRENCES:
        match, text = _take(pattern, text)
        if match is None:
            continue
        if found:
            raise ValueError("two recurrences")
        if kind == "monthly":
            dom = _number(match.groupdict().get("dom2") or match["dom"])
            if not 1 <= dom <= 31:
                raise ValueError(dom)
            found = str(dom), "*"
        else:
            days = {"weekdays": "mon-fri", "weekend": "sat,sun", "daily": "*"}.get(kind)
            found = "*", days or _dow_field(_day_list(match["days"]))
    return found, text


def _day_list(text: str) -> set[int]:
    """Weekdays (Monday 0) of a list such as 一三五, 一到五, mon, wed and fri, mon-fri."""
    days: set[int] = set()
    previous, in_range = None, False
    for token in re.findall(rf"(?<![a-z])(?:{'|'.join(_DAYS)})|{_ZH_DAY}|到|至|-|~|to|thr", text):
        if token not in _DAYS and token[0] in "到至-~t":
            in_range = previous is not None
            continue
        day = _DAYS.index(token) if token in _DAYS else min(_ZH_DAY_CHARS.index(token), 6)
        if in_range and previous is not None:  # 周五到周一 wraps over the weekend
            days.update((previous + i) % 7 for i in range((day - previous) % 7 + 1))
        days.add(day)
        previous, in_range = day, False
    return days


def _dow_field(days: set[int]) -> str:
    """Crontab day_of_week by name, Monday first: {0,1,2,3,4} → mon-fri, {5,6} → sat,sun."""
    if len(days) == 7:
        return "*"
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(f"{_DAYS[r[0]]}-{_DAYS[r[-1]]}" if len(r) > 2 else ",".join(_DAYS[d] for d in r)
                    for r in runs)


def _date(text: str, today: dt.date) -> tuple[tuple[dt.date, int] | None, str]:
    """The day meant, and by how many days to move on if the moment is past that day (0: don't)."""
    found: tuple[dt.date, int] | None = None
    for pattern in _DATES:
        match, text = _take(pattern, text)
        if match is None:
            continue
        if found:
            raise ValueError("two dates")
        fields = match.groupdict()
        if fields.get("d"):
            mon = fields.get("mon")
            month = _EN_MONTHS.index(mon) + 1 if mon else _number(fields["m"])
            day = _number(fields["d"])
            found = (dt.date(int(fields["y"]), month, day) if fields.get("y")
                     else _nearest(month, day, today)), 0
        elif fields.get("zh_day") or fields.get("en_day"):
            weekday = _day_list(fields.get("zh_day") or fields["en_day"]).pop()
            rel = fields.get("zh_rel") or fields.get("en_rel") or ""
            if rel in ("", "this", "coming"):  # the coming one, a week on if the time has passed
                found = today + dt.timedelta(days=(weekday - today.weekday()) % 7), 7
            else:  # a given week: 这/本 this one, 下/next the next, 下下 the one after
                weeks = rel.count("下") + (rel == "next")
                found = today + dt.timedelta(days=weekday - today.weekday() + 7 * weeks), 0
        else:
            found = today + dt.timedelta(days=_RELATIVE_DAYS[match[0]]), 0
    return found, text


def _nearest(month: int, day: int, today: dt.date) -> dt.date:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:  # 2月29日 exists only in some years
            continue
    return min(candidates, key=lambda date: abs((date - today).days))


def _clock(text: str, period: str | None, lone_hour_ok: bool) -> tuple[tuple[int, int] | None, str]:
    """(hour, minute) said in ``text``; hour 24 is the midnight that ends the day (今晚12点)."""
    match, text = _take(_TIME, text)
    if match:
        hour = _number(match["h"] or match["zh_h"] or match["en_h"])
        minute = 30 if match["half"] else _number(match["m"] or match["zh_m"] or "0")
        period = match["suffix"] or period
    elif lone_hour_ok and len(lone := _LONE_HOUR.findall(text)) == 1:
        hour, minute = int(lone[0]), 0
        text = _LONE_HOUR.sub(" ", text)
    elif period in ("中午", "noon"):
        hour, minute = 12, 0
    else:
        return None, text
    if (period in _PM and 1 <= hour <= 11) or (period in ("中午", "noon") and hour < 6):
        hour += 12
    elif period in _NIGHT and hour == 12:
        hour = 24
    elif period in ("a", "凌晨") and hour == 12:
        hour = 0
    elif period in _AM and hour > 12:
        raise ValueError("morning and afternoon at once")
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise ValueError(f"{hour}:{minute}")
    return (hour, minute), text


def _cron(minute: str, hour: str, dom: str, month: str, dow: str, now: dt.datetime) -> str | None:
    """Validated crontab with day_of_week by name, or None.

    Names, because APScheduler's from_crontab counts weekdays from Monday = 0 where crontab has
    Sunday = 0: "0 8 * * 1" would otherwise fire on Tuesdays.
    """
    try:
        dow = "*" if dow == "*" else _dow_field(_cron_days(dow))
        expression = f"{minute} {hour} {dom} {month} {dow}"
        if dom != "*" and dow != "*":
            return None
        CronTrigger.from_crontab(expression, timezone=now.tzinfo)
    except ValueError:
        return None
    return expression


def _cron_days(field: str) -> set[int]:
    """Weekdays (Monday 0) of a crontab day_of_week field: 1-5, 0,6, mon-fri, fri-sun."""
    days: set[int] = set()
    for item in field.split(","):
        first, _, last = item.partition("-")
        start, end = _cron_day(first), _cron_day(last or first)
        if end == 0 < start:  # 5-0, fri-sun: Sunday closes the week
            end = 7
        if end < start:
            raise ValueError(item)
        days.update((number + 6) % 7 for number in range(start, end + 1))
    return days


def _cron_day(text: str) -> int:
    """Crontab weekday number, Sunday 0 (or 7)."""
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text in _DAYS:
        return (_DAYS.index(text) + 1) % 7
    raise ValueError(text)
