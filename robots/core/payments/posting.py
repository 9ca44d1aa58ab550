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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from robots.core.errors import ConfigError
from robots.core.money import format_oere_arrow, format_oere_plain
from robots.core.settings import config_dir
from robots.core.spreadsheet_safe import inert

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
    "refusion_percent",
    "refusion",
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
    state_refund_percent: int | None = None
    """The state's refusion of every payment on the account; None where it is per claim
    (the claims carry their own) or not given."""
    category_purpose: str = "GOVT"
    """The pain.001 category purpose of the benefit's payments (SUPP, SALA, PENS)."""


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
        state_refund_percent=(
            int(str(entry["state_refund_percent"]))
            if str(entry.get("state_refund_percent", "")).isdigit()
            else None
        ),
        category_purpose=str(entry.get("category_purpose", "GOVT")),
    )


def write_posting_file(
    path: Path,
    *,
    batch_id: str,
    run_id: str,
    posting_date: date,
    benefit_account: Account,
    bank_account: Account,
    claims: pa.Table,
    title: str,
) -> int:
    """Write the batch's postings (claims: claim_id, amount_oere, and where the robot's
    refusion is per claim `refusion_percent` and `posting_grouping`); return the total in
    øre. Each debit line says what the state reimburses of it (percent and kroner, rounded
    half up to the øre), so finance can reconcile the refusion with the payments.

    Built as Arrow columns and written by Arrow's CSV writer (C): a million posting lines
    in well under a second, with no Python object per line.
    """
    amounts = claims.column("amount_oere")
    count = claims.num_rows
    # Python integers: exact whatever the size, where an int64 sum could wrap around.
    total = sum(amounts.to_numpy().tolist())
    percent = _refusion_percents(claims, benefit_account)
    # Half up (away from zero for a credit): on the magnitude, the sign put back after.
    whole = pc.cast(amounts, pa.int64())
    magnitude = pc.divide(pc.add(pc.multiply(pc.abs(whole), percent), 50), 100)
    refusion = pc.if_else(pc.less(whole, 0), pc.negate(magnitude), magnitude)
    grouping = _repeat(benefit_account.grouping, count)
    if "posting_grouping" in claims.column_names:
        own = claims.column("posting_grouping")
        grouping = pc.if_else(pc.fill_null(pc.not_equal(own, ""), False), own, grouping)
    debit = _lines(
        count,
        batch_id=batch_id,
        run_id=run_id,
        posting_date=posting_date,
        line=pa.array(np.arange(1, count + 1), type=pa.int64()),
        posting_account=benefit_account,
        debit=format_oere_arrow(amounts),
        credit=_repeat("", count),
        claim_id=claims.column("claim_id"),
        text=_repeat(title, count),
        grouping=grouping,
        refusion_percent=pc.cast(percent, pa.string()),
        refusion=format_oere_arrow(refusion),
    )
    credit = _lines(
        1,
        batch_id=batch_id,
        run_id=run_id,
        posting_date=posting_date,
        line=pa.array([count + 1], type=pa.int64()),
        posting_account=bank_account,
        debit=_repeat("", 1),
        credit=pa.array([format_oere_plain(np.array([total]))[0]], type=pa.string()),
        claim_id=_repeat("", 1),
        text=_repeat(f"{title}: payment batch {batch_id}", 1),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".tmp")
    pacsv.write_csv(
        pa.concat_tables([debit, credit]),
        partial,
        write_options=pacsv.WriteOptions(delimiter=";", quoting_style="needed"),
    )
    _fsync(partial)  # on disk before the rename: once released, nothing writes it again
    os.replace(partial, path)
    return total


def _refusion_percents(claims: pa.Table, account: Account) -> pa.Array:
    """Each claim's refusion percent: its own where it has one, else the account's (0 where
    the account gives none)."""
    default = pa.scalar(account.state_refund_percent or 0, pa.int64())
    if "refusion_percent" not in claims.column_names:
        return pa.repeat(default, claims.num_rows)
    own = pc.cast(claims.column("refusion_percent"), pa.int64())
    return pc.if_else(pc.fill_null(pc.greater_equal(own, 0), False), own, default)


def _fsync(path: Path) -> None:
    """Flush a written file's contents to disk (publishing renames it, a crash must not
    leave the name pointing at an empty file)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _repeat(value: str, count: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), count)


def _lines(
    count: int,
    *,
    batch_id: str,
    run_id: str,
    posting_date: date,
    line: pa.Array,
    posting_account: Account,
    debit: pa.Array,
    credit: pa.Array,
    claim_id: pa.Array | pa.ChunkedArray,
    text: pa.Array,
    grouping: pa.Array | None = None,
    refusion_percent: pa.Array | None = None,
    refusion: pa.Array | pa.ChunkedArray | None = None,
) -> pa.Table:
    """Posting lines on one account, as a table in POSTING_COLUMNS order."""
    columns = {
        "batch_id": _repeat(batch_id, count),
        "run_id": _repeat(run_id, count),
        "posting_date": _repeat(posting_date.isoformat(), count),
        "line": line,
        "function": _repeat(posting_account.function, count),
        "function_name": _repeat(posting_account.function_name, count),
        "art": _repeat(posting_account.art, count),
        "grouping": grouping if grouping is not None else _repeat(posting_account.grouping, count),
        "debit": debit,
        "credit": credit,
        "refusion_percent": refusion_percent
        if refusion_percent is not None
        else _repeat("", count),
        "refusion": refusion if refusion is not None else _repeat("", count),
        "claim_id": inert(claim_id),
        "text": text,
    }
    return pa.table([columns[name] for name in POSTING_COLUMNS], names=POSTING_COLUMNS)
