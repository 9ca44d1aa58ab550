"""The inbox files: agreements, claims, and the rows of the shared fleksjob and benefit
registers, in the dialects they arrive in.

Why it is a module of its own: the same rows are written as `;` CSV in Windows-1252 with
Danish dates and decimal commas, `,` CSV with or without a BOM, and XLSX (through the demo
generator's writer, `SheetWriter`, so this package imports nothing from `robots.demo`); and
how a planted unreadable date looks depends on the file it lands in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from robots.core.export_dialects import Flavour, SheetWriter
from robots.core.money import format_kroner
from robots.core.pipeline.datasets import FLEX_JOBS, OTHER_BENEFITS
from robots.loentilskud.datasets import SUBSIDY_AGREEMENTS, SUBSIDY_CLAIMS
from robots.loentilskud.demo import kinds as k
from robots.loentilskud.demo.cast import Agreement, Benefit, Claim, FlexJob


def hundredths_text(value: int, danish: bool) -> str:
    """Hours (or kroner) in hundredths as the file writes them: 151,25 or 151.25."""
    if danish:
        return format_kroner(value)
    whole, fraction = divmod(abs(value), 100)
    return f"{'-' if value < 0 else ''}{whole}.{fraction:02d}"


def day_text(day: date, danish: bool) -> str:
    return f"{day:%d-%m-%Y}" if danish else day.isoformat()


def impossible_day(day: date, danish: bool) -> str:
    """30 February of the day's year: a date no calendar has."""
    return f"30-02-{day.year}" if danish else f"{day.year}-02-30"


def cpr_text(cpr: int, hyphen: bool) -> str:
    text = f"{cpr:010d}"
    return f"{text[:6]}-{text[6:]}" if hyphen else text


def _csv(header: Sequence[str], lines: Iterable[Sequence[str]], flavour: Flavour) -> bytes:
    body = [flavour.delimiter.join(header), *(flavour.delimiter.join(line) for line in lines)]
    data = "".join(line + flavour.newline for line in body).encode(flavour.encoding)
    return b"\xef\xbb\xbf" + data if flavour.bom else data


def agreements_file(
    agreements: Sequence[Agreement], hyphens: dict[int, bool], flavour: Flavour
) -> bytes:
    d = flavour.danish
    lines = [
        [
            a.agreement_id,
            cpr_text(a.cpr, hyphens[a.cpr]),
            f"{a.employer:08d}",
            a.target_group,
            day_text(a.start, d),
            day_text(a.end, d),
            hundredths_text(a.weekly, d),
        ]
        for a in agreements
    ]
    return _csv(SUBSIDY_AGREEMENTS.column_names, lines, flavour)


def claims_file(
    claims: Sequence[tuple[str, Claim]], flavour: Flavour | None, sheet: SheetWriter | None
) -> bytes:
    """(claim id, claim) rows in file order, as CSV in `flavour` or (None) as an XLSX sheet
    with date and number cells; a planted impossible date only ever goes to a CSV file."""
    if flavour is None:
        if sheet is None:
            raise ValueError("an XLSX claims file needs a sheet writer")
        if any(c.plan == k.DATA_IMPOSSIBLE_DATE for _, c in claims):
            raise ValueError("an impossible date cannot be an XLSX date cell")
        records = [
            (
                claim_id,
                c.agreement_id,
                f"{c.employer:08d}",
                c.start,
                c.end,
                Decimal(c.hours) / 100,
            )
            for claim_id, c in claims
        ]
        return sheet(
            "krav", SUBSIDY_CLAIMS.column_names, records, amount_columns=(5,), date_columns=(3, 4)
        )
    d = flavour.danish
    lines = [
        [
            claim_id,
            c.agreement_id,
            f"{c.employer:08d}",
            day_text(c.start, d),
            impossible_day(c.end, d) if c.plan == k.DATA_IMPOSSIBLE_DATE else day_text(c.end, d),
            hundredths_text(c.hours, d),
        ]
        for claim_id, c in claims
    ]
    return _csv(SUBSIDY_CLAIMS.column_names, lines, flavour)


def flex_jobs_file(jobs: Sequence[FlexJob], hyphens: dict[int, bool], flavour: Flavour) -> bytes:
    """The fleksjobs of people in wage subsidy, in the shared register's columns."""
    d = flavour.danish
    lines = [
        [
            job.job_id,
            cpr_text(job.cpr, hyphens[job.cpr]),
            f"{job.employer:08d}",
            day_text(job.start, d),
            day_text(job.end, d),
            hundredths_text(job.weekly, d),
            day_text(job.benefit_start, d),
            "",
            "",
        ]
        for job in jobs
    ]
    return _csv(FLEX_JOBS.column_names, lines, flavour)


def benefits_file(benefits: Sequence[Benefit], hyphens: dict[int, bool], flavour: Flavour) -> bytes:
    d = flavour.danish
    lines = [
        [
            cpr_text(b.cpr, hyphens[b.cpr]),
            b.benefit,
            day_text(b.start, d),
            day_text(b.end, d),
            hundredths_text(b.amount, d),
        ]
        for b in sorted(benefits, key=lambda b: (b.cpr, b.start))
    ]
    return _csv(OTHER_BENEFITS.column_names, lines, flavour)
