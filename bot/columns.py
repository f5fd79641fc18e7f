"""Text tables for a terminal: a Chinese character takes two columns, so padding counts
display columns (Unicode East Asian Width), not characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

_WIDE = frozenset({"W", "F"})


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide and full-width characters two, combining
    marks none, the rest one."""
    return sum(0 if unicodedata.combining(char) else
               2 if unicodedata.east_asian_width(char) in _WIDE else 1 for char in text)


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` display columns (right-aligned if
    ``right``)."""
    spaces = " " * max(0, columns - width(text))
    return spaces + text if right else text + spaces


def table(rows: Sequence[Sequence[str]], *, right: Sequence[bool] = (),
          gap: str = "  ") -> list[str]:
    """``rows`` as lines with aligned columns; ``right[i]`` right-aligns column ``i``."""
    if not rows:
        return []
    count = max(len(row) for row in rows)
    widths = [max((width(row[i]) for row in rows if i < len(row)), default=0)
              for i in range(count)]
    aligned = [*right, *([False] * (count - len(right)))]
    return [gap.join(pad(cell, widths[i], right=aligned[i])
                     for i, cell in enumerate(row)).rstrip() for row in rows]
