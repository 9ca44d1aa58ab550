"""Finance's reconciliation of a month, over real toy nights and bank answers, on SQLite
and PostgreSQL: every total recomputed independently from the ledger; the workbook
recalculated headless in LibreOffice gives the same checks; a rejected transfer and an
unmatched bank line are named and every other difference is 0; a missing payment file
shows as a non-zero check in the batches' row."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from robots.core.finance.export import export_reconciliation
from robots.core.finance.reconciliation_workbook import reconciliation_workbook
from tests.robots.toy.banking import Bank, camt054, pain002

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def _ledger_sum(bank: Bank, sql: str) -> int:
    with bank.nights.engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one() or 0)


def _checks(book_bytes: bytes, *, data_only: bool = False) -> dict[str, object]:
    sheet = load_workbook(BytesIO(book_bytes), data_only=data_only)["Kontrol"]
    return {row[1].value: row[2].value for row in sheet.iter_rows(min_row=2)}


def test_a_month_with_a_rejected_transfer_and_an_unmatched_line(bank: Bank) -> None:
    batch, e2e, oere = bank.transfer("B1")
    bank.answer("status.xml", pain002("STS-1", batch, [(e2e, "RJCT", "AC04")]))
    bank.answer("stray.xml", camt054("CAMT-9", "DK5000400440116243", "NOT-OURS-1", 12_345))
    made = export_reconciliation(bank.nights.engine, *NOVEMBER, bank.data / "outputs")
    rec = made.reconciliation
    assert made.path.is_file() and not rec.ties_out
    by_what = {c.what: c for c in rec.checks}
    sent_back = by_what["transfers sent back (not paid; paid again only after a decision)"]
    assert sent_back.difference == oere == 260_000 and e2e in sent_back.items[0]
    stray = by_what["answer lines that fit no transfer"]
    assert stray.difference == 1 and "stray.xml" in stray.items[0]
    others = [c for c in rec.checks if c not in (sent_back, stray)]
    assert [c.difference for c in others] == [0] * len(others)
    # Every total again, straight from the ledger.
    assert int(rec.summary["paid_oere"].sum()) == _ledger_sum(
        bank, "SELECT SUM(amount_oere) FROM payment_items"
    )
    assert int(rec.batches["total_oere"].sum()) == _ledger_sum(
        bank, "SELECT SUM(total_oere) FROM payment_batches"
    )
    assert int(rec.bank["returned_oere"].sum()) == 260_000
    # Helbredstillaeg-like 50 %: the toy's account gives none, so no refusion is expected.
    assert list(rec.summary["refusion_oere"]) == [0]
    sheet = load_workbook(made.path)["Oversigt"]
    assert sheet["F3"].value == "=SUM(F2:F2)"
    front = load_workbook(made.path)["Forside"]
    assert front["B8"].value == "NEJ"


def test_a_missing_payment_file_shows_in_the_batches_row(bank: Bank) -> None:
    with bank.nights.engine.connect() as connection:
        path = connection.execute(text("SELECT payment_file FROM payment_batches")).scalar_one()
    Path(path).unlink()
    rec = export_reconciliation(bank.nights.engine, *NOVEMBER, bank.data / "outputs")
    check = next(c for c in rec.reconciliation.checks if c.what.startswith("payment files' c"))
    assert check.difference == -260_000 and "is missing" in check.items[0]


@pytest.mark.slow
def test_libreoffice_recalculates_the_same_checks(bank: Bank, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("REQUIRE_LIBREOFFICE=1 but LibreOffice (libreoffice-calc) is missing")
        pytest.skip("no LibreOffice here (apt-get install libreoffice-calc-nogui)")
    batch, e2e, _ = bank.transfer("B1")
    bank.answer("status.xml", pain002("STS-1", batch, [(e2e, "RJCT", "AC04")]))
    made = export_reconciliation(bank.nights.engine, *NOVEMBER, bank.data / "outputs")
    out = tmp_path / "recalculated"
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(made.path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    recalculated = _checks((out / made.path.name).read_bytes(), data_only=True)
    for check in made.reconciliation.checks:
        value = recalculated[check.what]
        expected = check.difference / 100 if check.unit == "øre" else check.difference
        assert value == pytest.approx(expected), check.what
    front = load_workbook(out / made.path.name, data_only=True)["Forside"]
    assert front["B7"].value == "NEJ"  # the live formula agrees: it does not tie out
    assert reconciliation_workbook(made.reconciliation)  # the bytes can be made again
