"""The bare steps of a night, timed beside it: the floor the ledger's cost is measured from.

A night does far more than this (registers, data quality, twenty rules, history, reports),
but its heavy work is five steps any payment robot must take. This probe takes exactly
those, on the night's own claim files, with nothing else: read the CSV (pyarrow), compute
each amount in øre (the share to kroner to øre, 85 %, rounded half up in integers),
insert every claim into an SQLite table with a unique key (one executemany, one commit),
and write one transfer per payee to a pain.001 file and validate it against the official
XSD and its totals (the robots' own writer and validator: the same file the night writes).

    python bench/bare_steps.py --input /path/to/generated/night [--rounds 3]

`bench/compare.py --bare` runs it beside the real night in one sitting, so the ratio
night / bare steps (the goal: at most 2.5) is measured on one machine at one time.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from robots.core.payments.pain001 import BatchHeader, Debtor, validate_pain001, write_pain001

SHARE_PERCENT = 85
"""A made-up share: the probe times arithmetic, not the law."""


def read(folder: Path) -> pa.Table:
    """Every health_claims CSV of the night, the columns the probe needs, as text."""
    tables = []
    for path in sorted((folder / "inbox" / "health_claims").glob("*.csv")):
        tables.append(
            pacsv.read_csv(
                path,
                # The demo plants malformed rows; the bare steps skip them unread.
                parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
                convert_options=pacsv.ConvertOptions(
                    include_columns=["claim_id", "cpr", "citizen_share"],
                    column_types={
                        "claim_id": pa.string(),
                        "cpr": pa.string(),
                        "citizen_share": pa.string(),
                    },
                ),
            )
        )
    return pa.concat_tables(tables)


def compute(claims: pa.Table) -> pa.Table:
    """Amounts in øre: the share's kroner as øre (via decimal), 85 % rounded half up."""
    share_text = claims.column("citizen_share")
    numeric = pc.match_substring_regex(share_text, r"^-?\d{1,9}(\.\d{1,2})?$")
    claims = claims.filter(numeric)
    share = pc.cast(claims.column("citizen_share"), pa.decimal128(14, 2))
    oere = pc.cast(pc.multiply(share, pa.scalar(100, pa.decimal128(5, 0))), pa.int64())
    amount = pc.divide(pc.add(pc.multiply(oere, SHARE_PERCENT), 50), 100)
    payee = pc.replace_substring(claims.column("cpr"), "-", "")
    once = ~pd.Series(claims.column("claim_id").to_pandas(types_mapper=pd.ArrowDtype)).duplicated()
    keep = pc.and_(pc.greater(amount, 0), pa.array(once.to_numpy(dtype=bool)))
    keep = pc.and_(keep, pc.match_substring_regex(payee, r"^\d{10}$"))
    return pa.table(
        {"key": claims.column("claim_id"), "payee": payee, "amount_oere": amount}
    ).filter(keep)


def insert(claims: pa.Table, database: Path) -> None:
    """Every claim into a table keyed uniquely, in one transaction."""
    connection = sqlite3.connect(database)
    connection.execute(
        "CREATE TABLE claims (key TEXT NOT NULL UNIQUE, payee TEXT NOT NULL, "
        "amount_oere INTEGER NOT NULL)"
    )
    rows = zip(
        claims.column("key").to_pylist(),
        claims.column("payee").to_pylist(),
        claims.column("amount_oere").to_pylist(),
        strict=True,
    )
    connection.executemany("INSERT INTO claims VALUES (?, ?, ?)", rows)
    connection.commit()
    connection.close()


def pay(claims: pa.Table, folder: Path) -> int:
    """One transfer per payee, written as pain.001 and validated; the transfers' count."""
    per_payee = claims.group_by("payee").aggregate([("amount_oere", "sum")])
    count = per_payee.num_rows
    transfers = pd.DataFrame(
        {
            "end_to_end_id": [f"BARE-{n:08d}" for n in range(count)],
            "payee_kind": "cpr",
            "payee_id": per_payee.column("payee").to_numpy(zero_copy_only=False),
            "amount_oere": per_payee.column("amount_oere_sum").to_numpy().astype(np.int64),
            "remittance": "Helbredstillaeg",
        }
    )
    header = BatchHeader(
        msg_id="BARE-1",
        created_at=datetime.now(UTC).replace(microsecond=0),
        execution_date=date(2026, 11, 24),
        debtor=Debtor(
            name="Lyngby-Taarbaek Kommune",
            iban="DK5000400440116243",
            bic="DABADKKK",
            cvr="11715311",
        ),
    )
    path = folder / "bare.pain001.xml"
    summary = write_pain001(path, header, transfers)
    validate_pain001(path, expected=summary)
    return count


def bare_steps(folder: Path) -> dict[str, float | int]:
    """The four steps once, each timed (seconds), in a scratch folder."""
    timings: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory(prefix="robots-bare-") as scratch:
        began = time.perf_counter()
        claims = read(folder)
        timings["read"] = time.perf_counter() - began
        start = time.perf_counter()
        computed = compute(claims)
        timings["compute"] = time.perf_counter() - start
        start = time.perf_counter()
        insert(computed, Path(scratch) / "bare.sqlite")
        timings["insert"] = time.perf_counter() - start
        start = time.perf_counter()
        timings["transfers"] = pay(computed, Path(scratch))
        timings["pain001"] = time.perf_counter() - start
        timings["total"] = time.perf_counter() - began
        timings["claims"] = computed.num_rows
    return timings


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--input", type=Path, required=True, help="a generated night's folder")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    for _ in range(args.rounds):
        sys.stdout.write(json.dumps(bare_steps(args.input)) + "\n")
