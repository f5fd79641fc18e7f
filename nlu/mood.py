"""How a resident feels about the matter they bring: fed up with waiting or with being passed
around ("电梯坏了三天了 到底管不管", "third time I'm reporting this!!"). A report, a word for its
handler or a status question said that way is met with an apology before the answer; it does
not change what is done (the deadline rules decide how fast)."""

from __future__ import annotations

import re

_EXASPERATED = re.compile(
    r"气死|火大|受不了|太过分|过分了|到底(?:管不管|修不修|有没有人|还要多久|什么时候)|有没有人管|没人管|"
    r"[好几两三四五六七八九十]+天了?(?:都|也|还)?没(?:人|修|来|处理|管|动静)|说了(?:好几|多少|几|N)[遍次]|"
    r"烦死|急死|什么效率|怎么还没|还没(?:修好|人来|处理|来人)|拖了|一拖再拖|[!！]{3,}|"
    r"\b(?:ridiculous|unacceptable|fed up|sick (?:and tired )?of|fuming|furious|"
    r"still (?:not|no|hasn'?t|isn'?t|broken)|for (?:days|weeks|ages)|nobody (?:cares|came|comes)|"
    r"how many times|(?:third|fourth|fifth|\d+(?:rd|th)) time|what is taking so long|"
    r"no one (?:came|comes|cares))\b",
    re.IGNORECASE)


def exasperated(text: str) -> bool:
    """Whether ``text`` (clean text) says the resident is fed up with how their matter goes."""
    return bool(_EXASPERATED.search(text))
