"""What the run report says: no held or rejected claim reads as money going out, a
provisional fee is named whatever its rule is called, and the catalogue says what happens."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from nightdata import (
    BO,
    CLAIMS_HEADER,
    NIGHT_CLAIMS,
    PROVIDER,
    run_robots_command,
    write_inbox,
    write_invoices,
)

import robots.registry  # noqa: F401  (a robot's rules are registered by importing it)
from checks.rules import get
from robots.core.pipeline.report import OUTCOME_ORDER, PAYING_OUTCOMES, outcome_table

NIGHT = date(2026, 11, 23)


def _report(stdout: str, data: Path) -> tuple[str, dict]:
    run_id = next(line.split()[1] for line in stdout.splitlines() if line.startswith("Run "))
    folder = data / "outputs" / "runs" / run_id
    text = (folder / "report.txt").read_text(encoding="utf-8")
    return text, json.loads((folder / "report.json").read_text(encoding="utf-8"))


def test_held_and_rejected_claims_show_no_paid_kroner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # C2 is rejected (dead before the service); H1 is held (died since the service).
    held = f"H1,{BO},medicin,{PROVIDER},2026-01-10,100.00,2026-01-12,\n"
    write_inbox(data, claims=NIGHT_CLAIMS + held)
    done = run_robots_command(data, tmp_path / "logs")
    assert done.returncode == 0, done.stdout + done.stderr
    text, report = _report(done.stdout, data)

    rows = {row["outcome"]: row for row in report["outcomes"]}
    assert rows["paid"]["paid_oere"] == 2869 + 2805
    assert rows["held"]["paid_oere"] is None and rows["held"]["held_oere"] == 8500
    assert rows["rejected"]["paid_oere"] is None and rows["rejected"]["held_oere"] is None
    held_line = next(line for line in text.splitlines() if line.startswith("held for"))
    rejected_line = next(line for line in text.splitlines() if line.startswith("rejected"))
    assert "85,00 kr. computed, not paid" in held_line
    # Columns: outcome (38), claims (8), claimed kr. (16), paid kr. (18).
    assert held_line[62:80].strip() == "-" and rejected_line[62:80].strip() == "-"
    assert "to pay kr." not in text


def test_a_provisional_fee_is_reported_as_provisional(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data, claims=CLAIMS_HEADER)
    write_invoices(data)
    done = run_robots_command(data, tmp_path / "logs", robot="laegeregninger")
    assert done.returncode == 0, done.stdout + done.stderr
    text, report = _report(done.stdout, data)
    assert {row["outcome"]: row["claims"] for row in report["outcomes"]}["paid"] == 2
    assert report["provisional_rates_used"] is True
    assert report["provisional_rules"] == ["LR-PROVISIONAL-FEE-DEMO"]
    assert "DEMO: some claims were paid on provisional rates or fees" in text


def test_the_catalogue_says_what_happens_without_calling_a_skipped_file_paid() -> None:
    for rule_id in ("FILE-ALREADY-PROCESSED", "CLAIM-ALREADY-PROCESSED"):
        assert "paid;" not in get(rule_id).action
        assert "never" in get(rule_id).action or "nothing" in get(rule_id).action
    assert get("HT-PROVISIONAL-RATE-DEMO").action.startswith("paid")
    listed = subprocess.run(
        [sys.executable, "-m", "robots.cli", "rules"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin"},
    ).stdout
    line = next(row for row in listed.splitlines() if "FILE-ALREADY-PROCESSED" in row)
    assert "nothing in the file is read or paid" in line


def test_rule_ids_name_what_they_catch() -> None:
    """A bill received before its service is caught by a rule that says 'before'."""
    assert "before the service" in get("DQ-HC-RECEIVED-BEFORE-SERVICE").looks_for
    assert "before the certificate" in get("DQ-INV-INVOICED-BEFORE-SERVICE").looks_for


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([*OUTCOME_ORDER, None]),
            st.none() | st.integers(-(10**9), 10**12),
            st.none() | st.integers(0, 10**12) | st.just("not øre"),
        ),
        max_size=30,
    )
)
def test_the_outcome_table_equals_a_plain_count_and_sum_per_outcome(rows: list[tuple]) -> None:
    """The grouped table against its plain twin: filter the rows of each outcome, count
    them, sum their øre (a missing or unreadable amount counts as 0)."""
    outcomes = pd.DataFrame(
        {
            "outcome": pd.Series([r[0] for r in rows], dtype="object"),
            "amount_oere": pd.Series([r[1] for r in rows], dtype="object"),
            "basis_oere": pd.Series([r[2] for r in rows], dtype="object"),
        }
    )

    def oere(value: object) -> int:
        return value if isinstance(value, int) else 0

    table = {row["outcome"]: row for row in outcome_table(outcomes)}
    for outcome in OUTCOME_ORDER:
        mine = [r for r in rows if r[0] == outcome]
        paid = sum(oere(r[1]) for r in mine)
        assert table[outcome]["claims"] == len(mine)
        assert table[outcome]["claimed_oere"] == sum(oere(r[2]) for r in mine)
        assert table[outcome]["paid_oere"] == (paid if outcome in PAYING_OUTCOMES else None)
        assert table[outcome]["held_oere"] == (paid if outcome == "held" else None)
