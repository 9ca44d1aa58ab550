"""Each listed month joined with its job, its wage month and its citizen, and its amount
and refusion computed (pure: frames in, a frame out)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from robots.core.money import to_oere
from robots.core.rates import rates_by_year
from robots.fleksloentilskud.amounts import fleksloentilskud_oere
from robots.fleksloentilskud.months import month_before
from robots.fleksloentilskud.refusion import (
    OLD_SCHEME_BEFORE,
    OLD_SCHEME_GROUPING,
    refusion_percents,
    weeks_on_benefits,
)

NAME = "fleksloentilskud"

JOB_COLUMNS = [
    "employer_cvr",
    "start_date",
    "end_date",
    "weekly_hours",
    "benefit_start_date",
    "full_time_wage",
    "visitation_date",
]
CITIZEN_COLUMNS = {"status": "cit_status", "status_date": "cit_status_date"}


def join_month(claims: pd.DataFrame, references: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each month with its job's facts, the wage month's income and the citizen's status."""
    jobs = references["flex_jobs"].drop_duplicates("job_id", keep="last").set_index("job_id")
    j = claims.reset_index(drop=True).copy()
    for column in JOB_COLUMNS:
        j[column] = j["job_id"].map(jobs[column]) if len(jobs) else pd.NA
    for column in ("start_date", "end_date", "benefit_start_date", "visitation_date"):
        j[column] = pd.to_datetime(j[column]).astype("datetime64[s]")
    codes, distinct = pd.factorize(j["month"].astype("string"))
    months = pd.PeriodIndex([str(m) for m in distinct], freq="M")
    starts = months.start_time.to_numpy().astype("datetime64[s]")
    ends = months.end_time.normalize().to_numpy().astype("datetime64[s]")
    j["month_start"], j["month_end"] = starts[codes], ends[codes]
    j["wage_month"] = month_before(j["month"])
    j = _with_income(j, references["incomes"])
    citizens = references["citizens"].drop_duplicates("cpr", keep="last").set_index("cpr")
    for column, name in CITIZEN_COLUMNS.items():
        j[name] = j["cpr"].map(citizens[column]) if len(citizens) else pd.NA
    j["cit_known"] = j["cpr"].isin(citizens.index)
    j["cit_status_date"] = pd.to_datetime(j["cit_status_date"]).astype("datetime64[s]")
    return j


def _with_income(j: pd.DataFrame, incomes: pd.DataFrame) -> pd.DataFrame:
    """The wage month's wage, all employers (domain.md 3.3): total, the job's employer's
    share, other payers, paid hours, and how many wage rows there were."""
    key = j["cpr"].astype("string") + "|" + j["wage_month"].astype("string")
    wage = incomes[incomes["income_type"] == "wage"]
    wage_key = wage["cpr"].astype("string") + "|" + wage["period"].astype("string")
    amount = wage["amount"].astype("Int64").fillna(0)
    hours = wage["hours"].astype("Int64").fillna(0)
    per_month = pd.DataFrame({"key": wage_key, "amount": amount, "hours": hours}).groupby("key")
    totals = per_month["amount"].sum()
    j["wage_oere"] = key.map(totals).fillna(0).astype("int64").to_numpy()
    j["hours"] = key.map(per_month["hours"].sum()).fillna(0).astype("int64").to_numpy()
    j["wage_rows"] = key.map(per_month.size()).fillna(0).astype("int64").to_numpy()
    own_key = key + "|" + j["employer_cvr"].astype("string")
    paid_by = wage_key + "|" + wage["payer_cvr"].astype("string")
    own = pd.Series(amount.to_numpy(), index=paid_by.to_numpy()).groupby(level=0).sum()
    j["own_wage_oere"] = own_key.map(own).fillna(0).astype("int64").to_numpy()
    j["other_wage_oere"] = j["wage_oere"] - j["own_wage_oere"]
    others = pd.DataFrame({"key": wage_key, "payer": wage["payer_cvr"].astype("string")})
    others = others.assign(paid=paid_by.to_numpy())
    others = others[~others["paid"].isin(set(own_key.dropna()))]
    listing = others.drop_duplicates(["key", "payer"]).groupby("key")["payer"].agg(", ".join)
    j["other_payers"] = key.map(listing).astype("string")
    return j


def compute(claims: pd.DataFrame, references: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each month's subsidy from the rates of its year (the subsidy month's), its refusion
    percent and posting grouping, beside the facts it was computed from."""
    j = join_month(claims, references)
    years = j["month_start"].dt.year.astype("int64")
    maximum = np.zeros(len(j), dtype=np.int64)
    threshold = np.zeros(len(j), dtype=np.int64)
    # With no rate for a year its months are held by FL-NO-RATE; the night goes on.
    by_year = rates_by_year(NAME, ("max_month", "wage_threshold_month"), years)
    for year, figures in by_year.rates.items():
        in_year = (years == year).to_numpy()
        maximum[in_year] = to_oere(figures["max_month"].value)
        threshold[in_year] = to_oere(figures["wage_threshold_month"].value)
    no_rate, provisional = by_year.no_rate, by_year.provisional
    provisional_text = by_year.provisional_text
    full_time = j["full_time_wage"].astype("Int64")
    j["amount_oere"] = fleksloentilskud_oere(
        j["wage_oere"].to_numpy(np.int64),
        maximum,
        threshold,
        full_time.fillna(0).to_numpy(np.int64),
        full_time.notna().to_numpy(dtype=bool),
    )
    j.loc[no_rate, "amount_oere"] = 0
    j["max_oere"], j["threshold_oere"] = maximum, threshold
    j["provisional_text"], j["no_rate"] = provisional_text, no_rate
    visited = j["visitation_date"].fillna(j["start_date"])
    old_scheme = (visited < pd.Timestamp(OLD_SCHEME_BEFORE)).fillna(False).to_numpy(dtype=bool)
    j["benefit_week"] = weeks_on_benefits(j["benefit_start_date"], j["month_start"])
    j["refusion_percent"] = refusion_percents(j["benefit_week"], old_scheme)
    grouping = pd.Series(pd.NA, index=j.index, dtype="string")
    grouping[old_scheme] = OLD_SCHEME_GROUPING
    j["posting_grouping"] = grouping
    j["service_date"] = j["month_start"]
    j["payee_kind"] = "cpr"
    j["payee_id"] = j["cpr"].astype("string")
    j["category"] = NAME
    j["counterparty"] = j["employer_cvr"].astype("string")
    j["basis_oere"] = j["wage_oere"]
    j["rate_year"] = years.to_numpy()
    j["rate_provisional"] = provisional
    j["rule_basis"] = (
        "FL-AMOUNT max - 30 %/55 % of wage "
        + j["wage_month"].astype("string")
        + " (rates "
        + years.astype("string")
        + ")"
    )
    return j
