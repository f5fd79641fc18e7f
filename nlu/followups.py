"""Questions that lean on the one just answered ("那去哪儿办", "那电池呢", "are they open on
sundays"): asked together with it, they find the answer it alone would miss."""

from __future__ import annotations

import re

#: Words that point back at what was asked before ("那…呢", "they", "what about").
_POINTING_BACK = re.compile(r"^(?:那|那么|这个|这|还要|还得|还需要)|呢[?？]?$|"
                            r"\b(?:it|that|this|then|there|they|them|their)\b|"
                            r"^(?:and|so|what about|how about)\b", re.IGNORECASE)
#: A question that names no topic of its own ("要带什么材料", "how long").
_BARE_QUESTION = re.compile(r"要带|带什么|什么材料|多久|多长时间|多少钱|收费吗|"
                            r"去哪|在哪|哪里办|哪儿办|几点|\bhow (?:long|much|soon)\b|"
                            r"\bwhat do i (?:need|bring)\b",
                            re.IGNORECASE)
#: How long a follow-up is at most (characters): a longer question says what it is about.
AT_MOST = 30


def follows_up(text: str) -> bool:
    """Whether ``text`` may be a follow-up to the question before it."""
    return len(text) <= AT_MOST and bool(_POINTING_BACK.search(text)
                                         or _BARE_QUESTION.search(text))


def points_back(text: str) -> bool:
    """Whether ``text`` says in so many words that it is about what came before."""
    return bool(_POINTING_BACK.search(text))
