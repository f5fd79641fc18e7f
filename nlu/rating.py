"""A satisfaction rating said in words: "很满意", "5分", "一般吧 3分", "还是没修好", "not fixed",
"4 stars", "👍" → 1–5, or 0 for "not solved".

This is language handling, not a trained intent: the words are few and fixed, and a wrong
score closes or reopens someone's ticket, so each reading says how sure it is (``kind``) and
the caller decides whether the moment calls for a rating (a poll is waiting) at all.

- ``score``: a number said as a score or stars (5分, 五星, 4 stars, 8/10, ⭐⭐⭐). Stands even
  when the message also reads as another request.
- ``unsolved``: "still broken", "没修好" (value 0). Stands like a score: only someone whose
  problem was worked on says it.
- ``verdict``: satisfaction said outright (很满意, 不满意, satisfied, 差评).
- ``tone``: praise or blame that is a rating only as the answer to a poll (还行, 不错, great
  job, terrible, 👍).
- ``request``: wants to give a rating but says no score (我想给维修打个分, rate the repair).

A bare number ("5") is not read: it answers whatever list was shown last. "谢谢", "好的" and
"ok" are not ratings either: a resident says them before they have seen the poll.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from nlu.numerals import chinese_to_int
from nlu.text import alternation, clean

Kind = Literal["score", "unsolved", "verdict", "tone", "request"]
#: What each kind counts for when one message has several: the strongest reading wins.
_PRIORITY: dict[Kind, int] = {"unsolved": 4, "score": 3, "verdict": 2, "tone": 1, "request": 0}
#: Praise or blame words are taken in a short answer only (characters of Chinese, of
#: English); in a long message they are usually about something else ("这个活动不错，我想报名").
TONE_MAX_CHARS = {"zh": 16, "en": 40}


@dataclass(frozen=True, slots=True)
class Rating:
    value: int | None  # 1–5; 0 = not solved; None = wants to rate, gave no score
    kind: Kind

    @property
    def stands_alone(self) -> bool:
        """True if the reading holds even when the message also reads as something else."""
        return self.kind in ("score", "unsolved")


_UNSOLVED_ZH = (
    "没修好", "没有修好", "还没修好", "没修", "没人来修", "没人来", "没有人来", "没解决",
    "没有解决", "还没解决", "未解决", "没弄好", "没有弄好", "还没好", "还是没好", "还是坏",
    "还是不行", "还是不亮", "还是漏", "还在漏", "还是堵", "还是没水", "还是没电", "问题还在",
    "一点没变", "跟没修一样", "白修了")
_UNSOLVED_EN = (
    "not fixed", "isn't fixed", "is not fixed", "wasn't fixed", "was not fixed",
    "never fixed", "not been fixed", "hasn't been fixed", "still not fixed", "not solved",
    "not resolved", "unresolved", "still broken", "still not working", "still doesn't work",
    "still does not work", "still leaking", "still leaks", "still blocked", "still out",
    "still the same", "nobody came", "no one came", "didn't fix", "did not fix",
    "not sorted", "not really fixed", "doesn't work again", "not working still")

# (phrase, value): a negated phrase is listed whole, so that it is found before its positive
# part ("不满意" before "满意", "not bad" before "bad").
_VERDICTS: dict[str, int] = {
    "非常满意": 5, "很满意": 5, "特别满意": 5, "十分满意": 5, "超级满意": 5, "太满意": 5,
    "相当满意": 5, "满分": 5, "五星好评": 5, "好评": 5,
    "满意": 4, "比较满意": 4, "挺满意": 4, "还算满意": 4, "基本满意": 4,
    "不太满意": 2, "不大满意": 2, "不怎么满意": 2, "不是很满意": 2, "不满意": 2, "有点不满意": 2,
    "很不满意": 1, "非常不满意": 1, "特别不满意": 1, "极不满意": 1, "十分不满意": 1,
    "太不满意": 1, "差评": 1,
    "very satisfied": 5, "extremely satisfied": 5, "totally satisfied": 5,
    "fully satisfied": 5, "satisfied": 4, "quite satisfied": 4, "happy with it": 4,
    "not satisfied": 2, "unsatisfied": 2, "dissatisfied": 2, "not happy": 2,
    "not very satisfied": 2, "very dissatisfied": 1, "very unhappy": 1,
    "not satisfied at all": 1, "not happy at all": 1,
}
_TONES: dict[str, int] = {
    "非常好": 5, "特别好": 5, "太好了": 5, "太棒了": 5, "真棒": 5, "很棒": 5, "棒棒": 5,
    "点赞": 5, "给力": 5, "完美": 5,
    "很好": 4, "挺好": 4, "不错": 4, "蛮好": 4, "还不错": 4, "挺不错": 4, "修得好": 4,
    "一般": 3, "还行": 3, "还可以": 3, "凑合": 3, "马马虎虎": 3, "过得去": 3, "一般般": 3,
    "不太好": 2, "不怎么样": 2, "不咋地": 2, "有点差": 2, "太慢": 2,
    "很差": 1, "太差": 1, "非常差": 1, "特别差": 1, "差劲": 1, "垃圾": 1, "太烂": 1, "糟糕": 1,
    "excellent": 5, "great job": 5, "great work": 5, "great service": 5, "perfect": 5,
    "amazing": 5, "fantastic": 5, "outstanding": 5, "brilliant": 5, "superb": 5,
    "awesome": 5, "well done": 5, "great": 5, "love it": 5,
    "good job": 4, "good work": 4, "very good": 4, "pretty good": 4, "nice work": 4, "nice job": 4,
    "not bad": 3, "so-so": 3, "so so": 3, "average": 3, "meh": 3, "okay-ish": 3,
    "not great": 2, "not good": 2, "not very good": 2, "poor": 2, "could be better": 2,
    "disappointed": 2, "disappointing": 2, "slow": 2, "too slow": 2,
    "terrible": 1, "awful": 1, "horrible": 1, "very bad": 1, "useless": 1, "worst": 1,
    "rubbish": 1, "not good at all": 1, "pathetic": 1,
}
_REQUESTS = ("打分", "打个分", "评分", "评个分", "评价", "给个评价", "打星", "rate the", "rate it",
             "rate this", "rate your", "give a rating", "leave a rating", "give feedback",
             "leave feedback", "leave a review", "give a review")
_EMOJI: dict[str, int] = {
    "😀": 5, "😃": 5, "😄": 5, "😁": 5, "😍": 5, "🥰": 5, "👏": 5, "🎉": 5, "💯": 5, "👍": 5,
    "🙂": 4, "😊": 4, "😐": 3, "😑": 3, "🙁": 2, "😕": 2, "☹": 2, "😞": 1, "😠": 1, "😡": 1,
    "👎": 1, "❌": 0,
}
_STARS = "⭐★🌟"

_NUMBER = r"(?<![a-z\d.])(\d{1,3}|[零〇一二两三四五六七八九十]{1,3}|one|two|three|four|five|ten)"
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}
# 5分 (not 5分钟, not the adverb 十分), 五星, 4 stars, 4 points; 8/10, 4 out of 5.
_SCORE = re.compile(rf"{_NUMBER}\s*(?:分(?![钟钱之])|颗星|个星|星|stars?\b|points?\b|pts\b)"
                    rf"|{_NUMBER}\s*(?:/|out of)\s*(5|10)(?!\d)")
# 十分 before a feeling is the adverb "very", not a score of ten.
_ADVERB_TEN = re.compile(r"十分(?=[\u4e00-\u9fff])")
_NEGATION = re.compile(r"(不|没|没有|不是|不算|并不|not|n't|not very|not really)\s*$")

_PHRASES: dict[str, tuple[Kind, int]] = {
    **{p: ("unsolved", 0) for p in (*_UNSOLVED_ZH, *_UNSOLVED_EN)},
            **{p: ("verdict", v) for p, v in _VERDICTS.items()},
            **{p: ("tone", v) for p, v in _TONES.items()},
            **{p: ("request", -1) for p in _REQUESTS}}
_PHRASE_PATTERN = alternation(_PHRASES)


def _number(word: str) -> int | None:
    return _EN_NUMBERS.get(word) if word in _EN_NUMBERS else chinese_to_int(word)


def _on_five(value: int, scale: int) -> int | None:
    """A score on the 5-point scale: 8/10 → 4, 10分 → 5, 100分 → 5; 0分 is the lowest, 1."""
    if value == 100 and scale == 5:
        return 5
    if scale == 10 or value > 5:
        value = math.ceil(value / 2) if value <= 10 else 6
    return max(value, 1) if value <= 5 else None


def _score(text: str) -> int | None:
    for match in _SCORE.finditer(_ADVERB_TEN.sub("很", text)):
        groups = [g for g in match.groups() if g is not None]
        value = _number(groups[0])
        if value is None:
            continue
        score = _on_five(value, int(groups[1]) if len(groups) > 1 else 5)
        if score is not None:
            return score
    stars = sum(text.count(star) for star in _STARS)
    return min(stars, 5) if stars else None


def read_rating(text: str) -> Rating | None:
    """The rating ``text`` gives, if it reads as one (see the module's notes)."""
    said = clean(text, limit=400).text
    if not said or said.startswith("/"):
        return None  # a button payload or a command says what it means itself
    short = len(said) <= TONE_MAX_CHARS["en" if said.isascii() else "zh"]
    found: list[Rating] = []
    score = _score(said)
    if score is not None:
        found.append(Rating(score, "score"))
    assert _PHRASE_PATTERN is not None
    for match in _PHRASE_PATTERN.finditer(said):
        kind, value = _PHRASES[match.group(0)]
        if kind == "tone" and not short:
            continue
        if kind in ("verdict", "tone") and _NEGATION.search(said[:match.start()]):
            value = 2 if value >= 3 else 3  # "不是很好", "not terrible"
        found.append(Rating(None if kind == "request" else value, kind))
    if short:  # an emoji is an answer to the poll, never more
        found += [Rating(value, "tone") for emoji, value in _EMOJI.items() if emoji in said]
    return max(found, key=lambda r: _PRIORITY[r.kind]) if found else None
