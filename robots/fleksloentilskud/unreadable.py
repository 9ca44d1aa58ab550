"""Income rows that could not be read, remembered until their month is sent again.

An unreadable eIndkomst row is a data error on its own row (the register's reading records
it), but the month it belongs to must not be paid without it: the wage it held is unknown.
The robot remembers each such row's citizen and month (from the row's text, where that
much could be read) in its state folder, and forgets it when a later night brings readable
rows for the same citizen and month (the month sent again). Each remembered row becomes
part of its month's facts, so the month is held, and decided again once the row is gone.

A row whose CPR number cannot be read names nobody: only its data error stands. A row
whose month cannot be read holds every month of its citizen listed tonight.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from robots.fleksloentilskud.months import ANY_MONTH

STATE_FILE = "unreadable_incomes.parquet"
COLUMNS = ["cpr", "period", "place", "night"]


def remembered(
    state_dir: Path, tonight: pd.DataFrame, taken_in: pd.DataFrame, night: date
) -> pd.DataFrame:
    """The unreadable rows still unresolved after tonight (also saved for the next night).

    `tonight`: the incomes register's unreadable rows of tonight (RegisterIntake.unreadable);
    `taken_in`: tonight's readable incomes rows.
    """
    path = state_dir / STATE_FILE
    kept = pd.read_parquet(path) if path.exists() else _empty()
    # Only a later night's rows resolve a row: tonight's own files may hold both (and a
    # night run again reads no file twice, so what tonight found stays remembered).
    earlier = (kept["night"] < night.isoformat()).to_numpy(dtype=bool)
    if len(taken_in) and earlier.any():
        sent_again = set(
            zip(taken_in["cpr"].astype(str), taken_in["period"].astype(str), strict=True)
        )
        cprs_sent = set(taken_in["cpr"].astype(str))
        resolved = earlier & np.array(
            [
                (cpr in cprs_sent) if period == ANY_MONTH else ((cpr, period) in sent_again)
                for cpr, period in zip(kept["cpr"], kept["period"], strict=True)
            ],
            dtype=bool,
        )
        kept = kept[~resolved]
    now = pd.concat([kept, _from_errors(tonight, night)], ignore_index=True)
    # A file read again after a crash names the same rows again: each is remembered once.
    now = now.drop_duplicates(subset=["cpr", "period", "place"], keep="first")
    state_dir.mkdir(parents=True, exist_ok=True)
    partial = state_dir / f".{STATE_FILE}.tmp"
    now.to_parquet(partial, index=False)
    os.replace(partial, path)
    return now


def _from_errors(errors: pd.DataFrame, night: date) -> pd.DataFrame:
    if not len(errors) or "text_cpr" not in errors:
        return _empty()
    cpr = errors["text_cpr"].astype("string").str.replace(r"[\s-]", "", regex=True)
    period = errors.get("text_period", pd.Series(pd.NA, index=errors.index)).astype("string")
    period = _as_month(period.str.strip())
    rows = pd.DataFrame(
        {
            "cpr": cpr,
            "period": period.fillna(ANY_MONTH),
            "place": errors["file_name"].astype("string")
            + " line "
            + errors["line"].astype("string"),
            "night": night.isoformat(),
        }
    )
    named = rows["cpr"].str.fullmatch(r"[0-9]{10}").fillna(False).astype(bool)
    return rows[named].drop_duplicates().reset_index(drop=True).astype("string")


def _as_month(text: pd.Series) -> pd.Series:
    """`YYYY-MM` from the forms the parser reads (`2026-11`, `11-2026`, `202611`); missing
    where the text is none of them."""
    forms = (
        (r"^([0-9]{4})-(0[1-9]|1[0-2])$", r"\1-\2"),
        (r"^(0[1-9]|1[0-2])-([0-9]{4})$", r"\2-\1"),
        (r"^([0-9]{4})(0[1-9]|1[0-2])$", r"\1-\2"),
    )
    out = pd.Series(pd.NA, index=text.index, dtype="string")
    for pattern, month in forms:
        hit = text.str.fullmatch(pattern).fillna(False).astype(bool)
        out[hit] = text[hit].str.replace(pattern, month, regex=True)
    return out


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in COLUMNS})
