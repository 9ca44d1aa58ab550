"""The same claim in two files of one night is read once and paid once; a different claim
under a used id is a data error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from nightdata import (
    CARL,
    CLAIMS_HEADER,
    NIGHT_CLAIMS,
    PROVIDER,
    outcome_rows,
    run_robots_command,
    write_inbox,
)
from sqlalchemy import create_engine, text

from robots.core.pipeline.copies import split_copies
from robots.core.pipeline.ingest import FILE
from robots.core.pipeline.reading import LINE


def test_an_identical_claim_in_two_files_is_paid_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data)
    # The same claims re-exported under another name, in the other dialect (so the
    # file's bytes differ and only the content tells it is the same).
    resent = NIGHT_CLAIMS.replace(",", ";").replace("45.00", "45,00").replace("33.00", "33,00")
    write_inbox(data, claims=resent, name="claims_reexport.csv", registers=False)

    done = run_robots_command(data, tmp_path / "logs")

    assert done.returncode == 0, done.stdout + done.stderr
    rows = outcome_rows(done.stdout)
    c1 = [r for r in rows if r["claim_id"] == "C1"]
    assert sorted(r["outcome"] for r in c1) == ["already_processed", "paid"]
    assert next(r for r in c1 if r["outcome"] == "already_processed")["rule_ids"] == (
        "CLAIM-COPY-TONIGHT"
    )
    engine = create_engine(f"sqlite:///{data / 'ledger.sqlite'}")
    with engine.connect() as connection:
        paid = connection.execute(
            text("SELECT COUNT(*), SUM(amount_oere) FROM payment_items")
        ).one()
    engine.dispose()
    assert tuple(paid) == (2, 2869 + 2805)


def test_a_different_claim_under_a_used_id_is_a_data_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data)
    other = CLAIMS_HEADER + f"C4,{CARL},fysioterapi,{PROVIDER},2026-10-03,99.00,2026-10-05,\n"
    write_inbox(data, claims=other, name="other.csv", registers=False)

    done = run_robots_command(data, tmp_path / "logs")

    assert done.returncode == 0, done.stdout + done.stderr
    c4 = [r for r in outcome_rows(done.stdout) if r["claim_id"] == "C4"]
    assert [r["outcome"] for r in c4] == ["data_error", "data_error"]
    assert all("DQ-HC-CLAIM-ID-UNIQUE" in r["rule_ids"] for r in c4)


def test_split_copies_keeps_the_first_and_names_it() -> None:
    frame = pd.DataFrame(
        {
            "claim_id": pd.array(["A", "B", "A", "B", "C"], dtype="string"),
            "amount": pd.array([1, 2, 1, 3, None], dtype="Int64"),
            "day": pd.to_datetime(["2026-01-01"] * 5),
            FILE: [0, 0, 1, 1, 1],
            LINE: [2, 3, 2, 3, 4],
        }
    )
    kept, copies = split_copies(frame, "claim_id", ["claim_id", "amount", "day"], "claim_id")
    assert kept["claim_id"].tolist() == ["A", "B", "B", "C"]
    assert copies.repeated_ids.tolist() == ["B"]  # on two rows with different content
    assert copies.rows.to_dict("records") == [
        {
            "claim_ref": "A",
            "source_ref": "A",
            "file": 1,
            "line": 2,
            "original_file": 0,
            "original_line": 2,
        }
    ]


def test_split_copies_says_when_every_id_is_left_once() -> None:
    frame = pd.DataFrame(
        {
            "claim_id": pd.array(["A", "B", "A"], dtype="string"),
            FILE: [0, 0, 1],
            LINE: [2, 3, 2],
        }
    )
    kept, copies = split_copies(frame, "claim_id", ["claim_id"], "claim_id")
    assert kept["claim_id"].tolist() == ["A", "B"] and copies.repeated_ids.empty
    assert split_copies(kept, "claim_id", ["claim_id"])[1].repeated_ids.empty
