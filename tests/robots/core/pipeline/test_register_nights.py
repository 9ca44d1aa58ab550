"""Register extracts on real nights (`robots run`): a second file of a night is combined
with the first, a shrinking full extract is refused and the night goes on with the previous
register, and claims that missed a row only because of that wait and are decided when the
register comes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from nightdata import (
    BO,
    CARL,
    CLAIMS_HEADER,
    NIGHT_CLAIMS,
    PAID_OERE,
    PROVIDER,
    REGISTERS,
    run_robots_command,
    write_inbox,
)
from sqlalchemy import create_engine, text

CITIZENS_HEADER = "cpr;name;status;status_date;municipality_code;civil_status\n"
DORTE = "0404404568"  # a citizen who moves to the municipality


def _citizens(rows: int, extra: str = "") -> str:
    """A full CPR extract of Anna, Bo, Carl and `rows` other citizens."""
    _, known = REGISTERS["citizens/citizens.csv"]
    others = "".join(
        f"0101{60 + n % 30:02d}{2000 + n};Borger {n};active;;173;single\n" for n in range(rows)
    )
    return known + others + extra


def _night(
    tmp_path: Path, night: str, files: dict[str, str] | None = None
) -> tuple[dict, dict[str, dict[str, str]]]:
    data = tmp_path / "data"
    for relative, content in (files or {}).items():
        path = data / "inbox" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    done = run_robots_command(data, tmp_path / "logs", night=night)
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("Run "))
    folder = data / "outputs" / "runs" / run_id
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    with (folder / "outcomes.csv").open(encoding="utf-8", newline="") as handle:
        outcomes = {row["claim_id"]: row for row in csv.DictReader(handle)}
    report["text"] = (folder / "report.txt").read_text(encoding="utf-8")
    return report, outcomes


def _first_night(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data, claims=CLAIMS_HEADER)
    (data / "inbox" / "citizens" / "citizens.csv").write_text(_citizens(100), encoding="cp1252")
    report, _ = _night(tmp_path, "2026-11-22")
    assert report["registers"]["in_doubt"] == []


def test_a_second_small_citizens_file_of_a_night_is_combined_not_taken_alone(
    tmp_path: Path,
) -> None:
    _first_night(tmp_path)
    resend = (
        CITIZENS_HEADER
        + f"{CARL};Carl Øst;active;;173;married\n{BO};Bo Dahl;dead;01-03-2026;173;married\n"
    )
    write_inbox(tmp_path / "data", claims=NIGHT_CLAIMS, registers=False)
    report, outcomes = _night(
        tmp_path,
        "2026-11-23",
        {"citizens/citizens_a.csv": _citizens(100), "citizens/citizens_b.csv": resend},
    )
    assert outcomes["C1"]["outcome"] == "paid" and outcomes["C4"]["outcome"] == "paid"
    assert report["batches"][0]["total_oere"] == PAID_OERE
    assert any("2 files combined by key" in note for note in report["registers"]["notes"])
    assert report["registers"]["in_doubt"] == []


def test_a_shrinking_citizens_extract_is_refused_and_its_claims_wait_for_the_next(
    tmp_path: Path,
) -> None:
    _first_night(tmp_path)
    data = tmp_path / "data"
    # Night 2: only 7 citizens (Dorte new among them) in a file that claims to be full.
    small = (
        CITIZENS_HEADER
        + f"{DORTE};Dorte;active;;173;single\n"
        + "".join(f"0101{60 + n:02d}{2000 + n};Borger {n};active;;173;single\n" for n in range(6))
    )
    pensioners = (data / "archive").rglob("*pensioners.csv").__next__().read_text()
    claims = NIGHT_CLAIMS + f"D1,{DORTE},medicin,{PROVIDER},2026-11-01,45.00,2026-11-02,\n"
    write_inbox(data, claims=claims, registers=False)
    report, outcomes = _night(
        tmp_path,
        "2026-11-23",
        {
            "citizens/citizens.csv": small,
            "pensioners/pensioners_delta.csv": pensioners.splitlines()[0]
            + f"\n{DORTE},folkepension,100,10.00,2020-01-01,,2020-01-01\n",
        },
    )
    refused = next(f for f in report["files"] if f["file"] == "citizens.csv")
    assert refused["status"] == "quarantined" and "lacks 97 of the 103" in refused["reason"]
    assert [d["register"] for d in report["registers"]["in_doubt"]] == ["citizens"]
    assert "IN DOUBT citizens" in report["text"]
    # The night went on with yesterday's citizens: Anna and Carl are paid, Bo rejected.
    assert outcomes["C1"]["outcome"] == "paid" and outcomes["C2"]["outcome"] == "rejected"
    # Dorte is not in yesterday's register: her claim waits instead of a data error.
    assert outcomes["D1"]["outcome"] == "waiting"
    assert outcomes["D1"]["rule_ids"] == "CLAIM-WAITS-FOR-REGISTER,DQ-HC-CPR-KNOWN"

    # Night 3: a full extract with Dorte is accepted; her claim is decided and paid.
    report, outcomes = _night(
        tmp_path,
        "2026-11-24",
        {"citizens/citizens.csv": _citizens(100, f"{DORTE};Dorte;active;;173;single\n")},
    )
    assert report["registers"]["in_doubt"] == []
    assert outcomes["D1"]["outcome"] == "paid"
    engine = create_engine(f"sqlite:///{data / 'ledger.sqlite'}")
    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT COUNT(*) FROM waiting_claims WHERE resolved_run_id IS NULL")
        ).scalar_one()
    engine.dispose()
    assert left == 0

    # Night 4: nothing waits, nothing more is paid.
    report, outcomes = _night(tmp_path, "2026-11-25")
    assert outcomes == {} and report["batches"] == []


def test_a_register_never_received_makes_claims_wait_not_the_run_fail(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data)
    (data / "inbox" / "companies" / "companies.csv").unlink()
    report, outcomes = _night(tmp_path, "2026-11-23")
    assert [d["register"] for d in report["registers"]["in_doubt"]] == ["companies"]
    assert outcomes["C1"]["outcome"] == "waiting"
    assert "HT-PROVIDER-UNKNOWN" in outcomes["C1"]["rule_ids"]
    assert outcomes["C2"]["outcome"] == "rejected", "dead before the service: decided"

    _, registers = REGISTERS["companies/companies.csv"]
    report, outcomes = _night(tmp_path, "2026-11-24", {"companies/companies.csv": registers})
    assert outcomes["C1"]["outcome"] == "paid" and outcomes["C4"]["outcome"] == "paid"
    assert report["batches"][0]["total_oere"] == PAID_OERE


def test_claims_wait_at_most_max_days_then_are_decided(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data)
    (data / "inbox" / "companies" / "companies.csv").unlink()
    _night(tmp_path, "2026-11-09")
    _, outcomes = _night(tmp_path, "2026-11-22")
    assert outcomes["C1"]["outcome"] == "waiting"
    _, outcomes = _night(tmp_path, "2026-11-23")  # 14 days: decided on what there is
    assert outcomes["C1"]["outcome"] == "held"
    assert outcomes["C1"]["rule_ids"] == "HT-PROVIDER-UNKNOWN"


def test_a_small_file_beside_an_unchanged_full_extract_is_laid_over_it(tmp_path: Path) -> None:
    """Night 2 sends the same full extract as night 1 (seen before, not read again) and a
    file of corrections: the corrections are laid over the register, not taken for it."""
    _first_night(tmp_path)
    corrections = CITIZENS_HEADER + f"{CARL};Carl Øst;active;;173;single\n"
    data = tmp_path / "data"
    write_inbox(data, claims=NIGHT_CLAIMS, registers=False)
    (data / "inbox" / "citizens" / "citizens.csv").write_text(_citizens(100), encoding="cp1252")
    report, outcomes = _night(
        tmp_path, "2026-11-23", {"citizens/citizens_rettelser.csv": corrections}
    )
    status = {f["file"]: f["status"] for f in report["files"] if f["dataset"] == "citizens"}
    assert status == {"citizens.csv": "seen_before", "citizens_rettelser.csv": "read"}
    assert report["registers"]["in_doubt"] == []
    assert outcomes["C1"]["outcome"] == "paid" and outcomes["C4"]["outcome"] == "paid"
