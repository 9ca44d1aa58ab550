"""The reconciliation as the XLSX workbook finance opens: kroner with two decimals and
thousands separators, dd-mm-yyyy dates, frozen headers, filters, widths, print titles,
formulas protected; every total and every check a live formula over the rows beside it,
so the workbook proves itself when recalculated (tests do it in LibreOffice).

The sheets: Forside (what, when, by which version, whether it ties out), Oversigt (per
robot and kontoplan function), Bundter (each batch's file beside the ledger), Bank (sent,
booked, sent back, unanswered), Tilbagesendt, Uafstemt (answers that fit no transfer),
Sager og krav (open cases, recoveries), Refusion, Kontrol (each difference that must be 0).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from robots.core import dates
from robots.core.finance.reconciliation import Reconciliation

KRONER = "#,##0.00"
DAY = "dd-mm-yyyy"
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_RED = PatternFill("solid", fgColor="F4C7C3")
_GREEN = PatternFill("solid", fgColor="C6EFCE")


def reconciliation_workbook(rec: Reconciliation) -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    front = book.active
    front.title = "Forside"
    batches = _table(
        book,
        "Bundter",
        [
            "Bundt",
            "Robot",
            "Udførelsesdag",
            "Status",
            "Overførsler (hovedbog)",
            "Beløb (hovedbog)",
            "Posteringer",
            "Posteringer (beløb)",
            "Overførsler (fil)",
            "Kontrolsum (fil)",
            "Fil - hovedbog (beløb)",
            "Fil - hovedbog (antal)",
            "Hovedbog - posteringer",
            "Bemærkning",
        ],
        [
            [
                r.batch_id,
                r.robot,
                r.execution_date,
                r.status,
                r.transfers,
                _kr(r.total_oere),
                r.items,
                _kr(r.items_oere),
                _int(r.file_transfers),
                _kr(r.file_total_oere),
                None,
                None,
                None,
                r.file_problem or "",
            ]
            for r in rec.batches.itertuples(index=False)
        ],
        kroner={6, 8, 10, 11, 13},
    )
    for row in range(2, len(rec.batches) + 2):
        batches.cell(row=row, column=11, value=f"=J{row}-F{row}").number_format = KRONER
        batches.cell(row=row, column=12, value=f"=I{row}-E{row}")
        batches.cell(row=row, column=13, value=f"=F{row}-H{row}").number_format = KRONER
    _totals(batches, len(rec.batches), [5, 6, 7, 8, 9, 10, 11, 12, 13], kroner={6, 8, 10, 11, 13})

    summary = _table(
        book,
        "Oversigt",
        [
            "Robot",
            "Funktion",
            "Funktionsnavn",
            "Bundter",
            "Udbetalte krav",
            "Udbetalt",
            "Bogført af banken",
            "Sendt retur",
            "Ikke besvaret",
            "Refusion",
            "Forventet refusion",
        ],
        [
            [
                r.robot,
                r.function,
                r.function_name,
                r.batches,
                r.claims_paid,
                _kr(r.paid_oere),
                _kr(r.booked_oere),
                _kr(r.returned_oere),
                _kr(r.unanswered_oere),
                r.refusion,
                _kr(r.refusion_oere),
            ]
            for r in rec.summary.itertuples(index=False)
        ],
        kroner={6, 7, 8, 9, 11},
    )
    _totals(summary, len(rec.summary), [4, 5, 6, 7, 8, 9, 11], kroner={6, 7, 8, 9, 11})

    bank = _table(
        book,
        "Bank",
        [
            "Bundt",
            "Robot",
            "Overførsler",
            "Sendt",
            "Bogført",
            "Sendt retur",
            "Ikke besvaret",
            "Sendt - bogført - retur - ubesvaret",
            "Overførsler sendt retur",
        ],
        [
            [
                r.batch_id,
                r.robot,
                r.sent_transfers,
                _kr(r.sent_oere),
                _kr(r.booked_oere),
                _kr(r.returned_oere),
                _kr(r.unanswered_oere),
                None,
                r.returned_transfers,
            ]
            for r in rec.bank.itertuples(index=False)
        ],
        kroner={4, 5, 6, 7, 8},
    )
    for row in range(2, len(rec.bank) + 2):
        bank.cell(row=row, column=8, value=f"=D{row}-E{row}-F{row}-G{row}").number_format = KRONER
    _totals(bank, len(rec.bank), [3, 4, 5, 6, 7, 8, 9], kroner={4, 5, 6, 7, 8})

    _table(
        book,
        "Tilbagesendt",
        ["EndToEndId", "Bundt", "Robot", "Beløb"],
        [
            [r.end_to_end_id, r.batch_id, r.robot, _kr(r.amount_oere)]
            for r in rec.returned.itertuples(index=False)
        ],
        kroner={4},
    )
    _table(
        book,
        "Uafstemt",
        ["Svar", "Besked-id", "Fil", "Linje", "EndToEndId", "Bundt", "Status", "Beløb", "Hvorfor"],
        [
            [
                r.kind,
                r.message_id,
                r.file_name,
                _int(r.line),
                r.end_to_end_id,
                r.batch_id,
                r.status,
                _kr(r.amount_oere),
                r.problem,
            ]
            for r in rec.unmatched.itertuples(index=False)
        ],
        kroner={8},
    )
    cases = _table(
        book,
        "Sager og krav",
        ["Robot", "Kanal", "Åbne sager", "Beløb holdt tilbage"],
        [[r.robot, r.kanal, r.cases, _kr(r.oere)] for r in rec.cases.itertuples(index=False)],
        kroner={4},
    )
    _totals(cases, len(rec.cases), [3, 4], kroner={4})
    first = len(rec.cases) + 4
    _header(
        cases,
        first,
        ["Robot", "Tilbagebetalingskrav åbnet", "Beløb", "Betalt tilbage", "Udestående"],
    )
    for n, r in enumerate(rec.recoveries.itertuples(index=False), start=first + 1):
        _put(cases, n, 1, r.robot)
        _put(cases, n, 2, r.recoveries)
        _put(cases, n, 3, _kr(r.oere), KRONER)
        _put(cases, n, 4, Decimal(0), KRONER)  # repayments are not read back yet
        cases.cell(row=n, column=5, value=f"=C{n}-D{n}").number_format = KRONER

    refusion = _table(
        book,
        "Refusion",
        ["Robot", "Funktion", "Udbetalt", "Refusion", "Forventet refusion"],
        [
            [r.robot, r.function, _kr(r.paid_oere), r.refusion, _kr(r.refusion_oere)]
            for r in rec.summary.itertuples(index=False)
        ],
        kroner={3, 5},
    )
    _totals(refusion, len(rec.summary), [3, 5], kroner={3, 5})

    checks = _checks(book, rec)
    _front(front, rec, checks)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _checks(book: Workbook, rec: Reconciliation) -> Worksheet:
    """Each check's difference as a formula over the sheet it is about where one can say
    it, so a recalculation gives the same number the robots computed."""
    sheet = _table(book, "Kontrol", ["Tabel", "Kontrol", "Difference", "Enhed", "Hvad"], [])
    nb, ns, nk = len(rec.batches) + 1, len(rec.summary) + 1, len(rec.bank) + 1
    live = {
        "payment files' control sums less the ledger's batch totals": f"=SUM(Bundter!K2:K{nb})",
        "payment files' transfer counts less the ledger's": f"=SUM(Bundter!L2:L{nb})",
        "batch totals less the sum of their payment items": f"=SUM(Bundter!M2:M{nb})",
        "the robots' payments less the batches' totals": (
            f"=SUM(Oversigt!F2:F{ns})-SUM(Bundter!F2:F{nb})"
        ),
        "transfers sent back (not paid; paid again only after a decision)": (
            f"=SUM(Bank!F2:F{nk})"
        ),
        "answer lines that fit no transfer": f"=COUNTA(Uafstemt!A2:A{len(rec.unmatched) + 1})"
        if len(rec.unmatched)
        else "=0",
    }
    row = 1
    for check in rec.checks:
        row += 1
        _put(sheet, row, 1, check.table)
        _put(sheet, row, 2, check.what)
        formula = live.get(check.what)
        if check.unit == "øre":
            cell = sheet.cell(row=row, column=3, value=formula or _kr(check.difference))
            cell.number_format = KRONER
        else:
            sheet.cell(row=row, column=3, value=formula or check.difference)
        _put(sheet, row, 4, "kr." if check.unit == "øre" else check.unit)
        _put(sheet, row, 5, "; ".join(check.items)[:32000])
    row += 1
    _put(sheet, row, 1, "Bank")
    _put(sheet, row, 2, "sent less booked, sent back and unanswered (every batch)")
    sheet.cell(
        row=row, column=3, value=f"=SUM(Bank!H2:H{len(rec.bank) + 1})"
    ).number_format = KRONER
    _put(sheet, row, 4, "kr.")
    rule_range = f"C2:C{row}"
    sheet.conditional_formatting.add(
        rule_range, CellIsRule(operator="notEqual", formula=["0"], fill=_RED)
    )
    sheet.conditional_formatting.add(
        rule_range, CellIsRule(operator="equal", formula=["0"], fill=_GREEN)
    )
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["E"].width = 80
    return sheet


def _front(front: Worksheet, rec: Reconciliation, checks: Worksheet) -> None:
    rows: list[tuple[str, Any, str | None]] = [
        ("Afstemning af udbetalinger", None, None),
        ("Periode fra", rec.first, DAY),
        ("Periode til", rec.last, DAY),
        ("Lavet", rec.made_at.astimezone(dates.COPENHAGEN).strftime("%d-%m-%Y %H:%M"), None),
        ("Version", rec.version, None),
        ("Bundter", len(rec.batches), None),
        (
            "Stemmer (alle kontroller 0)",
            f'=IF(COUNTIF(Kontrol!C2:C{checks.max_row},"<>0")=0,"JA","NEJ")',
            None,
        ),
        ("Stemte da den blev lavet", "JA" if rec.ties_out else "NEJ", None),
    ]
    for n, (label, value, number_format) in enumerate(rows, start=1):
        front.cell(row=n, column=1, value=label).font = Font(bold=n == 1)
        if value is not None:
            cell = front.cell(row=n, column=2, value=value)
            if number_format:
                cell.number_format = number_format
    front.column_dimensions["A"].width = 34
    front.column_dimensions["B"].width = 24
    front.protection.sheet = True


def _table(
    book: Workbook,
    title: str,
    names: list[str],
    rows: list[list[Any]],
    kroner: set[int] | None = None,
) -> Worksheet:
    sheet = book.create_sheet(title)
    _header(sheet, 1, names)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            number_format = KRONER if kroner and c in kroner else None
            if isinstance(value, date):
                number_format = DAY
            _put(sheet, r, c, value, number_format)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(names))
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 1)}"
    sheet.print_title_rows = "1:1"
    # Printed landscape, one page wide: finance prints the sheets for the auditors.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for c, name in enumerate(names, start=1):
        longest = max([len(name), *(len(_shown(r[c - 1])) for r in rows[:200])])
        sheet.column_dimensions[get_column_letter(c)].width = max(12, min(longest + 2, 45))
    sheet.protection.sheet = True  # the figures and formulas are the ledger's, not to edit
    return sheet


def _shown(value: Any) -> str:
    """Roughly as wide as the cell shows the value (kroner with separators)."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def _totals(sheet: Worksheet, rows: int, columns: list[int], kroner: set[int]) -> None:
    at = rows + 2
    sheet.cell(row=at, column=1, value="I alt").font = Font(bold=True)
    for c in columns:
        letter = get_column_letter(c)
        cell = sheet.cell(row=at, column=c, value=f"=SUM({letter}2:{letter}{rows + 1})")
        cell.font = Font(bold=True)
        if c in kroner:
            cell.number_format = KRONER


def _header(sheet: Worksheet, row: int, names: list[str]) -> None:
    for c, name in enumerate(names, start=1):
        sheet.cell(row=row, column=c, value=name).font = Font(bold=True)


def _put(sheet: Worksheet, row: int, column: int, value: Any, fmt: str | None = None) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and _FORMULA_START.match(value):
        cell.data_type = "s"  # outside text is never a formula
    if fmt:
        cell.number_format = fmt


def _kr(oere: Any) -> Decimal | None:
    """Øre as kroner, exactly (None for a missing value)."""
    return None if pd.isna(oere) else Decimal(int(oere)) / 100


def _int(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)
