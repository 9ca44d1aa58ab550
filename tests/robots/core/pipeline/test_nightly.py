"""A whole night through the shared pipeline, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
from nightdata import ANNA, BO, CLAIMS_HEADER, PAID_OERE, PROVIDER, write_inbox
from sqlalchemy import create_engine, text

from robots.core.payments.pain001 import validate_pain001
from robots.core.pipeline.nightly import run_night
from robots.helbredstillaeg.robot import ROBOT

NIGHT = date(2026, 11, 23)


def _scalar(url: str, sql: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        value = connection.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def test_a_night_pays_clean_claims_and_explains_the_rest(ledger_url: str, settings_for) -> None:
    settings = settings_for(ledger_url)
    write_inbox(settings.data_dir)
    result = run_night(ROBOT, settings=settings, night=NIGHT)

    outcomes = result.outcomes.set_index("claim_id", drop=False)
    assert outcomes.loc["C1", "outcome"] == "paid" and outcomes.loc["C1", "amount_oere"] == 2869
    assert outcomes.loc["C4", "outcome"] == "paid" and outcomes.loc["C4", "amount_oere"] == 2805
    assert (
        outcomes.loc["C2", "outcome"] == "rejected" and outcomes.loc["C2", "rule_ids"] == "HT-DEAD"
    )
    assert outcomes.loc["C3", "outcome"] == "data_error"
    assert "DQ-HC-EXPENSE-TYPE" in outcomes.loc["C3", "rule_ids"]
    malformed = result.outcomes[result.outcomes["rule_ids"] == "READ-MALFORMED"]
    assert malformed["line"].tolist() == [5]

    assert len(result.batches) == 1
    batch = result.batches[0]
    assert batch.total_oere == PAID_OERE and batch.claims == 2 and batch.transfers == 2
    validate_pain001(batch.payment_file)
    postings = pd.read_csv(batch.posting_file, sep=";", dtype=str, keep_default_na=False)
    debit = sum(Decimal(v) for v in postings["debit"] if v)
    credit = sum(Decimal(v) for v in postings["credit"] if v)
    assert debit == credit == Decimal(PAID_OERE) / 100
    assert set(postings.loc[postings["debit"] != "", "function"]) == {"5.48.67"}

    inbox = settings.data_dir / "inbox"
    left = [p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file()]
    # Every file the robot reads leaves the inbox; the laegeregninger register waits for it.
    assert left == ["certificate_requests/requests.csv"]
    assert _scalar(ledger_url, "SELECT COUNT(*) FROM payment_items") == 2
    report = result.report_path.read_text(encoding="utf-8")
    assert (
        "paid straight through" in report
        and ANNA not in report
        and ANNA[:6] + "-" + ANNA[6:] not in report
    )
    # The outcome file other systems pick up: one row per claim row, exact amounts.
    with result.outcome_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "claim_id",
        "source_id",
        "outcome",
        "amount",
        "rule_ids",
        "file",
        "line",
        "run_id",
    ]
    by_claim = {row["claim_id"]: row for row in rows}
    assert len(rows) == len(result.outcomes) == 5
    assert by_claim["C1"] == {
        "claim_id": "C1",
        "source_id": "C1",
        "outcome": "paid",
        "amount": "28.69",
        "rule_ids": "",
        "file": "claims.csv",
        "line": "2",
        "run_id": result.run_id,
    }
    assert by_claim["C2"]["outcome"] == "rejected" and by_claim["C2"]["rule_ids"] == "HT-DEAD"
    broken = next(row for row in rows if row["rule_ids"] == "READ-MALFORMED")
    assert (broken["claim_id"], broken["amount"], broken["line"]) == ("", "", "5")


def test_running_the_same_night_again_pays_nothing_more(ledger_url: str, settings_for) -> None:
    settings = settings_for(ledger_url)
    write_inbox(settings.data_dir)
    run_night(ROBOT, settings=settings, night=NIGHT)
    # The same file again under another name, and no new file at all.
    write_inbox(settings.data_dir, name="claims_resent.csv", registers=False)
    again = run_night(ROBOT, settings=settings, night=NIGHT)
    assert again.batches == []
    assert [f.status for f in again.claim_files] == ["seen_before"]
    third = run_night(ROBOT, settings=settings, night=NIGHT)
    assert third.batches == [] and third.outcomes.empty
    assert _scalar(ledger_url, "SELECT COUNT(*) FROM payment_items") == 2
    assert _scalar(ledger_url, "SELECT SUM(amount_oere) FROM payment_items") == PAID_OERE


def test_redelivered_changed_and_duplicate_bills_are_caught(ledger_url: str, settings_for) -> None:
    settings = settings_for(ledger_url)
    write_inbox(settings.data_dir)
    run_night(ROBOT, settings=settings, night=NIGHT)
    anna = f"{ANNA[:6]}-{ANNA[6:]}"
    write_inbox(
        settings.data_dir,
        name="next.csv",
        registers=False,
        claims=CLAIMS_HEADER
        + f"C1,{anna},medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n"  # identical re-delivery
        + f"C4,{ANNA},fysioterapi,{PROVIDER},2026-10-03,99.00,2026-10-05,\n"  # same id, new content
        + f"C9,{ANNA},medicin,{PROVIDER},2026-10-01,45.00,2026-10-03,\n",  # same bill as paid C1
    )
    result = run_night(ROBOT, settings=settings, night=date(2026, 11, 24))
    outcomes = result.outcomes.set_index("claim_id")
    assert outcomes.loc["C1", "outcome"] == "already_processed"
    assert outcomes.loc["C4", "outcome"] == "held"
    assert outcomes.loc["C4", "rule_ids"] == "HT-RESUBMIT-CHANGED"
    assert outcomes.loc["C9", "outcome"] == "rejected"
    assert "HT-DUP-PAID" in outcomes.loc["C9", "rule_ids"]
    assert result.batches == []
    assert _scalar(ledger_url, "SELECT COUNT(*) FROM payment_items") == 2


def test_each_finding_is_linked_to_its_own_claim(ledger_url: str, settings_for) -> None:
    settings = settings_for(ledger_url)
    write_inbox(settings.data_dir)
    run_night(ROBOT, settings=settings, night=NIGHT)
    write_inbox(
        settings.data_dir,
        name="next.csv",
        registers=False,
        claims=CLAIMS_HEADER
        + f"C8,{BO},medicin,{PROVIDER},2026-10-02,10.00,2026-10-03,\n"  # dead: HT-DEAD
        + f"C9,{ANNA},medicin,{PROVIDER},2026-10-01,45.00,2026-10-03,\n",  # HT-DUP-PAID
    )
    run_night(ROBOT, settings=settings, night=date(2026, 11, 24))
    engine = create_engine(ledger_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        linked = connection.execute(
            text(
                "SELECT e.rule_id, e.claim_ref, c.claim_id, e.source_file_id, c.source_file_id, "
                "e.source_line, c.source_line FROM exceptions e JOIN claims c ON c.id = e.claim_pk"
            )
        ).fetchall()
    engine.dispose()
    assert {(r[0], r[1]) for r in linked} >= {
        ("HT-DEAD", "C2"),
        ("HT-DEAD", "C8"),
        ("HT-DUP-PAID", "C9"),
    }
    assert all(r[1] == r[2] and r[3] == r[4] and r[5] == r[6] for r in linked), linked


def test_unreadable_file_is_quarantined_with_a_reason_and_the_night_goes_on(
    ledger_url: str, settings_for
) -> None:
    settings = settings_for(ledger_url)
    write_inbox(settings.data_dir)
    broken = settings.data_dir / "inbox" / "health_claims" / "scan.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not really a workbook")
    result = run_night(ROBOT, settings=settings, night=NIGHT)
    quarantined = settings.data_dir / "quarantine" / "health_claims" / "scan.xlsx"
    assert quarantined.exists()
    reason = Path(str(quarantined) + ".reason.txt").read_text(encoding="utf-8")
    assert "not a readable Excel workbook" in reason
    assert result.exceptions_by_rule["FILE-UNREADABLE"] == 1
    assert result.batches and result.batches[0].total_oere == PAID_OERE


def test_production_mode_holds_claims_on_provisional_rates(ledger_url: str, settings_for) -> None:
    settings = settings_for(ledger_url, mode="production")
    claims = CLAIMS_HEADER + f"P1,{ANNA},medicin,{PROVIDER},2025-06-01,45.00,2025-06-02,\n"
    write_inbox(settings.data_dir, claims=claims)
    result = run_night(ROBOT, settings=settings, night=NIGHT)
    row = result.outcomes.set_index("claim_id").loc["P1"]
    assert row["outcome"] == "held" and row["rule_ids"] == "HT-PROVISIONAL-RATE"
    assert result.batches == []


def test_a_year_with_no_rate_file_holds_the_claim_and_the_night_goes_on(
    ledger_url: str, settings_for
) -> None:
    settings = settings_for(ledger_url)
    claims = CLAIMS_HEADER + (
        f"OLD,{ANNA},medicin,{PROVIDER},2019-06-01,45.00,2019-06-02,\n"
        f"NEW,{ANNA},medicin,{PROVIDER},2026-10-01,45.00,2026-10-02,\n"
    )
    write_inbox(settings.data_dir, claims=claims)
    result = run_night(ROBOT, settings=settings, night=NIGHT)
    rows = result.outcomes.set_index("claim_id")
    assert rows.loc["OLD", "outcome"] == "held" and "HT-NO-RATE" in rows.loc["OLD", "rule_ids"]
    assert rows.loc["NEW", "outcome"] == "paid"


def test_demo_mode_pays_on_provisional_rates_and_the_report_says_which_rule(
    ledger_url: str, settings_for
) -> None:
    settings = settings_for(ledger_url, mode="demo")
    claims = CLAIMS_HEADER + f"P1,{ANNA},medicin,{PROVIDER},2025-06-01,45.00,2025-06-02,\n"
    write_inbox(settings.data_dir, claims=claims)
    result = run_night(ROBOT, settings=settings, night=NIGHT)
    assert result.outcomes.set_index("claim_id").loc["P1", "outcome"] == "paid"
    report = result.report_path.read_text(encoding="utf-8")
    assert "paid on provisional rates or fees (see HT-PROVISIONAL-RATE-DEMO)" in report
    data = json.loads((result.report_path.parent / "report.json").read_text(encoding="utf-8"))
    assert data["provisional_rates_used"] is True
    assert data["provisional_rules"] == ["HT-PROVISIONAL-RATE-DEMO"]


def test_the_same_file_twice_in_one_night_is_read_once(settings_for) -> None:
    settings = settings_for(None)
    write_inbox(settings.data_dir)
    folder = settings.data_dir / "inbox" / "health_claims"
    original = sorted(folder.iterdir())[0]
    copy = folder / ("zz_copy_" + original.name)
    copy.write_bytes(original.read_bytes())
    result = run_night(ROBOT, settings=settings, night=NIGHT)
    status = {f.path.name: f.status for f in result.claim_files}
    assert status[original.name] == "read"
    assert status[copy.name] == "seen_before"
    assert (
        result.outcomes["amount_oere"]
        .fillna(0)
        .astype(int)[result.outcomes["outcome"] == "paid"]
        .sum()
        == PAID_OERE
    )
