"""The three rates as an XLSX workbook for the street's monthly report (openpyxl).

Built from the very document ``linli report rates --json`` prints (``store.rates.report``), so
the workbook and the JSON cannot disagree: a sheet for the whole, one per grid, per category and
per week, each row a rate's numerator, denominator and value, and the meanings on the first.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from store.rates import FIGURES, NAMES

#: Column headings, in both languages (a sheet is read by both).
_HEADINGS = ["开单 opened"] + [f"{NAMES[f]} {f} {part}" for f in FIGURES
                                for part in ("numerator", "denominator", "value")]
_PERCENT = "0.0%"


def _row(figures: Mapping[str, Any]) -> list[Any]:
    return [figures["opened"]] + [figures[f][part] for f in FIGURES
                                  for part in ("numerator", "denominator", "value")]


def _table(sheet: Worksheet, key: str, rows: list[tuple[str, Mapping[str, Any]]]) -> None:
    sheet.append([key, *_HEADINGS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for name, figures in rows:
        sheet.append([name, *_row(figures)])
    for row in sheet.iter_rows(min_row=2):
        for index in range(len(FIGURES)):
            row[2 + 3 * index + 2].number_format = _PERCENT
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 16


def workbook(document: Mapping[str, Any]) -> bytes:
    """The XLSX file of a rates document (``store.rates.report``)."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "summary"
    scope = document["grid"] or "all"
    _table(summary, "范围 scope", [(scope, document)])
    summary.append([])
    for label, value in (("社区 community", document["community"]),
                         ("起 since", document["since"]), ("止（不含） until", document["until"]),
                         ("时区 timezone", document["timezone"]), ("计算时间 as of",
                                                                  document["as_of"])):
        summary.append([label, value])
    summary.append([])
    for figure, meaning in document["meanings"].items():
        summary.append([f"{NAMES[figure]} {figure}", meaning["zh"], meaning["en"]])
    if "by_grid" in document:
        _table(book.create_sheet("by_grid"), "网格 grid",
               list(document["by_grid"].items()))
    _table(book.create_sheet("by_category"), "类别 category",
           list(document["by_category"].items()))
    _table(book.create_sheet("weekly"), "周 week",
           [(week["week"], week) for week in document["weekly"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
