"""Writing cells that people will open in Excel: text never runs as a formula, kroner are
numbers with two decimals, headers bold and frozen."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

KRONER_FORMAT = "#,##0.00"
_MAX_KRONER = Decimal(10**10)
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


_DANISH = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)(,\d{1,2})?$")
"""1.234,50 / 1234,5 / 1.234 (a dot only groups thousands)."""
_PLAIN = re.compile(r"^\d+(\.\d{1,2})?$")
"""1234.50 / 12.5: a dot before one or two digits is the decimal point, so 1.234 is never
read as one krone and 23 øre (it is Danish for 1.234 kroner)."""


def kroner_as_oere(value: Any) -> int | None:
    """Kroner in a cell as exact øre, or None: a number cell, or text written the Danish
    way or plainly. More decimals than øre are refused, not rounded."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
    else:
        text = ("" if value is None else str(value).strip()).replace(" ", "").replace("\xa0", "")
        text = re.sub(r"(?i)^kr\.?|kr\.?$", "", text)
        if _PLAIN.match(text) and not _DANISH.match(text):
            amount = Decimal(text)
        elif _DANISH.match(text):
            amount = Decimal(text.replace(".", "").replace(",", "."))
        else:
            return None
    if not amount.is_finite() or amount <= 0 or amount > _MAX_KRONER:
        return None
    oere = amount * 100
    if oere != oere.to_integral_value():
        return None
    return int(oere)
