"""The queue exported to Excel and decided offline: the export has its drop-downs, masks CPR
numbers when asked and never turns outside text into a formula; an upload is checked row by
row and applied all or nothing through the same decisions as the case page, with every
wrong row reported. On SQLite and PostgreSQL."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Connection

from robots.core.ledger import cases
from robots.review import queue_workbook as qw
from tests.robots.review.workbench import MEMBERS, SECOND, Workbench

KIRSTEN = MEMBERS["control_group"]
FOUR_EYES_OERE = 100_000
"""As the workbench's settings: B3 (1.500 kr.) needs four eyes to recover or refer."""


def _rows(workbench: Workbench) -> list[dict[str, Any]]:
    with workbench.nights.engine.connect() as connection:
        return cases.queue_rows(connection=connection, queue_filter=cases.QueueFilter())


def _export(workbench: Workbench, *, mask_cpr: bool = True) -> bytes:
    return qw.queue_workbook(_rows(workbench), mask_cpr=mask_cpr)


def _fill(
    data: bytes, decisions: dict[str, tuple[Any, ...]], extra: Sequence[tuple[Any, ...]] = ()
) -> bytes:
    """The exported file with the fill-in columns (decision, amount, refer to, comment) set
    on the rows of the claims named, and extra rows (case id, then those four) below."""
    book = load_workbook(BytesIO(data))
    sheet = book[qw.SHEET]
    columns = [c.value for c in sheet[1]]
    first = columns.index(qw.DECISION) + 1
    claim = columns.index("Claim") + 1
    for row in range(2, sheet.max_row + 1):
        values = decisions.get(str(sheet.cell(row=row, column=claim).value))
        for offset, value in enumerate(values or ()):
            sheet.cell(row=row, column=first + offset, value=value)
    for values in extra:
        row = sheet.max_row + 1
        sheet.cell(row=row, column=1, value=values[0])
        for offset, value in enumerate(values[1:]):
            sheet.cell(row=row, column=first + offset, value=value)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _import(workbench: Workbench, data: bytes, by: str = KIRSTEN) -> qw.ImportReport:
    with workbench.nights.engine.begin() as connection:
        return qw.import_decisions(connection, data, by=by, four_eyes_above_oere=FOUR_EYES_OERE)


def _case_of(workbench: Workbench, claim_id: str) -> int:
    return next(int(r["case_id"]) for r in _rows(workbench) if r["claim_id"] == claim_id)


def _status(workbench: Workbench, case_id: int) -> str | None:
    with workbench.nights.engine.connect() as connection:
        return cases.case_status(connection=connection, case_id=case_id)


def _open_case_on_b1(connection: Connection, workbench: Workbench) -> int:
    """B1 is paid: a case opened by hand from a tip, so there is money to ask back."""
    claim = cases.claim_of_case(connection=connection, claim_pk=workbench.nights.pk("B1"))
    return cases.open_case_by_hand(
        connection=connection,
        claim_key=claim["idempotency_key"],
        kanal="tip",
        note="the bike was returned",
        by=KIRSTEN,
    )


def test_the_export_has_drop_downs_and_masks_cpr_when_asked(workbench: Workbench) -> None:
    masked = load_workbook(BytesIO(_export(workbench, mask_cpr=True)))
    sheet = masked[qw.SHEET]
    assert [c.value for c in sheet[1]] == list(qw.COLUMNS)
    assert sheet.freeze_panes == "A2"
    row = {name: cell.value for name, cell in zip(qw.COLUMNS, sheet[2], strict=True)}
    assert row["Claim"] == "B3"
    assert row["Person or payee"] == "030340-****"
    assert row["Amount (kr.)"] == 1500
    assert row["Status"] == "open"
    decision = _validation(sheet, "K2")
    assert decision.type == "list"
    assert decision.formula1 == '"release,stop,recover,refer,false_alarm,close,repay"'
    assert decision.showErrorMessage and decision.errorStyle == "stop" and decision.error
    assert _validation(sheet, "M2").formula1 == '"police,authority"'
    assert _validation(sheet, "L2").type == "decimal"
    assert qw.GUIDE_SHEET in masked.sheetnames

    clear = load_workbook(BytesIO(_export(workbench, mask_cpr=False)))[qw.SHEET]
    assert clear.cell(row=2, column=6).value == "0303403457"


def test_the_drop_down_covers_every_case_row() -> None:
    rows = [_synthetic(n) for n in range(1, 301)]
    sheet = load_workbook(BytesIO(qw.queue_workbook(rows, mask_cpr=True)))[qw.SHEET]
    ranges = {str(v.sqref) for v in sheet.data_validations.dataValidation}
    assert {"K2:K301", "L2:L301", "M2:M301"} <= ranges


def test_a_claim_text_that_looks_like_a_formula_stays_text() -> None:
    formula = '=HYPERLINK("http://evil.example","open me")'
    row = _synthetic(1, claim_id=formula, rule_ids="+1+1")
    data = qw.queue_workbook([row], mask_cpr=True)
    sheet = load_workbook(BytesIO(data))[qw.SHEET]
    assert sheet.cell(row=2, column=4).value == formula
    assert sheet.cell(row=2, column=4).data_type == "s"
    assert sheet.cell(row=2, column=7).value == "+1+1"
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_a_round_trip_releases_the_case(workbench: Workbench) -> None:
    case_id = _case_of(workbench, "B3")
    data = _fill(_export(workbench), {"B3": ("release", None, None, "receipt checked")})
    report = _import(workbench, data)
    assert report == qw.ImportReport(applied=1, problems=[], proposals=0)
    assert _status(workbench, case_id) == "decided"


def test_a_refer_above_the_limit_becomes_a_proposal(workbench: Workbench) -> None:
    case_id = _case_of(workbench, "B3")
    data = _fill(_export(workbench), {"B3": ("refer", None, "police", "forged receipt")})
    assert _import(workbench, data) == qw.ImportReport(applied=1, problems=[], proposals=1)
    assert _status(workbench, case_id) == "awaiting_approval"


@pytest.mark.parametrize(
    ("b1_row", "reason"),
    [
        (("approve", None, None, "fine"), "'approve' is not a decision"),
        (("stop", None, None, None), "needs a 'Comment'"),
        (("recover", None, None, "bike returned"), "recover needs 'Amount to recover (kr.)'"),
        (("recover", "lots", None, "bike returned"), "is not kroner and øre"),
        (("recover", "12,345", None, "bike returned"), "is not kroner and øre"),
        (("refer", None, "the press", "forged"), "refer needs 'Refer to'"),
        (("release", 100, None, "paid"), "only for recover"),
    ],
)
def test_one_bad_row_applies_nothing_and_is_reported(
    workbench: Workbench, b1_row: tuple[Any, ...], reason: str
) -> None:
    with workbench.nights.engine.begin() as connection:
        b1_case = _open_case_on_b1(connection, workbench)
    b3_case = _case_of(workbench, "B3")
    data = _fill(_export(workbench), {"B3": ("release", None, None, "checked"), "B1": b1_row})
    report = _import(workbench, data)
    assert report.applied == 0
    (problem,) = report.problems
    assert (problem.row, problem.case_id) == (3, str(b1_case))  # B3 first: more kroner
    assert reason in problem.reason
    assert _status(workbench, b3_case) == "open"


def test_a_case_that_does_not_exist_undoes_the_rows_applied_before_it(
    workbench: Workbench,
) -> None:
    b3_case = _case_of(workbench, "B3")
    data = _fill(
        _export(workbench),
        {"B3": ("release", None, None, "checked")},
        extra=[(99_999, "stop", None, None, "no such bike")],
    )
    report = _import(workbench, data)
    assert report.applied == 0
    assert report.problems == [qw.ImportProblem(3, "99999", "case 99999 does not exist")]
    assert _status(workbench, b3_case) == "open"  # released, then rolled back; not taken
    with workbench.nights.engine.connect() as connection:
        row = cases.case_row(connection=connection, case_id=b3_case)
    assert row is not None and row["taken_by"] is None


def test_every_wrong_row_is_reported_at_once(workbench: Workbench) -> None:
    with workbench.nights.engine.begin() as connection:
        _open_case_on_b1(connection, workbench)
    data = _fill(
        _export(workbench),
        {"B3": ("release", None, None, ""), "B1": ("recover", None, None, "returned")},
        extra=[("twelve", "stop", None, None, "x")],
    )
    decisions, problems = qw.read_decisions(data)
    assert decisions == []
    assert [p.row for p in problems] == [2, 3, 4]
    assert "not a case number" in problems[2].reason


def test_a_case_held_by_someone_else_is_refused(workbench: Workbench) -> None:
    b3_case = _case_of(workbench, "B3")
    with workbench.nights.engine.begin() as connection:
        cases.take(connection=connection, case_id=b3_case, by=SECOND)
    data = _fill(_export(workbench), {"B3": ("stop", None, None, "no receipt")})
    report = _import(workbench, data)
    assert report.applied == 0
    assert [p.reason for p in report.problems] == [f"case {b3_case} is held by {SECOND}"]
    assert _status(workbench, b3_case) == "taken"


def test_the_same_case_twice_is_refused(workbench: Workbench) -> None:
    b3_case = _case_of(workbench, "B3")
    data = _fill(
        _export(workbench),
        {"B3": ("release", None, None, "checked")},
        extra=[(b3_case, "stop", None, None, "changed my mind")],
    )
    report = _import(workbench, data)
    assert report.applied == 0
    (problem,) = report.problems
    assert problem.row == 3
    assert f"case {b3_case} is on row 2 already" in problem.reason
    assert _status(workbench, b3_case) == "open"


def test_amounts_are_read_danish_or_plain_to_the_oere(workbench: Workbench) -> None:
    export = _export(workbench)
    for amount, oere in [
        ("1.234,50", 123_450),
        ("1234,5", 123_450),
        ("1.234", 123_400),
        ("12.50", 1_250),
        (1234.5, 123_450),
        (700, 70_000),
    ]:
        data = _fill(export, {"B3": ("recover", amount, None, "returned")})
        (decision,), problems = qw.read_decisions(data)
        assert problems == []
        assert decision.amount_oere == oere, amount
    for wrong in ("0", "-5", "12.345,678", "1,234.50", 0.001):
        data = _fill(export, {"B3": ("recover", wrong, None, "returned")})
        assert qw.read_decisions(data)[0] == [], wrong


def test_recovering_paid_money_from_the_file(workbench: Workbench) -> None:
    with workbench.nights.engine.begin() as connection:
        b1_case = _open_case_on_b1(connection, workbench)
    data = _fill(_export(workbench), {"B1": ("recover", "500,00", None, "bike returned")})
    assert _import(workbench, data) == qw.ImportReport(applied=1, problems=[], proposals=0)
    assert _status(workbench, b1_case) == "decided"
    assert workbench.nights.life("B1").to_recover_oere == 50_000


@pytest.mark.parametrize(
    "upload",
    [
        b"case;decision\n1;release\n",
        b"PK\x03\x04 broken",
        b"",
    ],
)
def test_a_file_that_is_not_xlsx_gives_one_clear_problem(
    workbench: Workbench, upload: bytes
) -> None:
    report = _import(workbench, upload)
    assert report.applied == 0
    (problem,) = report.problems
    assert problem.row == 0
    assert "not an Excel workbook (.xlsx)" in problem.reason


def test_a_workbook_without_the_header_or_without_decisions_gives_one_problem(
    workbench: Workbench,
) -> None:
    book = Workbook()
    book.active.append(["case", "what"])  # type: ignore[union-attr]
    book.active.append([1, "release"])  # type: ignore[union-attr]
    out = BytesIO()
    book.save(out)
    (problem,) = _import(workbench, out.getvalue()).problems
    assert (problem.row, problem.case_id) == (0, "")
    assert "no header row with the columns Case, Decision" in problem.reason

    (untouched,) = _import(workbench, _export(workbench)).problems
    assert untouched.row == 0 and "no row has a 'Decision'" in untouched.reason


def test_a_caseworker_cannot_import_decisions(workbench: Workbench) -> None:
    b3_case = _case_of(workbench, "B3")
    data = _fill(_export(workbench), {"B3": ("release", None, None, "checked")})
    report = _import(workbench, data, by=MEMBERS["caseworker"])
    assert report.applied == 0
    assert [(p.row, p.reason) for p in report.problems] == [
        (0, f"{MEMBERS['caseworker']} may not decide")
    ]
    assert _status(workbench, b3_case) == "open"


def test_the_callers_rollback_takes_the_import_back(workbench: Workbench) -> None:
    """The savepoint is inside the caller's transaction, not a commit of its own (on
    SQLite too: robots.core.ledger.transactions begins the caller's transaction first)."""
    b3_case = _case_of(workbench, "B3")
    data = _fill(_export(workbench), {"B3": ("release", None, None, "checked")})
    with workbench.nights.engine.connect() as connection, connection.begin() as transaction:
        report = qw.import_decisions(
            connection, data, by=KIRSTEN, four_eyes_above_oere=FOUR_EYES_OERE
        )
        assert report.applied == 1
        transaction.rollback()
    assert _status(workbench, b3_case) == "open"


def _validation(sheet: Any, cell: str) -> Any:
    (found,) = [v for v in sheet.data_validations.dataValidation if cell in v.sqref]
    return found


def _synthetic(n: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "case_id": n,
        "robot": "cykeltilskud",
        "idempotency_key": f"key{n:08d}",
        "claim_id": f"B{n}",
        "period": "2026-11",
        "cpr": "0101501233",
        "payee_kind": "cpr",
        "payee_id": "0101501233",
        "rule_ids": "BIKE-OVER-CEILING",
        "amount_oere": 150_000,
        "days_waiting": 3,
        "status": "open",
    }
    return {**row, **changes}
