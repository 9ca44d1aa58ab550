"""Finance's page: the reconciliation workbook of a month (or any period) as a download,
the same workbook `robots export reconciliation` writes."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request

from robots.core import dates
from robots.core.finance.export import reconciliation_of
from robots.core.finance.reconciliation_workbook import reconciliation_workbook
from robots.core.ledger.staff import Action
from robots.review import ledger_access
from robots.review.guard import needs

pages = Blueprint("finance", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period() -> tuple[date, date, list[str]]:
    """The month asked for (default: last month), or from/to."""
    today = dates.today()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    first, last = last_month_end.replace(day=1), last_month_end
    problems = []
    month = request.args.get("month", "").strip()
    if month:
        try:
            first = date.fromisoformat(f"{month}-01")
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        except ValueError:
            problems.append("month: not a month (YYYY-MM); last month is shown")
    return first, last, problems


@pages.route("/finance")
@needs(Action.RECONCILE)
def finance() -> str:
    first, last, problems = _period()
    return render_template(
        "finance.html", first=first, last=last, month=f"{first:%Y-%m}", problems=problems
    )


@pages.route("/finance/reconciliation.xlsx")
@needs(Action.RECONCILE)
def reconciliation() -> Response:
    first, last, _ = _period()
    body = reconciliation_workbook(reconciliation_of(ledger_access.engine(), first, last))
    name = f"afstemning_{first.isoformat()}_{last.isoformat()}.xlsx"
    return Response(
        body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
