"""The effect of the control work (domain.md 8.1), for any period (the year by default),
as a page and as XLSX: KL's columns per case, totals per rule, robot and channel, kroner
stopped before payment, the false-alarm rate per rule, and cases and kroner per month."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request

from robots.core import dates
from robots.core.ledger import effect
from robots.core.ledger.staff import Action
from robots.review import ledger_access
from robots.review.effect_report import KL_COLUMNS, EffectReport, build
from robots.review.effect_workbook import effect_workbook
from robots.review.guard import needs

pages = Blueprint("effect", __name__)

CASES_ON_THE_PAGE = 500
"""The page lists this many cases (a year can hold a hundred thousand); the XLSX has all."""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period() -> tuple[date, date, list[str]]:
    year = dates.today().year
    first, last, problems = date(year, 1, 1), date(year, 12, 31), []
    for name in ("from", "to"):
        text = request.args.get(name, "").strip()
        if not text:
            continue
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            problems.append(f"{name}: not a date (YYYY-MM-DD); the year is shown")
            continue
        if name == "from":
            first = day
        else:
            last = day
    if last < first:
        problems.append("to is before from; the year is shown")
        first, last = date(year, 1, 1), date(year, 12, 31)
    return first, last, problems


def _report(first: date, last: date) -> EffectReport:
    with ledger_access.engine().connect() as connection:
        rows = effect.effect_rows(connection=connection, first=first, last=last)
    return build(rows, first, last)


@pages.route("/effect")
@needs(Action.SEE_EFFECT)
def report() -> str:
    first, last, problems = _period()
    made = _report(first, last)
    top = max([m["cases"] for m in made.per_month] or [1])
    return render_template(
        "effect.html",
        report=made,
        problems=problems,
        columns=KL_COLUMNS,
        top=top,
        shown=CASES_ON_THE_PAGE,
    )


@pages.route("/effect.xlsx")
@needs(Action.SEE_EFFECT)
def workbook() -> Response:
    first, last, _ = _period()
    body = effect_workbook(_report(first, last))
    name = f"effekt_{first.isoformat()}_{last.isoformat()}.xlsx"
    return Response(
        body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
