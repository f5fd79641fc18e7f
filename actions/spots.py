"""Places in the community that are no building: a gate, the garden, the car park."""

from __future__ import annotations

import re

from nlu.hedges import asks_what_to_do
from nlu.language import HAN

#: Clauses of a message: split at punctuation, and at spaces beside Chinese.
_CLAUSES = re.compile(rf"[，,。.！!？?；;]+|(?<={HAN.pattern})\s+|\s+(?={HAN.pattern})")
#: What completes a place word: "车库" + "B区", "北门" + "口", "花园" + "里".
_SPOT_AFTER = re.compile(r"(?:[A-Za-z0-9一二三四五六七八九十]{1,3}[区号栋排层座])?口?"
                         r"(?:旁边|附近|那边|这边|边上|里面|里头|里|外面|外|前面|后面)?")
#: Who comes before the place in a clause, once what precedes its 在 is gone: not part of it.
_SPOT_LEAD = re.compile(r"^(?:有人|有个人|有个|有位)+")
#: Where an English place begins ("collapsed by the north gate").
_SPOT_PREPOSITION = re.compile(r"\b(?:by|at|near|in|inside|outside|behind|next to|in front of|"
                               r"on)\b", re.IGNORECASE)
#: A place in the community that is no building ("小区门口", "地库", "by the north gate"): where
#: the danger is, as far as the resident can tell; its words are on the ticket.
SPOT = re.compile(r"门口|[东南西北正后侧大]门|停车场|车库|地库|广场(?!舞)|花园|绿地|草坪|健身|"
                  r"游乐场|滑梯|篮球场|垃圾站|垃圾房|快递柜|菜市场|小区里|主路|路口|马路|路边|凉亭|"
                  r"\bgate\b|\bentrance\b|\bcar ?park\b|\bparking\b|\bgarage\b|"
                  r"\bplayground\b|\bsquare\b|\bgarden\b|\blawn\b|\bcourt\b|\broad\b|"
                  r"\bstreet\b|\bbin (?:room|area|station)\b", re.IGNORECASE)


def spot_in(said: str) -> str | None:
    """The words of ``said`` that name a place in the community that is no building
    ("北门口有人晕倒了": "北门口"; "地下车库B区…": "地下车库B区"; "someone fell by the north
    gate": "by the north gate"); None if it names none."""
    if asks_what_to_do(said):
        return None
    for clause in _CLAUSES.split(said):
        matches = list(SPOT.finditer(clause))
        if not matches:
            continue
        found = matches[-1]  # the last: "小区花园里" ends at 花园
        after = _SPOT_AFTER.match(clause, found.end())
        spot = clause[:after.end() if after else found.end()]
        if HAN.search(spot):  # "有个老人在小区门口": from where it says 在
            spot = _SPOT_LEAD.sub("", spot.rpartition("在")[2])
        elif (leads := list(_SPOT_PREPOSITION.finditer(spot))):
            spot = spot[leads[-1].start():]
        return spot.strip()[:40] or None
    return None


#: A door of a home or a building is part of that building ("我家门口的灯", "单元门口").
_OF_A_BUILDING = re.compile(r"家|单元|楼门|楼道|楼梯|\b(?:my|our|front|flat|unit) doors?\b",
                            re.IGNORECASE)


def shared_spot_in(said: str) -> str | None:
    """The place ``said`` names, as :func:`spot_in`, if it is no part of a building."""
    spot = spot_in(said)
    return None if spot is None or _OF_A_BUILDING.search(spot) else spot
