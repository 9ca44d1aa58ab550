"""A copy of a held bill under a new id is held too, naming the original: once the control
group releases the original, the copy would pay the same bill twice."""

from __future__ import annotations

from pathlib import Path

from nightdata import (
    ANNA,
    CLAIMS_HEADER,
    CLINIC,
    INVOICES_HEADER,
    PROVIDER,
    outcomes_by_claim,
    run_robots_command,
    write_inbox,
    write_invoices,
)
from sqlalchemy import create_engine, text


def test_a_copy_of_a_held_health_claim_is_held_and_names_the_original(tmp_path: Path) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    # 2025 rates are provisional: production holds the bill.
    bill = f"{ANNA},medicin,{PROVIDER},2025-06-01,45.00,2025-06-02,\n"
    write_inbox(data, claims=CLAIMS_HEADER + "P1," + bill)
    first = run_robots_command(data, logs, night="2026-11-22", mode="production")
    assert outcomes_by_claim(first.stdout)["P1"]["outcome"] == "held"

    # The same bill under a new id on a night that would pay it (demo pays provisional).
    write_inbox(data, claims=CLAIMS_HEADER + "P2," + bill, name="again.csv", registers=False)
    second = run_robots_command(data, logs, night="2026-11-23", mode="demo")

    copy = outcomes_by_claim(second.stdout)["P2"]
    assert copy["outcome"] == "held", second.stdout
    assert "HT-DUP-HELD" in copy["rule_ids"]
    engine = create_engine(f"sqlite:///{data / 'ledger.sqlite'}")
    with engine.connect() as connection:
        evidence = connection.execute(
            text("SELECT message FROM exceptions WHERE rule_id = 'HT-DUP-HELD'")
        ).scalar_one()
    engine.dispose()
    assert evidence.startswith("same bill as claim P1 (run HT-20261122T")
    assert evidence.endswith("held for the control group")


def test_a_copy_of_a_held_doctors_invoice_is_held(tmp_path: Path) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    write_inbox(data, claims=CLAIMS_HEADER)
    line = f"{CLINIC},R1,{ANNA},LÆ265,2026-10-25,2026-10-26,1544.00\n"
    write_invoices(data, INVOICES_HEADER + "F100," + line)
    first = run_robots_command(
        data, logs, night="2026-11-22", robot="laegeregninger", mode="production"
    )
    assert outcomes_by_claim(first.stdout)[f"{CLINIC}-F100-1"]["outcome"] == "held"

    write_invoices(data, INVOICES_HEADER + "F200," + line, name="again.csv")
    second = run_robots_command(data, logs, night="2026-11-23", robot="laegeregninger")

    copy = outcomes_by_claim(second.stdout)[f"{CLINIC}-F200-1"]
    assert copy["outcome"] == "held", second.stdout
    assert {"LR-DUP-HELD", "LR-REQUEST-HELD"} <= set(copy["rule_ids"].split(","))
