"""A row that could not be read still names the claim it was: the project's claim id and the
id its sender gave it (a doctor's own invoice number), in the outcome file."""

from __future__ import annotations

from pathlib import Path

from nightdata import (
    ANNA,
    CARL,
    CLAIMS_HEADER,
    CLINIC,
    INVOICES_HEADER,
    PROVIDER,
    outcome_rows,
    run_robots_command,
    write_inbox,
    write_invoices,
)


def test_invoice_rows_with_an_impossible_date_or_a_broken_line_keep_their_ids(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    write_inbox(data, claims=CLAIMS_HEADER)
    write_invoices(
        data,
        INVOICES_HEADER
        + f"F300,{CLINIC},R1,{ANNA},LÆ265,2026-02-30,2026-10-26,1544.00\n"
        + f"F301,DK {CLINIC},R2,{CARL},LÆ125,2026-10-25,2026-10-26,397.00,extra\n",
    )
    done = run_robots_command(data, tmp_path / "logs", robot="laegeregninger")
    assert done.returncode == 0, done.stdout + done.stderr

    errors = {row["line"]: row for row in outcome_rows(done.stdout)}
    assert errors["2"]["outcome"] == "data_error" and errors["2"]["rule_ids"] == "READ-VALUE"
    assert (errors["2"]["claim_id"], errors["2"]["source_id"]) == (f"{CLINIC}-F300-1", "F300")
    assert errors["3"]["rule_ids"] == "READ-MALFORMED"
    assert (errors["3"]["claim_id"], errors["3"]["source_id"]) == (f"{CLINIC}-F301-1", "F301")


def test_a_health_claim_with_a_bad_amount_keeps_its_claim_id(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(
        data, claims=CLAIMS_HEADER + f"C7,{ANNA},medicin,{PROVIDER},2026-10-01,4x.00,2026-10-02,\n"
    )
    done = run_robots_command(data, tmp_path / "logs")
    [row] = outcome_rows(done.stdout)
    assert (row["claim_id"], row["source_id"], row["outcome"]) == ("C7", "C7", "data_error")
