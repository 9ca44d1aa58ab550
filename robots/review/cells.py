"""Writing cells that people will open in Excel: text never runs as a formula, kroner are
numbers with two decimals, headers bold and frozen."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

KRONER_FORMAT = "#,##0.00"
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def put(sheet: Worksheet, row: int, column: int, value: Any, *, kroner: bool = False) -> None:
    """One cell: øre given for kroner become a Decimal kroner number; outside text that a
    spreadsheet would evaluate (=, +, -, @) is stored as text, never as a formula."""
    cell = sheet.cell(row=row, column=column)
    if kroner:
        cell.value = Decimal(int(value or 0)) / 100
        cell.number_format = KRONER_FORMAT
        return
    if isinstance(value, str):
        cell.value = value
        if _FORMULA_START.match(value):
            cell.data_type = "s"
        return
    cell.value = value


def header(sheet: Worksheet, names: list[str] | tuple[str, ...], row: int = 1) -> None:
    for column, name in enumerate(names, start=1):
        sheet.cell(row=row, column=column, value=name).font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=row + 1, column=1)
