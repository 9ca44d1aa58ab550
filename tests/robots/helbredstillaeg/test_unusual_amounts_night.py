"""A bill many times the usual for its type is held on a real night, judged against the
ledger's earlier bills; a large bill that is usual for its type is paid."""

from __future__ import annotations

from pathlib import Path

from nightdata import (
    CLAIMS_HEADER,
    PROVIDER,
    outcomes_by_claim,
    run_robots_command,
    write_inbox,
)

PEOPLE = [f"0101{50 + i:02d}{1000 + i}" for i in range(30)]


def _registers(data: Path) -> None:
    write_inbox(data, claims=CLAIMS_HEADER, name="empty.csv")
    inbox = data / "inbox"
    (inbox / "citizens" / "citizens.csv").write_text(
        "cpr,name,status,status_date,municipality_code,civil_status\n"
        + "".join(f"{cpr},Borger {i},active,,173,single\n" for i, cpr in enumerate(PEOPLE)),
        encoding="utf-8",
    )
    (inbox / "pensioners" / "pensioners.csv").write_text(
        "cpr,pension_type,supplement_percent,liquid_assets,valid_from,valid_to,awarded_date\n"
        + "".join(f"{cpr},folkepension,100,1000.00,2010-01-01,,2010-01-01\n" for cpr in PEOPLE),
        encoding="utf-8",
    )


def test_a_7500_kr_medicine_bill_is_held_and_a_15000_kr_denture_paid(tmp_path: Path) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    _registers(data)
    usual = CLAIMS_HEADER + "".join(
        f"M{i},{cpr},medicin,{PROVIDER},2026-10-01,{250 + 3 * i}.00,2026-10-02,\n"
        for i, cpr in enumerate(PEOPLE)
    )
    write_inbox(data, claims=usual, name="usual.csv", registers=False)
    first = run_robots_command(data, logs, night="2026-11-22")
    assert all(r["outcome"] == "paid" for r in outcomes_by_claim(first.stdout).values())

    tonight = CLAIMS_HEADER + (
        f"BIG,{PEOPLE[0]},medicin,{PROVIDER},2026-11-01,7500.00,2026-11-02,\n"
        f"TEETH,{PEOPLE[1]},tandprotese,{PROVIDER},2026-11-01,15000.00,2026-11-02,2026-10-01\n"
    )
    write_inbox(data, claims=tonight, name="tonight.csv", registers=False)
    second = run_robots_command(data, logs, night="2026-11-23")

    rows = outcomes_by_claim(second.stdout)
    assert rows["BIG"]["outcome"] == "held" and rows["BIG"]["rule_ids"] == "HT-HIGH-AMOUNT"
    assert rows["TEETH"]["outcome"] == "paid"
