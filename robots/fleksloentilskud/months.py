"""Which fleksjob months are due tonight, listed from the registers (pure, no I/O).

Subsidy month M is computed from wage month M-1 (domain.md 3.4), and only once M-1 is
complete in eIndkomst (config `complete_day`). Each night lists, for every month due, each
fleksjob that runs in it, and each fleksjob whose employer paid the citizen wage in the
wage month (so a job that ended, or has not begun, is still seen and refused by a rule
rather than passed over in silence). A month is listed with a digest of its facts: the
job, the wage month's income rows and any row of it that could not be read. The pipeline
skips a month whose digest the ledger already has, and settles one whose digest changed.
"""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from robots.core.robot import joined_text

LISTED_COLUMNS = ["job_id", "month", "cpr", "facts", "unreadable_rows"]
ANY_MONTH = "*"
"""An unreadable income row whose month could not be read holds every month of its citizen."""


def month_before(months: pd.Series) -> pd.Series:
    """Each `YYYY-MM` text's month before it, worked out once per distinct month (a night
    has a few months and a hundred thousand rows)."""
    codes, distinct = pd.factorize(months.astype("string"))
    before = np.array([str(pd.Period(m, freq="M") - 1) for m in distinct], dtype=object)
    return pd.Series(before[codes], index=months.index, dtype="string")


def month_of(day: date) -> pd.Period:
    return pd.Period(day, freq="M")


def latest_due_month(night: date, complete_day: int) -> pd.Period:
    """The newest subsidy month whose wage month is complete on `night`."""
    wage_month = month_of(night) - (1 if night.day >= complete_day else 2)
    return wage_month + 1


def months_due(
    night: date,
    *,
    complete_day: int,
    months_back: int,
    correction_months_back: int,
    first_month: str,
    corrected_wage_months: pd.Series,
    asked_for: str | None = None,
) -> list[str]:
    """The subsidy months to list tonight, oldest first: the last `months_back` due, and
    older ones whose wage month was corrected tonight (never before `first_month`, never a
    month not yet due). `asked_for`: that month alone, if it is due."""
    newest = latest_due_month(night, complete_day)
    first = pd.Period(first_month, freq="M")
    if asked_for is not None:
        month = pd.Period(asked_for, freq="M")
        return [str(month)] if first <= month <= newest else []
    recent = {newest - k for k in range(months_back)}
    oldest_correction = newest - correction_months_back
    corrected = {
        pd.Period(w, freq="M") + 1
        for w in corrected_wage_months.dropna().unique()
        if w != ANY_MONTH
    }
    wanted = {m for m in recent | corrected if first <= m <= newest and m > oldest_correction}
    return [str(m) for m in sorted(wanted)]


def list_months(
    months: list[str],
    jobs: pd.DataFrame,
    incomes: pd.DataFrame,
    unreadable: pd.DataFrame,
) -> pd.DataFrame:
    """One row per fleksjob and subsidy month due (LISTED_COLUMNS), sorted by job and month.

    `unreadable`: income rows that could not be read, as `cpr`, `period` (or ANY_MONTH),
    `place` (file and line).
    """
    if not months or not len(jobs):
        return pd.DataFrame({c: pd.Series(dtype="string") for c in LISTED_COLUMNS})
    month_index = pd.PeriodIndex(months, freq="M")
    starts = month_index.start_time
    ends = month_index.end_time.normalize()
    job_start = jobs["start_date"].to_numpy()
    job_end = jobs["end_date"].to_numpy()
    parts = []
    for month, first_day, last_day in zip(month_index, starts, ends, strict=True):
        running = (job_start <= np.datetime64(last_day)) & (
            np.isnat(job_end) | (job_end >= np.datetime64(first_day))
        )
        parts.append(pd.DataFrame({"at": np.flatnonzero(running), "month": str(month)}))
    candidates = pd.concat(parts, ignore_index=True)
    paid_by_employer = _paid_by_employer(months, jobs, incomes)
    listed = (
        pd.concat([candidates, paid_by_employer], ignore_index=True)
        .drop_duplicates()
        .reset_index(drop=True)
    )
    rows = jobs.iloc[listed["at"].to_numpy()].reset_index(drop=True)
    rows["month"] = listed["month"].to_numpy()
    rows["wage_month"] = month_before(rows["month"])
    rows["facts"], rows["unreadable_rows"] = _facts(rows, incomes, unreadable)
    out = rows[LISTED_COLUMNS].astype("string")
    return out.sort_values(["job_id", "month"], kind="stable").reset_index(drop=True)


def _paid_by_employer(months: list[str], jobs: pd.DataFrame, incomes: pd.DataFrame) -> pd.DataFrame:
    """(job row, month) where the job's employer paid the citizen wage in the wage month."""
    wage_months = {str(pd.Period(m, freq="M") - 1): m for m in months}
    wages = incomes[(incomes["income_type"] == "wage") & incomes["period"].isin(list(wage_months))][
        ["cpr", "payer_cvr", "period"]
    ].drop_duplicates()
    if not len(wages):
        return pd.DataFrame({"at": pd.Series(dtype="int64"), "month": pd.Series(dtype="object")})
    keyed = jobs[["cpr", "employer_cvr"]].reset_index(drop=True).rename_axis("at").reset_index()
    hits = keyed.merge(
        wages, left_on=["cpr", "employer_cvr"], right_on=["cpr", "payer_cvr"], how="inner"
    )
    return pd.DataFrame(
        {"at": hits["at"].to_numpy(), "month": hits["period"].map(wage_months).to_numpy()}
    )


_JOB_FACTS = [
    "cpr",
    "employer_cvr",
    "start_date",
    "end_date",
    "weekly_hours",
    "benefit_start_date",
    "full_time_wage",
    "visitation_date",
]


def _facts(
    rows: pd.DataFrame, incomes: pd.DataFrame, unreadable: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """Each listed month's facts, as a digest: the job (its id left out, so the same month
    under a second id of the same job is seen as the same), the month, the wage month's
    income rows of the citizen (in a fixed order) and its unreadable rows; and the
    unreadable rows as text."""
    job = joined_text([_text(rows[c]) for c in _JOB_FACTS] + [rows["month"].astype("string")])
    keys = rows["cpr"].astype("string") + "|" + rows["wage_month"].astype("string")
    income_text = _income_text(incomes, keys)
    paid = keys.map(income_text).astype("string").fillna("")
    bad = _unreadable_text(unreadable)
    held = (
        keys.map(bad).astype("string").fillna("")
        + ";"
        + (rows["cpr"].astype("string") + "|*").map(bad).astype("string").fillna("")
    ).str.strip(";")
    texts = job + "#" + paid + "#" + held
    plain = pa.array(texts, pa.string(), from_pandas=True).to_pylist()
    digests = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:40] for t in plain]
    places = held.str.replace("!", "", regex=False).replace("", pd.NA)
    return pd.Series(digests, index=rows.index, dtype="string"), places.astype("string")


def _text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").fillna("").astype("string")
    return values.astype("string").fillna("")


def _income_text(incomes: pd.DataFrame, wanted: pd.Series) -> pd.Series:
    """`cpr|period` -> that citizen-month's income rows as one text, rows in a fixed order
    (only for the citizen-months in `wanted`). Sorted and joined per month in Arrow: a
    national month is a million rows."""
    if not len(incomes):
        return pd.Series(dtype="string")
    key = incomes["cpr"].astype("string") + "|" + incomes["period"].astype("string")
    keep = key.isin(wanted.dropna().unique()).to_numpy(dtype=bool)
    if not keep.any():
        return pd.Series(dtype="string")
    rows = incomes[keep]
    row = joined_text(
        [_text(rows[c]) for c in ("payer_cvr", "income_type", "amount", "hours")], ","
    )
    table = pa.table(
        {
            "key": pa.array(key[keep], pa.string(), from_pandas=True),
            "row": pa.array(row, pa.string(), from_pandas=True),
        }
    ).sort_by([("key", "ascending"), ("row", "ascending")])
    grouped = table.group_by("key", use_threads=False).aggregate([("row", "list")])
    joined = pc.binary_join(grouped.column("row_list"), ";")
    return pd.Series(
        joined.to_numpy(zero_copy_only=False),
        index=grouped.column("key").to_numpy(zero_copy_only=False),
        dtype="string",
    )


def _unreadable_text(unreadable: pd.DataFrame) -> pd.Series:
    if not len(unreadable):
        return pd.Series(dtype="string")
    key = unreadable["cpr"].astype("string") + "|" + unreadable["period"].astype("string")
    frame = pd.DataFrame({"key": key, "row": "!" + unreadable["place"].astype("string")})
    return frame.sort_values(["key", "row"]).groupby("key", sort=False)["row"].agg(";".join)
