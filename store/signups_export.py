"""An event's sign-ups as CSV and XLSX (openpyxl), for the organisers' list at the door.

Both are built from ``store.events.signups``, so the files and the console's list cannot
disagree. Headings carry both languages: the sheet is read by both.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from store.events import SignupRow

HEADINGS = ("姓名 name", "电话 phone", "楼栋 building", "人数 people", "状态 status",
            "候补位次 waitlist position", "报名时间 signed up")
#: A cell a spreadsheet would run as a formula begins with one of these (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cells(row: SignupRow, zone: dt.tzinfo) -> list[Any]:
    return [row.name, row.phone or "", row.building or "", row.count, row.status,
            row.position or "", row.signed_up_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")]


def _inert(value: Any) -> Any:
    """A resident's own words never become a formula in the organiser's spreadsheet."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA) else value


def as_csv(rows: Sequence[SignupRow], zone: dt.tzinfo) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    for row in rows:
        writer.writerow([_inert(cell) for cell in _cells(row, zone)])
    return ("\ufeff" + out.getvalue()).encode()


def as_xlsx(rows: Sequence[SignupRow], zone: dt.tzinfo, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "signups"
    sheet.append(list(HEADINGS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_inert(cell) for cell in _cells(row, zone)])
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["G"].width = 18
    book.properties.title = title[:200]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
