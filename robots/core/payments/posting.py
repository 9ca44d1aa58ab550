"""The posting file: each batch as balanced lines on the municipal chart of accounts.

One debit line per claim on the benefit's function (e.g. 5.48.67 art 5.2 for
helbredstillaeg) and one credit line for the whole batch on the bank account, so the
file balances to 0 and each line traces to its claim, batch and run.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from robots.core.errors import ConfigError
from robots.core.money import format_oere_plain
from robots.core.settings import config_dir

POSTING_COLUMNS = [
    "batch_id",
    "run_id",
    "posting_date",
    "line",
    "function",
    "function_name",
    "art",
    "grouping",
    "debit",
    "credit",
    "claim_id",
    "text",
]


@dataclass(frozen=True)
class Account:
    """One account of the chart of accounts, as config/accounts.toml gives it."""

    function: str
    function_name: str
    art: str
    grouping: str


@lru_cache(maxsize=8)
def account(section: str) -> Account:
    """The account for a benefit (or 'bank') from config/accounts.toml."""
    path = config_dir() / "accounts.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if section not in data:
        raise ConfigError(f"{path} has no [{section}] section: add its kontoplan function")
    entry = data[section]
    return Account(
        function=str(entry["function"]),
        function_name=str(entry.get("function_name", "")),
        art=str(entry.get("art", "")),
        grouping=str(entry.get("grouping", "")),
    )


def write_posting_file(
    path: Path,
    *,
    batch_id: str,
    run_id: str,
    posting_date: date,
    benefit_account: Account,
    bank_account: Account,
    claims: pd.DataFrame,
    title: str,
) -> int:
    """Write the batch's postings (claims: claim_id, amount_oere); return the total in øre."""
    amounts = claims["amount_oere"].to_numpy(dtype=np.int64)
    total = int(amounts.sum())
    debit = pd.DataFrame(
        {
            "batch_id": batch_id,
            "run_id": run_id,
            "posting_date": posting_date.isoformat(),
            "line": np.arange(1, len(claims) + 1),
            "function": benefit_account.function,
            "function_name": benefit_account.function_name,
            "art": benefit_account.art,
            "grouping": benefit_account.grouping,
            "debit": format_oere_plain(amounts),
            "credit": "",
            "claim_id": claims["claim_id"].to_numpy(),
            "text": title,
        }
    )
    credit = pd.DataFrame(
        [
            {
                "batch_id": batch_id,
                "run_id": run_id,
                "posting_date": posting_date.isoformat(),
                "line": len(claims) + 1,
                "function": bank_account.function,
                "function_name": bank_account.function_name,
                "art": bank_account.art,
                "grouping": bank_account.grouping,
                "debit": "",
                "credit": str(format_oere_plain(np.array([total]))[0]),
                "claim_id": "",
                "text": f"{title}: payment batch {batch_id}",
            }
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".tmp")
    lines = pd.concat([debit, credit], ignore_index=True)[POSTING_COLUMNS].astype({"line": "int64"})
    table = pa.Table.from_pandas(
        lines.astype({c: "string" for c in POSTING_COLUMNS if c != "line"}), preserve_index=False
    )
    # Arrow's CSV writer (C): a million posting lines in well under a second.
    pacsv.write_csv(
        table, partial, write_options=pacsv.WriteOptions(delimiter=";", quoting_style="needed")
    )
    os.replace(partial, path)
    return total
