"""Chinese numerals (三, 十二, 两百零一, 五零一) to integers and digit strings."""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}

#: Characters that may appear in a Chinese numeral, for building regexes.
CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)


def chinese_to_int(text: str) -> int | None:
    """Value of a Chinese numeral, or None if ``text`` is not one.

    Positional numerals (十二 → 12, 两百零一 → 201) and digit-by-digit readings of room numbers
    (五零一 → 501, 一二零二 → 1202) are both understood; Arabic digits pass through.
    """
    if not text:
        return None
    if text.isdigit() and text.isascii():
        return int(text)
    if any(c not in _DIGITS and c not in _UNITS for c in text):
        return None
    if not any(c in _UNITS for c in text):
        # Read digit by digit, as people read room numbers aloud.
        return int("".join(str(_DIGITS[c]) for c in text))
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:
            unit = _UNITS[char]
            total += (current or 1) * unit  # 十二: a bare 十 means one ten
            current = 0
    return total + current


def to_digits(text: str) -> str | None:
    """``text`` (Arabic or Chinese numeral) as a string of digits, or None."""
    value = chinese_to_int(text.strip())
    return None if value is None else str(value)
