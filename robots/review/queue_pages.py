"""The queue: every open case, filtered, most kroner at stake first, then longest waiting,
with the count and sum at the top; taking a case and giving it back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as Redirect

from checks import rules as catalogue
from robots import registry
from robots.core.ledger import cases
from robots.core.ledger.cases import KANALER, CaseRefused, QueueFilter
from robots.core.ledger.staff import Action
from robots.review import ledger_access
from robots.review.cells import kroner_as_oere
from robots.review.guard import needs
from robots.review.queue_workbook import import_decisions, queue_workbook

pages = Blueprint("queue", __name__)

STATUSES = {
    "": "every open case",
    "open": "open (nobody holds it)",
    "taken": "taken by a reviewer",
    "awaiting_approval": "waiting for a second person",
    "decided": "decided",
    "superseded": "replaced by a newer version",
}


@pages.route("/")
@needs()
def start() -> Redirect:
    if current_user.may(Action.SEE_QUEUE):
        return redirect(url_for("queue.queue"))
    return redirect(url_for("staff.staff_list"))


@dataclass(frozen=True)
class FilterForm:
    """The filter as typed, and what it means (a value that is not understood is said, and
    narrows nothing)."""

    values: dict[str, str]
    queue_filter: QueueFilter
    problems: list[str]
    page: int


def read_filter(args: Any) -> FilterForm:
    """The queue's filter from the query string."""
    values = {k: str(args.get(k, "")).strip()[:64] for k in _FIELDS}
    problems: list[str] = []
    rules_by_id = {r.id: r for r in catalogue.catalogue()}
    rule_ids: tuple[str, ...] = ()
    if values["rule"]:
        if values["rule"] in rules_by_id:
            rule_ids = (values["rule"],)
        else:
            problems.append("rule: not a rule of the catalogue")
    if values["kind"]:
        kinds = {k.value for k in catalogue.Kind}
        if values["kind"] in kinds:
            of_kind = tuple(r.id for r in rules_by_id.values() if r.kind == values["kind"])
            rule_ids = tuple(r for r in rule_ids if r in of_kind) if rule_ids else of_kind
        else:
            problems.append("kind: not a kind of exception")
    status = values["status"] if values["status"] in STATUSES else ""
    if values["status"] and not status:
        problems.append("status: not a status")
    kanal = values["kanal"] if values["kanal"] in KANALER else ""
    if values["kanal"] and not kanal:
        problems.append("kanal: not a channel")
    min_oere = _kroner(values["min_kr"], "least amount", problems)
    max_oere = _kroner(values["max_kr"], "largest amount", problems)
    min_days = _whole(values["min_days"], "days waiting", problems)
    page = _whole(values["page"], "page", problems) or 1
    queue_filter = QueueFilter(
        robot=values["robot"],
        rule_ids=rule_ids or (("-none-",) if values["kind"] and not problems else ()),
        status=status,
        kanal=kanal,
        min_oere=min_oere,
        max_oere=max_oere,
        min_days=min_days,
    )
    return FilterForm(values, queue_filter, problems, max(page, 1))


_FIELDS = ("robot", "rule", "kind", "status", "kanal", "min_kr", "max_kr", "min_days", "page")


def _kroner(text: str, name: str, problems: list[str]) -> int | None:
    if not text:
        return None
    oere = 0 if text.strip("0.,") == "" else kroner_as_oere(text)
    if oere is None:
        problems.append(f"{name}: not an amount in kroner")
    return oere


def _whole(text: str, name: str, problems: list[str]) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        problems.append(f"{name}: not a whole number")
        return None
    return int(text)


@pages.route("/queue")
@needs(Action.SEE_QUEUE)
def queue() -> str:
    form = read_filter(request.args)
    size = ledger_access.settings().review.page_size
    with ledger_access.engine().connect() as connection:
        page = cases.queue_page(
            connection=connection,
            queue_filter=form.queue_filter,
            limit=size,
            offset=(form.page - 1) * size,
        )
    return render_template(
        "queue.html",
        page=page,
        form=form,
        robots=list(registry.ROBOTS),
        rules=sorted(r.id for r in catalogue.catalogue()),
        kinds=[k.value for k in catalogue.Kind],
        statuses=STATUSES,
        kanaler=KANALER,
        pages=max((page.count + size - 1) // size, 1),
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pages.route("/queue.xlsx")
@needs(Action.SEE_QUEUE)
def workbook() -> Response:
    """The queue as the filter keeps it, to decide offline. CPR numbers are masked in the
    file whoever asks: a workbook leaves the workbench and its views are not logged."""
    form = read_filter(request.args)
    with ledger_access.engine().connect() as connection:
        rows = cases.queue_rows(connection=connection, queue_filter=form.queue_filter)
    body = queue_workbook(rows, mask_cpr=True)
    return Response(
        body,
        mimetype=XLSX,
        headers={"Content-Disposition": 'attachment; filename="sager.xlsx"'},
    )


@pages.route("/queue/import", methods=["GET", "POST"])
@needs(Action.DECIDE)
def import_workbook() -> str:
    """Decisions made offline in the queue's workbook: every row checked first, applied all
    or nothing through the same decisions as the case page, with a report of what was
    wrong."""
    if request.method == "GET":
        return render_template("import.html", report=None)
    upload = request.files.get("workbook")
    data = upload.read() if upload is not None else b""
    with ledger_access.engine().begin() as connection:
        report = import_decisions(
            connection,
            data,
            by=current_user.name,
            four_eyes_above_oere=ledger_access.settings().review.four_eyes_above_kroner * 100,
        )
    return render_template("import.html", report=report)


@pages.route("/cases/<int:case_id>/take", methods=["POST"])
@needs(Action.DECIDE, Action.DECIDE_RETURNS)
def take(case_id: int) -> Redirect:
    try:
        with ledger_access.engine().begin() as connection:
            cases.take(connection=connection, case_id=case_id, by=current_user.name)
        flash(f"You hold case {case_id} now.", "done")
    except CaseRefused as refused:
        flash(refused.message, "refused")
    return redirect(url_for("case.case", case_id=case_id))


@pages.route("/cases/<int:case_id>/give-back", methods=["POST"])
@needs(Action.DECIDE, Action.DECIDE_RETURNS)
def give_back(case_id: int) -> Redirect:
    try:
        with ledger_access.engine().begin() as connection:
            cases.give_back(connection=connection, case_id=case_id, by=current_user.name)
        flash(f"Case {case_id} is back in the queue.", "done")
    except CaseRefused as refused:
        flash(refused.message, "refused")
    return redirect(url_for("queue.queue"))
