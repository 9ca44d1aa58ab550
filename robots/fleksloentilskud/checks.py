"""The fleksloentilskud cross-checks: each a named rule (rules.py) over the whole month at
once, with the values it compared as evidence. Thresholds from config/checks.toml."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from robots.core.money import format_oere_plain
from robots.core.robot import (
    EvaluationContext,
    concat_findings,
    day_text,
    findings,
    rate_findings,
)
from robots.fleksloentilskud import rules
from robots.fleksloentilskud.settings import load_settings


def _kr(values: pd.Series) -> pd.Series:
    return pd.Series(
        format_oere_plain(values.fillna(0).to_numpy(np.int64)), index=values.index
    ).astype("string")


def _hours(values: pd.Series) -> pd.Series:
    return _kr(values)  # hundredths, written like kroner: 130.50


def agreed_month_hours(weekly_hundredths: pd.Series) -> pd.Series:
    """Agreed hours in a month, in hundredths: weekly hours x 52 / 12 (domain.md FL-1)."""
    return (weekly_hundredths.astype("Int64").fillna(0) * 52 // 12).astype("int64")


def check(j: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    """Every fleksloentilskud check."""
    settings = load_settings()
    fire = partial(findings, frame=j)
    j["agreed_month_hours"] = agreed_month_hours(j["weekly_hours"])
    ended = j["end_date"].notna() & (j["end_date"] < j["month_start"])
    not_begun = j["start_date"] > j["month_end"]
    running = ~ended & ~not_begun
    status_before = j["cit_status_date"].notna() & (j["cit_status_date"] < j["month_start"])
    benefit = double_support(j, context.references.get("other_benefits"))
    j["benefit"], j["benefit_start"], j["benefit_end"] = (
        benefit["benefit"],
        benefit["benefit_start"],
        benefit["benefit_end"],
    )
    factor = settings.hours_factor
    hours_limit = (j["agreed_month_hours"] * int(factor * 100)) // 100
    return concat_findings(
        [
            fire(
                ended,
                rules.JOB_ENDED,
                lambda r: (
                    "the fleksjob ended " + day_text(r["end_date"]) + ", before " + r["month"]
                ),
            ),
            fire(
                not_begun,
                rules.JOB_NOT_BEGUN,
                lambda r: (
                    "the fleksjob begins " + day_text(r["start_date"]) + ", after " + r["month"]
                ),
            ),
            fire(
                (j["cit_status"] == "dead") & status_before,
                rules.DEAD,
                lambda r: "CPR status dead since " + day_text(r["cit_status_date"]),
            ),
            fire(
                (j["cit_status"] == "emigrated") & status_before,
                rules.EMIGRATED,
                lambda r: "CPR status emigrated since " + day_text(r["cit_status_date"]),
            ),
            fire(
                (j["cit_status"] == "missing") | ~j["cit_known"],
                rules.MISSING,
                lambda r: pd.Series(
                    np.where(
                        r["cit_status"].isna(),
                        "the citizen is not in the CPR extract",
                        "CPR status missing",
                    ),
                    index=r.index,
                ),
            ),
            fire(
                running & (j["wage_oere"] <= 0),
                rules.NO_WAGE,
                lambda r: (
                    "no wage above 0 kr. reported for "
                    + r["wage_month"]
                    + " ("
                    + r["wage_rows"].astype("string")
                    + " wage rows, "
                    + _kr(r["wage_oere"])
                    + " kr.)"
                ),
            ),
            fire(
                running & (j["other_wage_oere"] != 0),
                rules.OTHER_EMPLOYER,
                lambda r: (
                    "wage "
                    + _kr(r["other_wage_oere"])
                    + " kr. in "
                    + r["wage_month"]
                    + " from "
                    + r["other_payers"].fillna("?")
                    + ", not the fleksjob's employer "
                    + r["employer_cvr"].astype("string")
                    + " (deducted)"
                ),
            ),
            fire(
                running & (j["agreed_month_hours"] > 0) & (j["hours"] > hours_limit),
                rules.HOURS_HIGH,
                lambda r: (
                    _hours(r["hours"])
                    + " paid hours in "
                    + r["wage_month"]
                    + ", agreed "
                    + _hours(r["agreed_month_hours"])
                    + f" (x {factor} allowed)"
                ),
            ),
            fire(
                running & benefit["benefit"].notna(),
                rules.DOUBLE_SUPPORT,
                lambda r: (
                    r["benefit"].astype("string")
                    + " paid "
                    + day_text(r["benefit_start"])
                    + " to "
                    + day_text(r["benefit_end"])
                    + ", while the fleksjob runs in "
                    + r["month"]
                ),
            ),
            fire(
                j["unreadable_rows"].fillna("") != "",
                rules.INCOME_UNREADABLE,
                lambda r: (
                    "an eIndkomst row of "
                    + r["wage_month"]
                    + " could not be read: "
                    + r["unreadable_rows"].astype("string")
                ),
            ),
            fire(
                _same_month_under_an_earlier_id(j),
                rules.DUPLICATE_PAID,
                lambda r: (
                    "the same month with the same facts as fleksjob "
                    + r["twin_job_id"].astype("string")
                    + " tonight (a job registered twice)"
                ),
            ),
            *rate_findings(
                j,
                demo=context.mode == "demo",
                provisional=rules.PROVISIONAL,
                provisional_demo=rules.PROVISIONAL_DEMO,
                no_rate=rules.NO_RATE,
            ),
        ]
    )


def _same_month_under_an_earlier_id(j: pd.DataFrame) -> pd.Series:
    """Tonight's months whose citizen, month and facts an earlier job id (in id order) has
    too: the same month listed twice, paid once (the ledger's copies are earlier_bills')."""
    order = j.sort_values("job_id", kind="stable")
    same = ["cpr", "month", "facts"]
    later = order.duplicated(subset=same, keep="first")
    first = order[~later].set_index(same)["job_id"]
    twin = pd.Series(pd.NA, index=j.index, dtype="string")
    if later.any():
        keys = pd.MultiIndex.from_frame(order.loc[later, same])
        twin[order.index[later.to_numpy()]] = first.reindex(keys).to_numpy()
    j["twin_job_id"] = twin
    return later.reindex(j.index).fillna(False).astype(bool)


def double_support(j: pd.DataFrame, benefits: pd.DataFrame | None) -> pd.DataFrame:
    """For each month, the first other benefit paid for a day of the month on which the
    job runs (a benefit that ended the day before the job began does not count)."""
    out = pd.DataFrame(
        {
            "benefit": pd.Series(pd.NA, index=j.index, dtype="string"),
            "benefit_start": pd.Series(pd.NaT, index=j.index, dtype="datetime64[s]"),
            "benefit_end": pd.Series(pd.NaT, index=j.index, dtype="datetime64[s]"),
        }
    )
    if benefits is None or not len(benefits):
        return out
    first = j["month_start"].where(j["month_start"] > j["start_date"], j["start_date"])
    last = j["month_end"].where(
        j["end_date"].isna() | (j["month_end"] < j["end_date"]), j["end_date"]
    )
    window = pd.DataFrame({"at": np.arange(len(j)), "cpr": j["cpr"].astype("string")})
    window["first"], window["last"] = first.to_numpy(), last.to_numpy()
    paid = benefits[["cpr", "benefit", "period_start", "period_end"]].copy()
    paid["cpr"] = paid["cpr"].astype("string")
    pairs = window.merge(paid, on="cpr", how="inner")
    ends = pairs["period_end"].fillna(pd.Timestamp.max.normalize())
    overlap = (pairs["period_start"] <= pairs["last"]) & (ends >= pairs["first"])
    hits = pairs[overlap.to_numpy()].drop_duplicates("at")
    at = hits["at"].to_numpy()
    out.iloc[at, 0] = hits["benefit"].astype("string").to_numpy()
    out.iloc[at, 1] = hits["period_start"].to_numpy()
    out.iloc[at, 2] = hits["period_end"].to_numpy()
    return out


__all__ = ["check", "double_support"]
