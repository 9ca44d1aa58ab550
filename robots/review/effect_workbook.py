"""The effect report as an XLSX workbook: the cases in KL's columns, totals per rule, robot,
channel and month as live formulas over the rows, and charts of cases and kroner per month."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from robots.review.cells import header, put
from robots.review.effect_report import KL_COLUMNS, EffectReport

_KRONER_COLUMNS = {"Tilbagebetalingskrav (kr.)", "Fremadrettet besparelse (kr.)"}
_GROUP_COLUMNS = (
    ("cases", "Sager", False),
    ("decided", "Afgjort", False),
    ("false_alarms", "Falske alarmer", False),
    ("false_alarm_percent", "Falske alarmer (% af afgjorte)", False),
    ("recover_oere", "Tilbagebetalingskrav (kr.)", True),
    ("stopped_oere", "Standset før udbetaling (kr.)", True),
)


def effect_workbook(report: EffectReport) -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    front = book.active
    front.title = "Forside"
    put(front, 1, 1, "Effekt af kontrolindsatsen")
    put(front, 2, 1, f"Sager oprettet {report.first.isoformat()} til {report.last.isoformat()}")
    put(front, 3, 1, "Sager i alt")
    put(front, 3, 2, report.totals["cases"])
    put(front, 4, 1, "Tilbagebetalingskrav (kr.)")
    put(front, 4, 2, report.totals["recover_oere"], kroner=True)
    put(front, 5, 1, "Standset før udbetaling (kr.)")
    put(front, 5, 2, report.totals["stopped_oere"], kroner=True)
    put(front, 6, 1, "Videresendt til anden myndighed")
    put(front, 6, 2, report.totals["referred_authority"])
    put(front, 7, 1, "Politianmeldt")
    put(front, 7, 2, report.totals["referred_police"])
    front.column_dimensions["A"].width = 40

    cases = book.create_sheet("Sager")
    header(cases, KL_COLUMNS)
    for r, row in enumerate(report.cases, start=2):
        for c, name in enumerate(KL_COLUMNS, start=1):
            put(cases, r, c, row[name], kroner=name in _KRONER_COLUMNS)
    last = len(report.cases) + 1
    total_row = last + 1
    put(cases, total_row, 1, "I alt")
    for c, name in enumerate(KL_COLUMNS, start=1):
        if name in _KRONER_COLUMNS:
            letter = get_column_letter(c)
            cell = cases.cell(row=total_row, column=c, value=f"=SUM({letter}2:{letter}{last})")
            cell.number_format = "#,##0.00"

    for title, rows, key in (
        ("Pr. regel", report.per_rule, "rule"),
        ("Pr. robot", report.per_robot, "robot"),
        ("Pr. kanal", report.per_kanal, "kanal"),
        ("Pr. måned", report.per_month, "month"),
    ):
        sheet = book.create_sheet(title)
        header(sheet, [key.capitalize(), *(label for _, label, _ in _GROUP_COLUMNS)])
        for r, group in enumerate(rows, start=2):
            put(sheet, r, 1, group[key])
            for c, (field, _, kroner) in enumerate(_GROUP_COLUMNS, start=2):
                put(sheet, r, c, group[field], kroner=kroner)
        end = len(rows) + 1
        put(sheet, end + 1, 1, "I alt")
        for c, (field, _, kroner) in enumerate(_GROUP_COLUMNS, start=2):
            if field == "false_alarm_percent" or key == "rule":
                continue  # a case held by two rules counts under both: no sum
            letter = get_column_letter(c)
            cell = sheet.cell(row=end + 1, column=c, value=f"=SUM({letter}2:{letter}{end})")
            if kroner:
                cell.number_format = "#,##0.00"
        if key == "month" and rows:
            _charts(sheet, end)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _charts(sheet: Worksheet, end: int) -> None:
    months = Reference(sheet, min_col=1, min_row=2, max_row=end)
    for title, column, anchor in (
        ("Sager pr. måned", 2, "J2"),
        ("Tilbagebetalingskrav pr. måned (kr.)", 6, "J20"),
    ):
        chart = BarChart()
        chart.title = title
        chart.add_data(
            Reference(sheet, min_col=column, min_row=1, max_row=end), titles_from_data=True
        )
        chart.set_categories(months)
        sheet.add_chart(chart, anchor)
