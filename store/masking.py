"""Phone and ID numbers masked for readers other than the resident and the handler of their
ticket (DESIGN.md: Groups, privacy and languages): 138****5678, 010-****5678,
1101**********123X.

Only what is plainly such a number is masked: a mainland mobile number (11 digits from 13x to
19x, spaces or dashes allowed between its groups, +86 in front), a landline with its area code
(0 and 2–3 digits, then 7–8 digits), a local number said as one ("电话 8888 1234"), and an
18-character resident ID whose birth date is a date. Ticket numbers (BX-20261203-0001), dates,
room numbers (3-2-501), counts and times stay as they are: none has those shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Not inside a longer run of digits or a code (BX-2026…): no ASCII letter, digit or dash next to
# it (Chinese may touch it: "电话13812345678").
_START = r"(?<![A-Za-z0-9_\-+*])"
_END = r"(?![A-Za-z0-9_*])"
_SEP = r"[ \-]?"
_MOBILE = re.compile(
    rf"{_START}(?P<country>(?:\+|00)?86{_SEP})?(?P<head>1[3-9]\d){_SEP}(?P<mid>\d{{4}}){_SEP}"
    rf"(?P<tail>\d{{4}}){_END}")
# 18 characters: area (6), birth date 19xx/20xx MMDD (8), sequence (3), check digit or X.
_ID = re.compile(rf"{_START}(?P<head>\d{{4}})(?P<mid>\d{{2}}(?:19|20)\d{{2}}"
                 rf"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?P<tail>\d{{3}}[\dXx]){_END}")
_LANDLINE = re.compile(
    rf"{_START}(?P<area>\(0\d{{2,3}}\)\s?|（0\d{{2,3}}）|0\d{{2,3}}[ \-])"
    rf"(?P<number>\d{{3,4}}[ \-]?\d{{4}}){_END}")
# A local number needs a word saying it is one: an 8-digit run is as often a date.
_LOCAL = re.compile(r"(?P<said>(?:电话|座机|手机|号码|联系方式|tel|phone|call)[^\d\n]{0,6})"
                    rf"(?P<number>\d{{3,4}}[ \-]?\d{{4}}){_END}", re.IGNORECASE)


def _keep_tail(digits: str, keep: int = 4) -> str:
    """``digits`` with all but the last ``keep`` digits starred; separators dropped."""
    plain = re.sub(r"\D", "", digits)
    return "*" * (len(plain) - keep) + plain[-keep:]


def _mobile(match: re.Match[str]) -> str:
    country = match.group("country") or ""
    return f"{country}{match.group('head')}****{match.group('tail')}"


def _id_number(match: re.Match[str]) -> str:
    return f"{match.group('head')}{'*' * 10}{match.group('tail')}"


def _landline(match: re.Match[str]) -> str:
    return match.group("area") + _keep_tail(match.group("number"))


def _local(match: re.Match[str]) -> str:
    return match.group("said") + _keep_tail(match.group("number"))


def mask_sensitive(text: str) -> str:
    """``text`` with mobile, landline and ID numbers masked; everything else unchanged."""
    if not any(char.isdigit() for char in text):
        return text
    text = _ID.sub(_id_number, text)
    text = _MOBILE.sub(_mobile, text)
    text = _LANDLINE.sub(_landline, text)
    return _LOCAL.sub(_local, text)


def mask_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Response values (a ticket's report, a reporter's phone, a relayed line) with every text
    masked, for a reader who does not handle the ticket."""
    return {name: mask_sensitive(value) if isinstance(value, str) else value
            for name, value in values.items()}
