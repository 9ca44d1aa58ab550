"""A førtidspensionist whose pension row started before 2003 is paid, with no award date in
the extract: the register shows the old scheme, so nobody needs to check it by hand."""

from __future__ import annotations

from pathlib import Path

from nightdata import (
    ANNA,
    CARL,
    CLAIMS_HEADER,
    PROVIDER,
    outcomes_by_claim,
    run_robots_command,
    write_inbox,
)


def test_old_scheme_shown_by_the_rows_start_is_paid_and_a_new_one_held(tmp_path: Path) -> None:
    data = tmp_path / "data"
    claims = CLAIMS_HEADER + (
        f"OLD,{ANNA},medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n"
        f"NEW,{CARL},medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n"
    )
    write_inbox(data, claims=claims)
    # The extract of a pension system that keeps no award date (the column is optional).
    (data / "inbox" / "pensioners" / "pensioners.csv").write_text(
        "cpr,pension_type,supplement_percent,liquid_assets,valid_from,valid_to\n"
        f"{ANNA},foertidspension,100,1000.00,1999-04-01,2015-12-31\n"
        f"{ANNA},foertidspension,75,1000.00,2016-01-01,\n"
        f"{CARL},foertidspension,100,1000.00,2008-01-01,\n",
        encoding="utf-8",
    )
    done = run_robots_command(data, tmp_path / "logs")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = outcomes_by_claim(done.stdout)
    assert rows["OLD"]["outcome"] == "paid" and rows["OLD"]["amount"] == "28.69"
    assert rows["NEW"]["outcome"] == "held" and rows["NEW"]["rule_ids"] == "HT-FOERTID-UNKNOWN"
