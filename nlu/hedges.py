"""Answers that are neither yes nor no ("不确定", "说不好", "idk", "not sure"), and questions
asked back about safety ("要不要关总阀", "is that dangerous?"). The NLU reads "不确定" and "not
sure" as affirm (they are short and answer a question), so a yes/no question must look for
them first: a hedge is never a yes.
"""

from __future__ import annotations

import re

#: Filler a resident may start with ("呃 我也说不好", "um not sure").
_FILLER = (r"(?:(?:呃|嗯|额|啊|哎|唉|那个|这个|其实|我|我也|也|um+|uh+|hmm+|well|honestly|tbh|i|"
           r"i'?m)[\s,，.。…]*)*")
_HEDGE = (r"(?:不|没)(?:太|是很|大|怎么)?(?:确定|清楚|知道|晓得|好说|敢说|敢确定|懂)|"
          r"说不(?:准|好|清)|不好说|搞不(?:清|懂)|拿不准|看不出|分不清|也许|可能吧|大概吧|难说|"
          r"\b(?:not (?:sure|certain)|unsure|idk|dunno|no idea|no clue|hard to say|"
          r"can'?t (?:tell|say)|(?:do|does)n'?t know|maybe|perhaps|not really sure)\b")
#: "不知道谁家的狗…", "don't know who…": a report that starts so, not an answer.
_WHO_OR_WHAT = r"(?!\s*(?:谁|哪|什么|为什么|怎么|咋|who\b|what\b|where\b|why\b|how\b|which\b))"
_HEDGE_FIRST = re.compile(rf"^\W*{_FILLER}(?:{_HEDGE}){_WHO_OR_WHAT}", re.IGNORECASE)
_HEDGE_ANYWHERE = re.compile(_HEDGE, re.IGNORECASE)
#: A message this short (characters) is all answer, wherever its hedge stands ("在哪我不清楚").
_SHORT = 8

#: What to do, or whether it is dangerous: a question about safety, asked back.
_SAFETY_QUESTION = re.compile(
    r"怎么办|咋办|咋整|怎么弄|怎么处理|该怎么|怎么做|要不要|需不需要|用不用|能不能|可不可以|"
    r"会不会|危险吗|危不危险|有危险|要紧吗|要不要紧|严重吗|安全吗|有事吗|没事吧|该不该|"
    r"(?:总阀|阀门|水阀|气阀|电闸|总闸|开关|灭火器|消防栓).{0,4}(?:在哪|怎么)|"
    r"要不要(?:叫|喊|撤|跑|走|下楼|出去)|能不能回去|"
    r"\bwhat (?:should|do|can) (?:i|we)\b|\bshould (?:i|we|the|my|everyone|people|they)\b|"
    r"\bdo (?:i|we) need\b|\bis it safe\b|\bcan (?:i|we) go back\b|"
    r"\b(?:is|isn'?t) (?:it|that|this) (?:dangerous|safe|serious|bad|ok)\b|\bdangerous\?|"
    r"\bhow do (?:i|we)\b|\bwhere(?:'s| is) the\b|\bis it (?:ok|safe) to\b|\bam i safe\b",
    re.IGNORECASE)


def unsure(text: str) -> bool:
    """Whether ``text`` answers a question with "I don't know": it starts with a hedge ("不知道
    一直滴滴响", "idk, no smoke i think"), or is short and has one ("在哪我不清楚")."""
    text = text.strip()
    return bool(_HEDGE_FIRST.search(text)) or (
        len(text) <= _SHORT and bool(_HEDGE_ANYWHERE.search(text)))


def asks_what_to_do(text: str) -> bool:
    """Whether ``text`` asks what to do or whether it is dangerous ("会不会有危险啊", "总阀在哪",
    "should I turn off the main valve?")."""
    return bool(_SAFETY_QUESTION.search(text))


def after_hedge(text: str) -> str:
    """What ``text`` says after its opening hedge: "不知道 一直滴滴响" → "一直滴滴响"."""
    found = _HEDGE_FIRST.search(text)
    rest = text[found.end():] if found else text
    return rest.strip(" \t,，.。!！?？…~、")
