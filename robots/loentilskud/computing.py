"""Each claim joined with its agreement, its employer, its person and what else that person
had in the period, and its amount computed (pure: frames in, a frame out, no per-row
Python: a night may bring 200,000 claims)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from robots.core.money import to_oere
from robots.core.rates import rates_by_year
from robots.loentilskud.amounts import covered_days_array, hour_cap_hundredths, loentilskud_oere

NAME = "loentilskud"
SECTORS = ("private", "public")
RATE_NAMES = {"private": "private_per_hour", "public": "public_per_hour"}
GROUPINGS = {("private", "dagpenge"): "114", ("public", "dagpenge"): "115"}
"""Posting groupings on 5.68.94 (S66): forsikrede ledige hos private (114) and offentlige
(115) arbejdsgivere; the other target groups' groupings are NOT FOUND (left blank)."""
REFUSION_PERCENT = 0
"""The state's refusion of the subsidy is NOT FOUND in the sources (config/accounts.toml):
0 % until finance confirms it."""

AGREEMENT_COLUMNS = {
    "cpr": "cpr",
    "employer_cvr": "agr_employer_cvr",
    "target_group": "target_group",
    "start_date": "agr_start",
    "end_date": "agr_end",
    "weekly_hours": "weekly_hours",
}


def _days(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[s]")


def _latest(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.drop_duplicates(key, keep="last").set_index(key)


def _positions(keys: pd.Series, table: pd.DataFrame) -> np.ndarray:
    """Where each key is in `table`'s index (unique: `_latest`), -1 where it is not: one
    hash lookup per register for every column taken from it. (`isin` on Arrow strings
    builds a Python scalar per value, and each `map` looked the keys up again: most of the
    stage's time on a national night, bench/loentilskud.py.)"""
    return np.asarray(table.index.get_indexer(keys), dtype=np.intp)


def _looked_up(table: pd.DataFrame, column: str, at: np.ndarray, index: pd.Index) -> object:
    """What `keys.map(table[column])` gives, from the positions: the column's own dtype,
    missing where the key is not in the table; NA for an empty table."""
    if not len(table):
        return pd.NA
    return pd.Series(table[column].array.take(at, allow_fill=True), index=index)


def join_registers(claims: pd.DataFrame, references: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each claim with its agreement, employer (CVR) and person (CPR)."""
    j = claims.reset_index(drop=True).copy()
    agreements = _latest(references["subsidy_agreements"], "agreement_id")
    at = _positions(j["agreement_id"], agreements)
    j["agr_known"] = at >= 0
    for column, name in AGREEMENT_COLUMNS.items():
        j[name] = _looked_up(agreements, column, at, j.index)
    for column in ("agr_start", "agr_end", "period_start", "period_end"):
        j[column] = _days(j[column])
    j["cpr"] = j["cpr"].astype("string")
    j["weekly_hours"] = j["weekly_hours"].astype("Int64")
    j["target_group"] = j["target_group"].astype("string")
    companies = _latest(references["companies"], "cvr")
    at = _positions(j["employer_cvr"], companies)
    j["comp_known"] = at >= 0
    for column in ("status", "status_date", "sector"):
        j[f"comp_{column}"] = _looked_up(companies, column, at, j.index)
    j["comp_status_date"] = _days(j["comp_status_date"])
    j["sector"] = j.pop("comp_sector").astype("string")
    citizens = _latest(references["citizens"], "cpr")
    at = _positions(j["cpr"], citizens)
    j["cit_known"] = at >= 0
    for column in ("status", "status_date"):
        j[f"cit_{column}"] = _looked_up(citizens, column, at, j.index)
    j["cit_status_date"] = _days(j["cit_status_date"])
    return j


def covered_period(j: pd.DataFrame) -> None:
    """The days of each claim inside its agreement, and the period the checks compare with
    other registers: the covered days where there are any, else the claimed period."""
    known = j["agr_known"].to_numpy(dtype=bool)
    start, end = j["period_start"].to_numpy(), j["period_end"].to_numpy()
    agr_start = np.where(known, j["agr_start"].to_numpy(), start)
    # An agreement with no end date runs on: only its start and the legal maximum bound it.
    agr_end = np.where(known & j["agr_end"].notna().to_numpy(), j["agr_end"].to_numpy(), end)
    days = covered_days_array(start, end, agr_start, agr_end)
    j["covered_days"] = np.where(known, days, 0)
    inside = (days > 0) & known
    j["covered_start"] = np.where(inside, np.maximum(start, agr_start), start)
    j["covered_end"] = np.where(inside, np.minimum(end, agr_end), end)
    j["covered_start"] = j["covered_start"].astype("datetime64[s]")
    j["covered_end"] = j["covered_end"].astype("datetime64[s]")


def first_overlap(
    j: pd.DataFrame, register: pd.DataFrame, *, start: str, end: str, keep: dict[str, str]
) -> pd.DataFrame:
    """For each claim, the first row of `register` (by cpr) whose [start, end] (an empty end:
    still running) overlaps the claim's covered period: its columns `keep`, renamed."""
    out = pd.DataFrame(index=j.index, columns=list(keep.values()))
    if register is None or len(register) == 0:
        return out
    rows = register[["cpr", start, end, *[c for c in keep if c not in (start, end)]]].copy()
    rows["cpr"] = rows["cpr"].astype("string")
    rows[start], rows[end] = _days(rows[start]), _days(rows[end])
    claims = pd.DataFrame(
        {"row": j.index, "cpr": j["cpr"], "c_start": j["covered_start"], "c_end": j["covered_end"]}
    ).dropna(subset=["cpr"])
    pairs = claims.merge(rows, on="cpr", how="inner")
    running = pairs[end].isna() | (pairs[end] >= pairs["c_start"])
    hit = pairs[(pairs[start] <= pairs["c_end"]) & running]
    first = hit.sort_values(["row", start]).drop_duplicates("row").set_index("row")
    for column, name in keep.items():
        out[name] = first[column].reindex(j.index)
    return out


def duration_limit_end(start: pd.Series, months: np.ndarray) -> pd.Series:
    """The last day a subsidy starting on `start` may run for `months` months: the same day
    of the month `months` later, less one day (a day beyond the target month's end is its
    last day: 31 January + 1 month is 28 February, so the last day is 27 February)."""
    begin = start.to_numpy().astype("datetime64[D]")
    month = begin.astype("datetime64[M]")
    day = (begin - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    last = target.astype("datetime64[D]") + np.minimum(day, length - 1) - np.timedelta64(1, "D")
    return pd.Series(last.astype("datetime64[s]"), index=start.index).where(start.notna())


def compute(claims: pd.DataFrame, references: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each claim's amount: the rate for its employer's sector and its year x its hours,
    capped at what the agreement allows for the covered days (amounts.py), beside the facts
    it was computed from and what the checks compare."""
    j = join_registers(claims, references)
    covered_period(j)
    weekly = j["weekly_hours"].fillna(0).to_numpy(np.int64)
    j["capped_hours"] = hour_cap_hundredths(weekly, j["covered_days"].to_numpy(np.int64))
    hours = j["hours"].astype("Int64").fillna(0).to_numpy(np.int64)
    years = j["period_start"].dt.year.astype("int64")
    rate = np.zeros(len(j), dtype=np.int64)
    no_rate = np.ones(len(j), dtype=bool)
    provisional = np.zeros(len(j), dtype=bool)
    provisional_text = pd.Series("", index=j.index, dtype="string")
    for sector in SECTORS:
        mine = (j["sector"] == sector).fillna(False).to_numpy(dtype=bool)
        if not mine.any():
            continue
        by_year = rates_by_year(NAME, (RATE_NAMES[sector],), years[mine])
        for year, figures in by_year.rates.items():
            rows = np.flatnonzero(mine)[(years[mine] == year).to_numpy()]
            rate[rows] = to_oere(figures[RATE_NAMES[sector]].value)
        no_rate[mine] = by_year.no_rate
        provisional[mine] = by_year.provisional
        provisional_text[mine] = by_year.provisional_text.to_numpy()
    j["rate_oere"] = rate
    amount = loentilskud_oere(rate, hours, j["capped_hours"].to_numpy(np.int64))
    j["amount_oere"] = np.where(no_rate, 0, amount).astype(np.int64)
    j["basis_oere"] = (rate * hours + 50) // 100
    j["no_rate"], j["rate_provisional"] = no_rate, provisional
    j["provisional_text"] = provisional_text
    j["rate_year"] = years.to_numpy()
    j["payee_kind"] = "cvr"
    j["payee_id"] = j["employer_cvr"].astype("string")
    j["category"] = j["sector"].fillna("unknown").astype("string")
    j["counterparty"] = j["employer_cvr"].astype("string")
    j["service_date"] = j["period_start"]
    j["service_end"] = j["period_end"]
    j["document_key"] = "AGR:" + j["agreement_id"].astype("string")
    j["rule_basis"] = (
        "LT-AMOUNT rate "
        + j["category"]
        + " "
        + years.astype("string")
        + " x min(hours, weekly hours x covered days / 7)"
    )
    group = pd.Series(pd.NA, index=j.index, dtype="string")
    for (sector, target), grouping in GROUPINGS.items():
        rows = (j["sector"] == sector).fillna(False) & (j["target_group"] == target).fillna(False)
        group[rows] = grouping
    j["posting_grouping"] = group
    j["refusion_percent"] = pd.array(np.full(len(j), REFUSION_PERCENT), dtype="Int64")
    return j
