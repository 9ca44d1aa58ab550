"""What a clinic's bookkeeper sees on the bank statement: one line naming its own invoice
numbers, whole, as many as fit in 140 characters, with the count and the total."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from lxml import etree
from nightdata import (
    ANNA,
    CLAIMS_HEADER,
    CLINIC,
    INVOICES_HEADER,
    run_robots_command,
    write_inbox,
    write_invoices,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def test_a_clinic_paid_for_30_invoices_reads_its_own_numbers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data, claims=CLAIMS_HEADER)
    (data / "inbox" / "certificate_requests" / "requests.csv").write_text(
        "request_id,cpr,certificate_code,doctor_cvr,requested_date,case_area\n"
        + "".join(f"R{n},{ANNA},LÆ125,{CLINIC},2026-10-20,jobcenter\n" for n in range(30)),
        encoding="utf-8",
    )
    write_invoices(
        data,
        INVOICES_HEADER
        + "".join(
            f"2026-{7000 + n},{CLINIC},R{n},{ANNA},LÆ125,{day:%Y-%m-%d},2026-11-20,397.00\n"
            for n, day in enumerate(date(2026, 10, 21) + timedelta(days=d) for d in range(30))
        ),
    )
    done = run_robots_command(data, tmp_path / "logs", robot="laegeregninger")
    assert done.returncode == 0, done.stdout + done.stderr

    [payment] = (data / "outputs" / "payments").glob("*.xml")
    [text] = etree.parse(str(payment)).xpath("//p:Ustrd/text()", namespaces=NS)
    assert len(text) <= 140
    assert text.startswith("Laegeattester: fakt. 2026-7000, 2026-7001, ")
    assert text.endswith(" m.fl. (30 stk.)")
    listed = text.split(": fakt. ")[1].split(" m.fl.")[0].split(", ")
    assert all(number in {f"2026-{7000 + n}" for n in range(30)} for number in listed)
    assert CLINIC not in text, "the clinic's own numbers, not the project's claim ids"
