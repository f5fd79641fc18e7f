"""Whether a report says what is wrong, or only what it is for ("我要报修", "I have a
complaint"): residents, older ones above all, often open that way and say the rest next."""

from __future__ import annotations

import re

from nlu.text import clean

# Words that announce a report, ask politely or point vaguely ("东西坏了", "something's
# broken"), and nothing else: what is left once they are gone says what is wrong, if anything.
_ANNOUNCING = re.compile(
    r"报一?个?修|投诉|反映|问题|情况|事儿?|东西|坏了|出毛病|需要|帮我|帮忙|麻烦|你好|您好|喂|请问?|唔该|劳驾|"
    r"\d+|号楼|单元|[号栋幢室楼层]|"
    r"一下|这里|这儿|能不能|可以|是不是|师傅|上门|找人|修|有个|我要|我想|想要|谢谢|什么时候|啥时候|"
    r"[我要想有个的了吗啊呀吧呢嘛给点一在是家里哪啥能来下]|"
    r"\b(?:i|i'd|i'm|want|wanna|would|like|to|report|a|an|the|repair|request|need|needs|have|"
    r"has|got|maintenance|issue|problem|complaint|complain|make|file|log|raise|fault|something|"
    r"thing|broken|in|my|our|flat|home|please|pls|plz|can|could|here|done|about|it|there|is|"
    r"hi|hello|hey|someone|somebody|fix|come|out|for|do|how|where|with|at|of|me|block|blk|"
    r"building|bldg|unit|floor|room)\b",
    re.IGNORECASE)
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W\d_]{3,}")


def says_what_is_wrong(text: str) -> bool:
    """False for a report that only announces itself ("报修", "我想投诉一下", "report a
    repair"); True once anything is said about the problem ("暖气不热 报修", "电梯坏了")."""
    if text.lstrip().startswith("/"):  # a button ("报修"): it names the report, no more
        return False
    rest = _ANNOUNCING.sub(" ", clean(text).text)
    return len(_HAN.findall(rest)) >= 2 or bool(_WORD.search(_HAN.sub(" ", rest)))
