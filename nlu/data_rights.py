"""A resident asking for their own data or its erasure (PIPL): "导出我的数据", "你们存了我哪些
信息", "把我的信息都删了", "export my data", "what data do you have on me", "forget me".

This is language handling, not a trained intent: DESIGN.md's intent list is a contract, the
phrasings are few and fixed, and a wrong reading either erases someone's data (asked to confirm
first) or misses a legal request. So a request is recognised only when a verb of exporting or
erasing governs the resident's *own* data ("我的信息", "my data"), never another thing that
happens to hold information: "删除我的报名", "删了这个工单", "cancel my ticket", "my data
plan", "forget it" are not requests. A negated verb ("不要删除我的信息") is not one either.
Common typos ("delet my data", "删出我的信息") are read as meant.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from nlu.text import clean

Request = Literal["export", "erase"]

# -- Chinese ------------------------------------------------------------------------------------

#: Homophone and slip typos of the words below, read as meant.
_ZH_TYPOS = {"删出": "删除", "删处": "删除", "山除": "删除", "导处": "导出", "倒出": "导出",
             "信心": "信息", "个仁": "个人", "资科": "资料", "数句": "数据"}
# The resident's own data: 我(的) + only words that keep it theirs (所有, 个人, 聊天) + a data
# noun. "我的报名信息", "我的工单记录" put another noun in between and are not it.
_ZH_MINE = (r"(?:我|本人)(?:的|们的)?(?:所有|全部|一切|这些|全部的|所有的|个人|隐私|聊天|对话|"
            r"注册|登记|身份|联系)*(?:的)?")
_ZH_NOUN = r"(?:个人)?(?:信息|数据|资料|隐私|记录|账号|账户|帐号|帐户|档案|聊天记录)"
_ZH_OWN = rf"(?:{_ZH_MINE}{_ZH_NOUN}|个人(?:信息|数据|资料|隐私))"
#: Erasing may name the number itself ("删除我的手机号"); asking for it back never does.
_ZH_OWN_OR_NUMBER = rf"(?:{_ZH_OWN}|{_ZH_MINE}(?:电话号码|电话|手机号码|手机号))"
# Only small words may stand between a verb and its object ("删除一下我的信息"), so that
# "我要登记我的信息" or "我的信息有误，删了这个工单" are not read as requests.
_ZH_GAP = r"(?:一下|下|掉|了|光|干净|全部|所有|一切|掉所有|一下所有)?"
_ZH_LEAD = r"(?:都|全|全部|统统|通通|一起|请|麻烦|帮我|给我|你们|你|就|可以|能|能不能|可不可以)*"
_ZH_ERASE_VERB = (r"(?:删除|删掉|删了|删去|删光|删干净|删|清除|清空|清掉|抹掉|抹去|注销|销毁|"
                  r"去掉|移除|消除|擦除)")
_ZH_STOP_KEEPING = r"(?:不要|别|不许|不准|停止)再?(?:保存|存|保留|留着|记录|收集)"
_ZH_EXPORT_VERB = (r"(?:导出|下载|拷贝|复制|打包|调取|索取|查阅|查看|看看|看一下|要一份|"
                   r"给我一份|发我一份|发给我|发我)")
#: ... or whoever else may look ("谁能查看我的信息" asks about privacy, not for a copy).
_ZH_NEGATION = re.compile(r"(?:不要|别|不用|不想|不必|没有?|不是要?|并不)$|"
                          r"谁(?:都)?(?:能|可以|会|有权|能够)$")
_ZH_ERASE = [
    re.compile(rf"(?P<verb>{_ZH_ERASE_VERB}){_ZH_GAP}{_ZH_OWN_OR_NUMBER}"),
    re.compile(rf"{_ZH_OWN_OR_NUMBER}{_ZH_LEAD}(?P<verb>{_ZH_ERASE_VERB})"),
    re.compile(rf"(?P<verb>{_ZH_STOP_KEEPING}){_ZH_GAP}{_ZH_OWN_OR_NUMBER}"),
    re.compile(r"(?P<verb>忘(?:记|掉)|忘了)我(?:吧|$|[，。！!,.])"),
    re.compile(r"(?P<verb>注销)(?:我的)?(?:账号|账户|帐号|帐户)"),
    re.compile(r"(?P<verb>被遗忘权)"),
]
_ZH_EXPORT = [
    re.compile(rf"(?P<verb>{_ZH_EXPORT_VERB}){_ZH_GAP}{_ZH_OWN}"),
    re.compile(rf"{_ZH_OWN}{_ZH_LEAD}(?P<verb>导出|下载|发给我|发我|给我一份|发一份给我)"),
    # "你们存了我哪些信息", "你们有我什么数据", "你们收集了我多少资料"
    re.compile(r"(?P<verb>存|保存|储存|存储|有|掌握|收集|记录|留)了?(?:关于)?我(?:的)?"
               r"(?:哪些|什么|多少|啥|那些)(?:个人)?(?:信息|数据|资料|隐私)"),
    re.compile(rf"(?P<verb>要|想要|申请)(?:一份)?(?:你们)?(?:存|保存)的{_ZH_OWN}"),
]

# -- English ------------------------------------------------------------------------------------

_EN_VOCABULARY = ("delete", "erase", "remove", "wipe", "purge", "destroy", "forget",
                  "export", "download", "personal", "information", "details", "records",
                  "account", "history", "messages", "storing", "keeping")
_EN_ERASE_VERB = r"(?:delete|erase|remove|wipe|purge|clear|destroy|scrub)"
_EN_DATA = (r"(?:personal\s+)?(?:data|info|information|details|records|account|messages|"
            r"chat\s+history|history|conversations?|profile|phone\s+number|number)"
            r"(?!\s+(?:plan|cable|usage|roaming|package|bundle|card))")
_EN_OWN = rf"(?:my|all\s+my|all\s+of\s+my|our)\s+(?:(?:own|stored|saved|private)\s+)?{_EN_DATA}"
_EN_NEGATION = re.compile(r"(?:don'?t|do not|never|not|no need to|won'?t)\s+(?:\w+\s+)?$|"
                          r"\bwho\s+(?:else\s+)?(?:can|could|will|would|gets?\s+to|is\s+able\s+to)"
                          r"\s+$")
_EN_ERASE = [
    re.compile(rf"\b(?P<verb>{_EN_ERASE_VERB})\s+(?:(?:all|everything)\s+(?:of\s+)?)?{_EN_OWN}\b"),
    re.compile(rf"\b(?P<verb>{_EN_ERASE_VERB}|forget)\s+(?:everything|all)\s+(?:you\s+"
               rf"(?:have|hold|keep|store|know)\s+)?(?:on|about)\s+me\b"),
    re.compile(rf"\b(?P<verb>want|like|need)\s+{_EN_OWN}\s+(?:deleted?|erased?|removed?|wiped?)\b"),
    re.compile(r"\b(?P<verb>forget)\s+(?:about\s+)?me\b(?!\s+not)"),
    re.compile(r"\b(?P<verb>stop)\s+(?:storing|keeping|saving|holding|collecting)\s+"
               rf"{_EN_OWN}\b"),
    re.compile(r"\b(?P<verb>right)\s+to\s+(?:be\s+forgotten|erasure)\b"),
    re.compile(r"\b(?P<verb>want|like|wish)\s+to\s+be\s+forgotten\b"),
    re.compile(rf"\b(?P<verb>{_EN_ERASE_VERB})\s+me\s+from\s+(?:linli\b|(?:your|the)\s+"
               r"(?:system|records?|database|data|files?)\b)"),
    re.compile(r"\b(?P<verb>close|delete)\s+my\s+account\b"),
]
_EN_EXPORT = [
    re.compile(rf"\b(?P<verb>export|download|copy\s+of)\s+(?:(?:all|everything)\s+(?:of\s+)?)?"
               rf"{_EN_OWN}\b"),
    re.compile(rf"\b(?P<verb>send|give|email)\s+me\s+(?:a\s+copy\s+of\s+)?{_EN_OWN}\b"),
    re.compile(rf"\b(?P<verb>see|view|access|request|obtain|get|want)\s+(?:a\s+copy\s+of\s+)?"
               rf"(?:all\s+)?(?:the\s+)?{_EN_OWN}\s+(?:you|that\s+you|linli)\s+"
               r"(?:have|hold|keep|store|stored|collected|saved)\b"),
    re.compile(rf"\b(?P<verb>see|view|access|request|obtain|get|want)\s+a\s+copy\s+of\s+"
               rf"{_EN_OWN}\b"),
    re.compile(r"\b(?P<verb>what)\s+(?:personal\s+)?(?:data|info|information|details|records)\s+"
               r"(?:do|did|does)\s+(?:you|linli|the\s+bot)\s+(?:have|hold|keep|store|collect|"
               r"save)\s+(?:on|about|of|from)\s+me\b"),
    re.compile(r"\b(?P<verb>what)\s+do\s+you\s+(?:know|have|hold|keep|store)\s+(?:on|about)\s+me\b"),
    re.compile(r"\b(?P<verb>see|view|access|get|want|request)\s+(?:a\s+copy\s+of\s+)?"
               r"(?:all\s+)?the\s+(?:personal\s+)?"
               r"(?:data|info|information|details|records)\s+(?:that\s+)?you\s+(?:have|hold|keep|"
               r"store|stored|collected|saved)\b(?!\s+(?:on|about)\s+(?!me\b))"),
    re.compile(r"\b(?P<verb>data)\s+(?:export|download)\b"),
    re.compile(rf"\b(?P<verb>get|see|access|request|want)\s+(?:all\s+)?{_EN_OWN}"
               r"(?:\s+please)?[\s?.!]*$"),
    re.compile(r"\b(?P<verb>export|download)\s+(?:my|the)\s+data\b"),
]


def _distance(a: str, b: str) -> int:
    """Edit distance with a swap of two neighbours counted once ("exprot"), for single words."""
    rows = [list(range(len(b) + 1))]
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


@functools.lru_cache(maxsize=4096)  # residents' words repeat; the edit distances cost
def _spell(word: str) -> str:
    """A slip of the keyboard in one of the words that matter ("delet", "infomation")."""
    if len(word) < 5 or word in _EN_VOCABULARY:
        return word
    allowed = 1 if len(word) < 8 else 2
    for known in _EN_VOCABULARY:
        if abs(len(known) - len(word)) <= allowed and _distance(word, known) <= allowed:
            return known
    return word


def _found(patterns: list[re.Pattern[str]], text: str, negation: re.Pattern[str]) -> bool:
    for pattern in patterns:
        for match in pattern.finditer(text):
            if not negation.search(text[:match.start("verb")]):
                return True
    return False


def read_data_request(text: str) -> Request | None:
    """"export" or "erase" if ``text`` asks for the resident's own data or its erasure."""
    said = clean(text, limit=300).text
    if not said or said.startswith("/"):
        return None  # a button payload or a command says what it means itself
    for typo, meant in _ZH_TYPOS.items():
        said = said.replace(typo, meant)
    english = re.sub(r"[a-z']+", lambda m: _spell(m.group(0)), said)
    if _found(_ZH_ERASE, said, _ZH_NEGATION) or _found(_EN_ERASE, english, _EN_NEGATION):
        return "erase"
    if _found(_ZH_EXPORT, said, _ZH_NEGATION) or _found(_EN_EXPORT, english, _EN_NEGATION):
        return "export"
    return None


# -- someone else's details ---------------------------------------------------------------------

#: Asking for another resident's details ("你把他家电话给我", "1号楼住户名单发我一份", "give me
#: their phone number", "who's registered in my flat"): never given, whoever asks.
_OTHERS_ZH = re.compile(
    r"(?:他|她|他们|她们|人家|对方|邻居|楼上|楼下|隔壁|对门|住户|居民|业主|租户|房客|\d{3,4}(?:室|的|家)?|"
    r"[大阿][妈姨爷叔婶]|老[王李张刘陈赵孙周吴]|[王李张刘陈赵孙周吴何][阿大]?[妈姨叔爷])"
    r"(?:那|这)?(?:家|户|个人|位|家里)?的?(?:电话|手机号?|号码|联系方式|微信|住址|地址|名单|身份证|"
    r"信息)|"
    r"住户(?:名单|信息|电话)|(?:名单|电话)(?:和|跟)(?:电话|名单)|谁住在|住的是谁")
#: ... in Chinese, asked for: "他电话打不通" is no request for it.
_ASKED_ZH = re.compile(r"给我|发我|发给我|告诉我|给一下|要一下|要个|查一下|查查|多少|是多少|"
                       r"有没有|把|想要|能不能给|是谁|谁住")
_OTHERS_EN = re.compile(
    r"\b(?:give|send|tell|share|get|find)\b.{0,20}\b(?:their|his|her|neighbou?r'?s?|"
    r"residents'?|tenants?'?|the \w+'s)\s+(?:phone|number|contact|address|details|names?|"
    r"list|wechat|id)\b|"
    r"\b(?:what'?s|whats) (?:their|his|her|my neighbou?r'?s) (?:phone|number|address)\b|"
    r"\bwho(?:'s| is| lives)?(?: is)? (?:registered|living) (?:in|at)\b|"
    r"\blist of (?:residents|tenants|people)\b", re.IGNORECASE)


def asks_for_others(text: str) -> bool:
    """Whether ``text`` asks for someone else's phone, address, name list or other details."""
    said = clean(text).text
    return bool(_OTHERS_EN.search(said)) or bool(
        _OTHERS_ZH.search(said) and _ASKED_ZH.search(said))


# What is left of "你把楼上那家的电话给我" once the asking is taken out: nothing of a matter.
_ASKING_ONLY = re.compile(r"\d+\s*(?:号楼|栋|幢|单元|室|号)?|一份|全部|所有|"
                          r"[你我您请能可以吗呢吧啊呀嘛就先赶紧快点一下帮的]|\b(?:can|could|you|me|"
                          r"please|pls|i|want|need|the|a|of|for|now|just)\b", re.IGNORECASE)


def only_asks_for_others(text: str) -> bool:
    """Whether ``text`` asks for someone else's details and says nothing else: no problem to
    report beside it ("楼上漏水了 你把他家电话给我" has one)."""
    said = clean(text).text
    if not asks_for_others(said):
        return False
    rest = _ASKED_ZH.sub(" ", _OTHERS_EN.sub(" ", _OTHERS_ZH.sub(" ", said)))
    rest = _ASKING_ONLY.sub(" ", rest)
    han = len(re.findall(r"[\u4e00-\u9fff]", rest))
    return han <= 2 and len(re.findall(r"[a-z]{3,}", rest, re.IGNORECASE)) <= 1


# -- a verb alone, just after a request about one's data ----------------------------------------

_BARE_ERASE = re.compile(
    r"^(?:那|那就|现在|再|就|嗯|好)?[\s,，]*(?:都|全部?|全都|统统|一起)?(?:给我|帮我)?"
    r"(?:删|删掉|删了|删除|清空|抹掉)(?:吧|掉吧|了吧|掉|全部|所有)?[!！。]*$|"
    r"^(?:ok |okay |now |then |and |yes )?(?:please )?(?:delete|erase|remove|wipe)"
    r"(?: (?:it|them|everything|all|of|that))+(?: (?:please|pls|too|now|then|as well))*[.!]*$",
    re.IGNORECASE)
_BARE_EXPORT = re.compile(
    r"^(?:那|再|好|嗯)?[\s,，]*(?:给我|帮我)?(?:导出|下载|发我|发给我|导)(?:一份|来|一下|出来)?"
    r"(?:吧|看看|给我看看)?[!！。]*$|"
    r"^(?:ok |okay |yes |please )?(?:export|download|send me)(?: it| that| a copy| them)?"
    r"(?: please| to me)?[.!]*$", re.IGNORECASE)


def bare_data_request(text: str) -> Request | None:
    """"export it please", "now delete everything", "都删了吧": a verb with no object, which
    only just after a request about the resident's own data is one."""
    said = clean(text).text.strip()
    if _BARE_ERASE.search(said):
        return "erase"
    if _BARE_EXPORT.search(said):
        return "export"
    return None
