"""The queue as an Excel workbook to decide offline, and the decisions read back from it.

The control group works through a long queue faster in a spreadsheet than case by case in
the browser, and sometimes away from it. The export carries each case with a drop-down
decision column; the import reads the decisions back, checks every row before anything is
applied, and applies them through `case_decisions.decide` (the one path that decides, with
its four eyes) all or nothing: half an upload applied would leave the reviewer guessing
which rows took effect. What was wrong is reported by spreadsheet row, so it can be fixed
in the same file and uploaded again.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Connection

from robots.core import cpr
from robots.core.errors import BusinessError
from robots.core.ledger import case_decisions, cases
from robots.core.ledger.case_decisions import REFER_TO, DecisionKind
from robots.core.ledger.staff import Action
from robots.core.ledger.transactions import savepoint
from robots.review.cells import KRONER_FORMAT, header, kroner_as_oere, put

SHEET = "Sager"
GUIDE_SHEET = "Vejledning"

CASE = "Case"
DECISION = "Decision"
RECOVER_AMOUNT = "Amount to recover (kr.)"
REFER = "Refer to"
COMMENT = "Comment"

EXPORT_COLUMNS = (
    CASE,
    "Robot",
    "Claim key",
    "Claim",
    "Period",
    "Person or payee",
    "Rules",
    "Amount (kr.)",
    "Days waiting",
    "Status",
)
FILL_IN_COLUMNS = (DECISION, RECOVER_AMOUNT, REFER, COMMENT)
COLUMNS = EXPORT_COLUMNS + FILL_IN_COLUMNS

MAX_DATA_ROWS = 200_000
"""More rows than any queue has: an upload beyond it is refused before it costs time."""
MAX_COMMENT = 2000
"""As the case page's comment field."""
MAX_KRONER = Decimal(10**10)
_HEADER_ROWS_SCANNED = 20
_COLUMNS_SCANNED = 50
"""Where the header is looked for: a few rows above it (a title) are tolerated, and a
sheet widened by stray cells costs nothing beyond these columns."""

_GUIDE = (
    "How to decide the queue offline",
    "",
    "Each row of the sheet 'Sager' is a case waiting in the queue. The columns from "
    f"'{CASE}' to 'Status' are the case as exported: leave them as they are.",
    f"{DECISION}: pick one from the list: " + ", ".join(k.value for k in DecisionKind) + ". "
    "Leave it empty to decide the case later; only rows with a decision are imported.",
    f"{RECOVER_AMOUNT}: only for recover, and required there: the kroner to ask back "
    "(e.g. 1.234,50).",
    f"{REFER}: only for refer, and required there: " + ", ".join(REFER_TO) + ".",
    f"{COMMENT}: required for every decision: why (it goes into the case's history).",
    "",
    "Upload the file in the workbench (Queue, Import decisions). Every row is checked "
    "first; if any row is wrong, nothing is applied and the report names each wrong row "
    "and why: fix them and upload the file again.",
    "Cases not yet taken are taken in your name; a case someone else holds is refused. "
    "Recover and refer above the four-eyes amount become proposals that a second member "
    "of the control group approves.",
)


@dataclass(frozen=True)
class OfflineDecision:
    """A row of the uploaded workbook that passed the checks a file can be given."""

    row: int
    case_id: int
    kind: DecisionKind
    comment: str
    amount_oere: int | None = None
    refer_to: str | None = None


@dataclass(frozen=True)
class ImportProblem:
    """What is wrong with a row (row 0: with the file as a whole)."""

    row: int
    case_id: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: `applied` rows went through (decided, or proposed for a second
    person: `proposals` of them), or none did and `problems` say why."""

    applied: int
    problems: list[ImportProblem] = field(default_factory=list)
    proposals: int = 0


def queue_workbook(rows: list[dict[str, Any]], *, mask_cpr: bool) -> bytes:
    """The queue's rows (`cases.queue_rows`) as an XLSX workbook to fill in offline.

    `mask_cpr` is for a reader without the right to see CPR numbers: the file leaves the
    workbench, so it shows no more than the pages would."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = SHEET
    header(sheet, COLUMNS)
    for r, row in enumerate(rows, start=2):
        put(sheet, r, 1, int(row["case_id"]))
        put(sheet, r, 2, row["robot"])
        put(sheet, r, 3, row["idempotency_key"])
        put(sheet, r, 4, row["claim_id"])
        put(sheet, r, 5, "" if row["period"] is None else str(row["period"]))
        put(sheet, r, 6, _person(row, mask_cpr))
        put(sheet, r, 7, row["rule_ids"] or "")
        put(sheet, r, 8, row["amount_oere"], kroner=True)
        put(sheet, r, 9, int(row["days_waiting"]))
        put(sheet, r, 10, row["status"])
    _drop_downs(sheet, last_row=max(len(rows) + 1, 2))
    for letter, width in (("C", 20), ("F", 16), ("H", 14), ("K", 14), ("L", 22), ("N", 50)):
        sheet.column_dimensions[letter].width = width
    guide = book.create_sheet(GUIDE_SHEET)
    for r, line in enumerate(_GUIDE, start=1):
        put(guide, r, 1, line)
    guide.column_dimensions["A"].width = 120
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _person(row: dict[str, Any], mask_cpr: bool) -> str:
    if row.get("cpr"):
        return cpr.mask(row["cpr"]) if mask_cpr else str(row["cpr"])
    kind, payee = str(row.get("payee_kind") or ""), str(row.get("payee_id") or "")
    if kind == "cpr" and mask_cpr:
        payee = cpr.mask(payee)
    return f"{kind.upper()} {payee}".strip()


def _drop_downs(sheet: Worksheet, *, last_row: int) -> None:
    """One validation per fill-in column over every case row (a range, not a rule per
    cell: 100,000 rows cost one element in the file)."""
    decisions = DataValidation(
        type="list",
        formula1='"' + ",".join(k.value for k in DecisionKind) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Not a decision",
        error="Pick a decision from the list: " + ", ".join(k.value for k in DecisionKind),
    )
    refer = DataValidation(
        type="list",
        formula1='"' + ",".join(REFER_TO) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Not a destination",
        error="Refer to one of: " + ", ".join(REFER_TO),
    )
    amount = DataValidation(
        type="decimal",
        operator="greaterThan",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Not an amount",
        error="The kroner to ask back, above 0 (e.g. 1234,50)",
    )
    for validation, column in ((decisions, "K"), (amount, "L"), (refer, "M")):
        sheet.add_data_validation(validation)
        validation.add(f"{column}2:{column}{last_row}")
    # The column's style, not one per cell: Excel formats what is typed into an empty cell
    # by its column.
    sheet.column_dimensions["L"].number_format = KRONER_FORMAT


def read_decisions(data: bytes) -> tuple[list[OfflineDecision], list[ImportProblem]]:
    """The decisions filled in on an uploaded workbook, and every row that is wrong.

    Only what the file alone can tell is checked here (a whole case id, a known decision,
    an exact amount, a destination, a comment, no case twice); what the ledger must say
    (the case exists, is open, is not held by another) is checked when applying."""
    if not data.startswith(b"PK\x03\x04"):
        return [], [_whole_file("the file is not an Excel workbook (.xlsx); save it as .xlsx")]
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:  # whatever openpyxl chokes on, the answer to the uploader is the same
        return [], [_whole_file("the file is not an Excel workbook (.xlsx) that can be read")]
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        return _read_sheet(sheet)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, AttributeError):
        # A sheet's XML is parsed as it is read: a damaged part shows only now.
        return [], [_whole_file("the workbook is damaged: its sheet cannot be read")]
    finally:
        book.close()


def _whole_file(reason: str) -> ImportProblem:
    return ImportProblem(row=0, case_id="", reason=reason)


def _read_sheet(sheet: Any) -> tuple[list[OfflineDecision], list[ImportProblem]]:
    rows: Iterator[tuple[int, tuple[Any, ...]]] = enumerate(
        sheet.iter_rows(values_only=True, max_col=_COLUMNS_SCANNED), start=1
    )
    where = _find_header(rows)
    if where is None:
        return [], [
            _whole_file(
                f"no header row with the columns {', '.join((CASE, *FILL_IN_COLUMNS))} "
                f"in the first {_HEADER_ROWS_SCANNED} rows (export the queue again)"
            )
        ]
    decisions: list[OfflineDecision] = []
    problems: list[ImportProblem] = []
    seen: dict[int, int] = {}
    data_rows = 0
    for number, values in rows:
        if not any(v is not None and str(v).strip() for v in values):
            continue
        data_rows += 1
        if data_rows > MAX_DATA_ROWS:
            return [], [_whole_file(f"the sheet has more than {MAX_DATA_ROWS:,} rows of cases")]
        cell = {name: values[index] for name, index in where.items()}
        if _text(cell[DECISION]) == "":
            continue
        case_id = _whole_number(cell[CASE])
        if case_id is not None and case_id in seen:
            problems.append(
                ImportProblem(
                    number,
                    str(case_id),
                    f"case {case_id} is on row {seen[case_id]} already: one decision a case",
                )
            )
            continue
        if case_id is not None:
            seen[case_id] = number
        decision = _check_row(number, cell)
        if isinstance(decision, ImportProblem):
            problems.append(decision)
        else:
            decisions.append(decision)
    return decisions, problems


def _find_header(rows: Iterator[tuple[int, tuple[Any, ...]]]) -> dict[str, int] | None:
    """The fill-in columns' positions, from the first row that names them all."""
    wanted = {name.casefold(): name for name in (CASE, *FILL_IN_COLUMNS)}
    for number, values in rows:
        found = {
            wanted[_text(v).casefold()]: index
            for index, v in enumerate(values)
            if _text(v).casefold() in wanted
        }
        if len(found) == len(wanted):
            return found
        if number >= _HEADER_ROWS_SCANNED:
            return None
    return None


def _check_row(number: int, cell: dict[str, Any]) -> OfflineDecision | ImportProblem:
    """The row as a decision, or the first thing wrong with it."""
    case_id = _whole_number(cell[CASE])
    shown = _text(cell[CASE])[:20] if case_id is None else str(case_id)

    def problem(reason: str) -> ImportProblem:
        return ImportProblem(number, shown, reason)

    if case_id is None:
        return problem(f"'{CASE}' is not a case number")
    try:
        kind = DecisionKind(_text(cell[DECISION]).lower().replace(" ", "_"))
    except ValueError:
        return problem(
            f"'{_text(cell[DECISION])[:40]}' is not a decision; one of "
            + ", ".join(k.value for k in DecisionKind)
        )
    amount_oere: int | None = None
    if _text(cell[RECOVER_AMOUNT]):
        amount_oere = kroner_as_oere(cell[RECOVER_AMOUNT])
        if amount_oere is None:
            return problem(
                f"'{RECOVER_AMOUNT}' is not kroner and øre above 0 (e.g. 1.234,50 or 1234.50)"
            )
        if kind is not DecisionKind.RECOVER:
            return problem(f"'{RECOVER_AMOUNT}' is only for recover, not for {kind.value}")
    elif kind is DecisionKind.RECOVER:
        return problem(f"recover needs '{RECOVER_AMOUNT}', the kroner to ask back")
    refer_to = _text(cell[REFER]).lower() or None
    if kind is DecisionKind.REFER and refer_to not in REFER_TO:
        return problem(f"refer needs '{REFER}': one of {', '.join(REFER_TO)}")
    if refer_to and kind is not DecisionKind.REFER:
        return problem(f"'{REFER}' is only for refer, not for {kind.value}")
    comment = _text(cell[COMMENT])
    if not comment:
        return problem(f"every decision needs a '{COMMENT}' saying why")
    if len(comment) > MAX_COMMENT:
        return problem(f"'{COMMENT}' is longer than {MAX_COMMENT} characters")
    return OfflineDecision(number, case_id, kind, comment, amount_oere, refer_to)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    text = _text(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def apply_decisions(
    connection: Connection,
    decisions: Sequence[OfflineDecision],
    *,
    by: str,
    four_eyes_above_oere: int,
) -> ImportReport:
    """Apply every decision, or none: inside the caller's transaction, under a savepoint
    that is rolled back if any row is refused. Every row is still tried, so the report
    names all that is wrong at once, not one per upload.

    Each decision goes through `case_decisions.decide`, so the import is held to the same
    rules as the case page (role, holder, comment, four eyes); a case not yet taken is
    taken in `by`'s name first, as a reviewer would before deciding.

    On SQLite the savepoint is only inside the caller's transaction once the engine sends
    its own BEGIN (pysqlite does not before a SAVEPOINT, so releasing the first one
    commits); tests/robots/review/test_queue_workbook.py holds this as a strict xfail."""
    try:
        cases.acting(connection=connection, name=by, action=Action.DECIDE)
    except BusinessError as refused:
        return ImportReport(applied=0, problems=[_whole_file(refused.message)])
    problems: list[ImportProblem] = []
    proposals = 0
    with savepoint(connection) as everything:
        for decision in decisions:
            try:
                # Each row under its own savepoint too: a refused row leaves nothing half
                # written, and PostgreSQL's transaction stays usable for the next row.
                with savepoint(connection):
                    proposals += _apply_one(connection, decision, by, four_eyes_above_oere)
            except BusinessError as refused:
                problems.append(ImportProblem(decision.row, str(decision.case_id), refused.message))
        if problems:
            everything.rollback()
            return ImportReport(applied=0, problems=problems, proposals=0)
    return ImportReport(applied=len(decisions), problems=[], proposals=proposals)


def _apply_one(
    connection: Connection, decision: OfflineDecision, by: str, four_eyes_above_oere: int
) -> int:
    """1 if the decision became a proposal waiting for a second person, else 0."""
    case = cases.case_row(connection=connection, case_id=decision.case_id)
    if case is None:
        raise cases.CaseRefused(f"case {decision.case_id} does not exist")
    if case["taken_by"] != by:
        cases.take(connection=connection, case_id=decision.case_id, by=by)
    result = case_decisions.decide(
        connection=connection,
        case_id=decision.case_id,
        kind=decision.kind.value,
        by=by,
        comment=decision.comment,
        four_eyes_above_oere=four_eyes_above_oere,
        amount_oere=decision.amount_oere,
        refer_to=decision.refer_to,
    )
    return 1 if result.waits_for_approval else 0


def import_decisions(
    connection: Connection, data: bytes, *, by: str, four_eyes_above_oere: int
) -> ImportReport:
    """An uploaded workbook read, checked and applied all or nothing: a file with any
    wrong row applies nothing, whether the file or the ledger found it wrong."""
    decisions, problems = read_decisions(data)
    if problems:
        return ImportReport(applied=0, problems=problems, proposals=0)
    if not decisions:
        return ImportReport(
            applied=0, problems=[_whole_file(f"no row has a '{DECISION}' filled in")]
        )
    return apply_decisions(connection, decisions, by=by, four_eyes_above_oere=four_eyes_above_oere)
