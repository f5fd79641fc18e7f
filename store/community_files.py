"""A community table as a CSV or XLSX file, and back: rows of text with their line numbers.

CSV is written as UTF-8 with a byte-order mark, so Excel opens the Chinese in it; a CSV saved
by a Chinese Excel (GB18030) is read as well. Every XLSX cell is written as text, so a phone
number keeps its leading digits and never turns into 1.38E+10.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from store.community_table import COLUMNS, READ_ONLY, RowError, writable

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
MAX_BYTES = 5_000_000
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(slots=True)
class Read:
    """The rows of a file as (line, row), and what made it unreadable (line 1: the header)."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def write(table: str, rows: Sequence[Mapping[str, str]], kind: Format) -> bytes:
    """``rows`` of ``table`` as a file that reads back as the same rows."""
    columns = COLUMNS[table]
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(column, "") for column in columns])
        return out.getvalue().encode("utf-8-sig")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(column, "") for column in columns])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.number_format = "@"  # text: a phone stays a phone
    sheet.freeze_panes = "A2"
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _text(value: object) -> str:
    """A cell as text: 13800010001.0 read back from Excel is 13800010001."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _lines(data: bytes, kind: Format) -> list[tuple[int, list[str]]]:
    if kind == "xlsx":
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        return [(number, [_text(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    reader = csv.reader(io.StringIO(text, newline=""))
    found: list[tuple[int, list[str]]] = []
    start = 1
    for values in reader:
        found.append((start, [v.strip() for v in values]))
        start = reader.line_num + 1  # a quoted cell may span lines: the row starts here
    return found


def read(table: str, data: bytes, kind: Format) -> Read:
    """The rows of an uploaded file for ``table``; a file that cannot be read at all, or whose
    header lacks a column, gives errors and no rows."""
    result = Read()
    if len(data) > MAX_BYTES:
        result.errors.append(RowError(0, None, f"the file is larger than "
                                               f"{MAX_BYTES // 1_000_000} MB",
                                      f"文件超过 {MAX_BYTES // 1_000_000} MB"))
        return result
    try:
        lines = _lines(data, kind)
    except Exception:  # any unreadable upload gets the same answer: the admin cannot fix ours
        result.errors.append(RowError(0, None, f"this is not a readable {kind.upper()} file",
                                      f"无法读取，这不是有效的 {kind.upper()} 文件"))
        return result
    lines = [(number, values) for number, values in lines if any(values)]
    if not lines:
        result.errors.append(RowError(1, None, "the file is empty", "文件是空的"))
        return result
    header_line, header = lines[0]
    names = [name.strip().lower() for name in header]
    missing = [c for c in writable(table) if c not in names]
    unknown = [n for n in names if n and n not in COLUMNS[table]]
    if missing or unknown:
        columns = ", ".join(COLUMNS[table])
        result.errors.append(RowError(
            header_line, None,
            (f"missing columns: {', '.join(missing)}. " if missing else "")
            + (f"unknown columns: {', '.join(unknown)}. " if unknown else "")
            + f"The columns are: {columns}",
            (f"缺少列：{', '.join(missing)}。" if missing else "")
            + (f"多出的列：{', '.join(unknown)}。" if unknown else "") + f"应有的列：{columns}"))
        return result
    ignored = READ_ONLY.get(table, frozenset())
    for number, values in lines[1:]:
        row = {name: value for name, value in zip(names, values, strict=False)
               if name and name not in ignored}
        result.rows.append((number, row))
    return result
