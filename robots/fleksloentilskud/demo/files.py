"""The inbox files: fleksjobs, other benefits and eIndkomst in the dialects they arrive in.

Why it is a module of its own: the same rows are written as `;` CSV in Windows-1252 with
Danish amounts, `,` CSV with or without a BOM, and XLSX (through the demo generator's
writer, `SheetWriter`, so this package imports nothing from `robots.demo`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from robots.core.export_dialects import Flavour, SheetWriter
from robots.core.money import format_kroner
from robots.core.pipeline.datasets import FLEX_JOBS, OTHER_BENEFITS
from robots.fleksloentilskud.datasets import INCOMES
from robots.fleksloentilskud.demo.months import month_text
from robots.fleksloentilskud.demo.people import Benefit, Income, Job

BAD_CELL = "#VÆRDI!"
"""What an Excel sheet shows where a formula broke: the planted unreadable amount in XLSX."""


def _amount(oere: int | None, danish: bool) -> str:
    if oere is None:
        return ""
    if danish:
        return format_kroner(oere)
    whole, fraction = divmod(abs(oere), 100)
    return f"{'-' if oere < 0 else ''}{whole}.{fraction:02d}"


def _day(day: date | None, danish: bool) -> str:
    if day is None:
        return ""
    return f"{day:%d-%m-%Y}" if danish else day.isoformat()


def _cpr_text(cpr: int, hyphen: bool) -> str:
    text = f"{cpr:010d}"
    return f"{text[:6]}-{text[6:]}" if hyphen else text


def _csv(header: Sequence[str], lines: Iterable[Sequence[str]], flavour: Flavour) -> bytes:
    body = [flavour.delimiter.join(header), *(flavour.delimiter.join(line) for line in lines)]
    data = "".join(line + flavour.newline for line in body).encode(flavour.encoding)
    return b"\xef\xbb\xbf" + data if flavour.bom else data


def _jobs_file(jobs: Sequence[Job], hyphens: dict[int, bool], flavour: Flavour) -> bytes:
    d = flavour.danish
    lines = [
        [
            job.job_id,
            _cpr_text(job.cpr, hyphens[job.cpr]),
            f"{job.employer:08d}",
            _day(job.start, d),
            _day(job.end, d),
            _amount(job.weekly, d),
            _day(job.benefit_start, d),
            _amount(job.full_time_wage, d),
            _day(job.visitation, d),
        ]
        for job in jobs
    ]
    return _csv(FLEX_JOBS.column_names, lines, flavour)


def _benefits_file(
    benefits: Sequence[Benefit], hyphens: dict[int, bool], flavour: Flavour
) -> bytes:
    d = flavour.danish
    lines = [
        [
            _cpr_text(b.cpr, hyphens[b.cpr]),
            b.benefit,
            _day(b.start, d),
            _day(b.end, d),
            _amount(b.amount, d),
        ]
        for b in sorted(benefits, key=lambda b: (b.cpr, b.start))
    ]
    return _csv(OTHER_BENEFITS.column_names, lines, flavour)


def _incomes_file(
    name: str,
    rows: Sequence[Income],
    hyphens: dict[int, bool],
    flavour: Flavour | None,
    sheet: SheetWriter | None,
    places: dict[tuple[int, int, int, str], str],
) -> bytes:
    """One eIndkomst file (CSV in `flavour`, or XLSX); notes where each unreadable row is."""
    ordered = sorted(rows, key=lambda r: r.key)
    for line, row in enumerate(ordered, start=2):
        if row.unreadable:
            places[row.key] = f"{name} line {line}"
    if flavour is None:
        if sheet is None:
            raise ValueError("an XLSX incomes file needs a sheet writer")
        records = [
            (
                _cpr_text(r.cpr, hyphens[r.cpr]),
                f"{r.payer:08d}",
                month_text(r.period),
                r.income_type,
                BAD_CELL if r.unreadable else Decimal(r.amount) / 100,
                None if r.hours is None else Decimal(r.hours) / 100,
            )
            for r in ordered
        ]
        return sheet("eindkomst", INCOMES.column_names, records, amount_columns=(4, 5))
    d = flavour.danish
    lines = [
        [
            _cpr_text(r.cpr, hyphens[r.cpr]),
            f"{r.payer:08d}",
            f"{r.period % 12 + 1:02d}-{r.period // 12}" if d else month_text(r.period),
            r.income_type,
            f"{_amount(r.amount, d)} {'kr' if d else 'DKK'}"
            if r.unreadable
            else _amount(r.amount, d),
            _amount(r.hours, d),
        ]
        for r in ordered
    ]
    return _csv(INCOMES.column_names, lines, flavour)
