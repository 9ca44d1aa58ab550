"""Files nobody on the team wrote, some of them hostile: each is refused with a reason a
caseworker understands (or read, where it is merely unusual), and the night goes on."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from nightdata import (
    ANNA,
    CLAIMS_HEADER,
    CLINIC,
    NIGHT_CLAIMS,
    PAID_OERE,
    PROVIDER,
    invoice_xml,
    run_robots_command,
    write_inbox,
)
from openpyxl import Workbook

from robots.core.pipeline.reading import UnreadableFileError, read_file
from robots.core.settings import InboxLimits
from robots.helbredstillaeg.datasets import HEALTH_CLAIMS


def _run(tmp_path: Path, **kwargs: str) -> tuple[str, dict, Path]:
    data = tmp_path / "data"
    done = run_robots_command(data, tmp_path / "logs", **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("Run "))
    report = json.loads((data / "outputs" / "runs" / run_id / "report.json").read_text())
    return done.stdout, report, data


def _reason(data: Path, name: str) -> str:
    [found] = (data / "quarantine").rglob(name + ".reason.txt")
    return found.read_text(encoding="utf-8")


def _zip_bomb(path: Path, rows: int) -> None:
    """An XLSX of a few hundred kB whose sheet unpacks to tens of MB of identical rows."""
    book = Workbook()
    book.active.append(CLAIMS_HEADER.strip().split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    row = "<row>" + "<c t='inlineStr'><is><t>x</t></is></c>" * 8 + "</row>"
    sheet = (
        "<worksheet xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>"
        f"<sheetData>{row * rows}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            target.writestr(part, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def test_an_xlsx_zip_bomb_is_quarantined_unread_and_the_night_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data)
    bomb = data / "inbox" / "health_claims" / "bomb.xlsx"
    _zip_bomb(bomb, rows=200_000)
    assert bomb.stat().st_size < 1_000_000

    _, report, data = _run(tmp_path)

    assert "zip bomb" in _reason(data, "bomb.xlsx")
    assert report["batches"][0]["total_oere"] == PAID_OERE
    assert {r["outcome"]: r["claims"] for r in report["outcomes"]}["data_error"] == 2


def test_a_file_with_more_rows_than_allowed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(NIGHT_CLAIMS, encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="5 rows, more than the 3 one file may have"):
        read_file(path, HEALTH_CLAIMS, InboxLimits(max_rows_per_file=3))


def test_a_link_in_the_inbox_is_never_followed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data, claims=CLAIMS_HEADER)
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text(
        CLAIMS_HEADER + f"L1,{ANNA},medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n",
        encoding="utf-8",
    )
    (data / "inbox" / "health_claims" / "linked.csv").symlink_to(elsewhere)

    _, report, data = _run(tmp_path)

    assert report["batches"] == [], "nothing behind the link is read or paid"
    assert elsewhere.exists() and "L1" in elsewhere.read_text(encoding="utf-8")
    linked = next(f for f in report["files"] if f["file"] == "linked.csv")
    assert linked["status"] == "quarantined" and "link" in linked["reason"]
    assert (data / "quarantine" / "health_claims" / "linked.csv").is_symlink()


def test_a_folder_no_dataset_knows_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data)
    (data / "inbox" / "helbreds_claims").mkdir()
    (data / "inbox" / "helbreds_claims" / "claims.csv").write_text(NIGHT_CLAIMS)
    (data / "inbox" / "health_claims" / "old").mkdir()

    stdout, report, _ = _run(tmp_path)

    said = {entry["path"]: entry["reason"] for entry in report["not_read"]}
    assert "no dataset reads" in said["inbox/helbreds_claims"]
    assert "inside a dataset's folder" in said["inbox/health_claims/old"]
    assert "inbox/helbreds_claims" in stdout


def test_text_a_spreadsheet_would_run_is_written_inert(tmp_path: Path) -> None:
    data = tmp_path / "data"
    claim = f"=HYPERLINK(1),{ANNA},medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n"
    write_inbox(data, claims=CLAIMS_HEADER + claim, name="@claims.csv")

    _, report, data = _run(tmp_path)

    with Path(report["outcome_file"]).open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["claim_id"] == "'=HYPERLINK(1)" and row["file"] == "'@claims.csv"
    assert row["outcome"] == "paid"
    posting = Path(report["batches"][0]["posting_file"]).read_text(encoding="utf-8")
    assert ';"\'=HYPERLINK(1)";' in posting and '"=HYPERLINK' not in posting


def test_a_file_with_carriage_returns_only_is_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data, claims=NIGHT_CLAIMS.replace("\n", "\r"), name="mac.csv")
    _, report, _ = _run(tmp_path)
    assert report["batches"][0]["total_oere"] == PAID_OERE


def test_a_row_longer_than_a_block_is_explained_in_plain_words(tmp_path: Path) -> None:
    data = tmp_path / "data"
    long_row = (
        f'C9,{ANNA},"medicin' + "x" * (2 << 20) + f'",{PROVIDER},2026-10-01,1.00,2026-10-02,\n'
    )
    write_inbox(data, claims=CLAIMS_HEADER + long_row, name="long.csv")
    _, _, data = _run(tmp_path)
    reason = _reason(data, "long.csv")
    assert "longer than 1 MB" in reason and "straddl" not in reason


def test_a_quote_never_closed_names_the_lines_it_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        CLAIMS_HEADER
        + f'C1,{ANNA},"medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n'
        + f"C2,{ANNA},medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n",
        encoding="utf-8",
    )
    raw = read_file(path, HEALTH_CLAIMS)
    [error] = raw.row_errors
    assert "not closed" in error.reason and "1 line(s)" in error.reason


def test_a_header_naming_a_column_twice_says_which(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("cpr,cpr,claim_id\n1,2,3\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="the column 'cpr' more than once"):
        read_file(path, HEALTH_CLAIMS)


def test_the_clinic_fixture_is_a_valid_cvr() -> None:
    weights = (2, 7, 6, 5, 4, 3, 2, 1)
    assert sum(int(d) * w for d, w in zip(CLINIC, weights, strict=True)) % 11 == 0


def test_an_e_invoice_with_an_embedded_pdf_is_paid(tmp_path: Path) -> None:
    import base64
    import os

    data = tmp_path / "data"
    write_inbox(data, claims=CLAIMS_HEADER)
    pdf = base64.encodebytes(b"%PDF-1.7\n" + os.urandom(7 * 1024 * 1024)).decode()
    attachment = (
        "<cac:AdditionalDocumentReference><cbc:ID>F500.pdf</cbc:ID><cac:Attachment>"
        f'<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="F500.pdf">'
        f"{pdf}</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>"
        "</cac:AdditionalDocumentReference>"
    )
    folder = data / "inbox" / "doctor_invoices"
    folder.mkdir(parents=True)
    (folder / "F500.xml").write_text(invoice_xml(inside=attachment), encoding="utf-8")
    assert (folder / "F500.xml").stat().st_size > 5 * 1024 * 1024

    _, report, _ = _run(tmp_path, robot="laegeregninger")

    assert [f["status"] for f in report["files"] if f["file"] == "F500.xml"] == ["read"]
    assert report["batches"][0]["total_oere"] == 154_400
