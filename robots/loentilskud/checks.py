"""The loentilskud cross-checks: each a named rule (rules.py) over the whole night at once,
with the values it compared as evidence. Limits from config/checks.toml [loentilskud]."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from robots.core.money import format_oere_plain
from robots.core.robot import (
    EvaluationContext,
    Evidence,
    FiringRows,
    concat_findings,
    day_text,
    findings,
    rate_findings,
)
from robots.loentilskud import rules
from robots.loentilskud.computing import duration_limit_end, first_overlap
from robots.loentilskud.settings import SubsidySettings, load_settings

GONE = ("bankrupt", "closed", "liquidation")
PERSON_GONE = ("dead", "emigrated")
LEDGER_OVERLAP = ("overlap_claim_id", "overlap_start", "overlap_end")
"""What the ledger answers (the robot's overlap lookup): an earlier claim under the same
agreement whose period overlaps; absent when checked without a ledger."""


def _hours(values: pd.Series) -> pd.Series:
    return pd.Series(
        format_oere_plain(values.fillna(0).astype("int64").to_numpy(np.int64)), index=values.index
    ).astype("string")


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("(none)")


def _status_since(status: str) -> Callable[[FiringRows], pd.Series]:
    """`CPR status dead since 2023-02-10` for each firing row."""
    return lambda rows: f"CPR status {status} since " + day_text(rows["cit_status_date"])


def _span(rows: FiringRows, start: str, end: str) -> pd.Series:
    """`2023-03-01 to 2023-03-31` for each firing row (an open end reads `(none)`)."""
    return day_text(rows[start]) + " to " + day_text(rows[end])


def overlaps_tonight(j: pd.DataFrame) -> pd.Series:
    """The claim id of an earlier claim tonight (by period start, then claim id) under the
    same agreement whose period overlaps this one's; NA where none. Touching periods (one
    ends the 31st, the next begins the 1st) do not overlap. Only the four columns read are
    sorted, not the whole joined frame."""
    columns = ["agreement_id", "period_start", "period_end", "claim_id"]
    order = j[columns].sort_values(["agreement_id", "period_start", "claim_id"], kind="stable")
    group = order.groupby("agreement_id", sort=False)
    reach = group["period_end"].cummax()
    before = reach.groupby(order["agreement_id"], sort=False).shift(1)
    previous = group["claim_id"].shift(1)
    hit = order["period_start"] <= before
    return previous.where(hit).astype("string").reindex(j.index)


def check(j: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    """Every loentilskud check."""
    settings = load_settings()

    def fire(mask: pd.Series | np.ndarray, rule_id: str, message: Evidence) -> pd.DataFrame:
        rows = mask if isinstance(mask, pd.Series) else pd.Series(mask, index=j.index)
        return findings(rows, rule_id, message, frame=j)

    for column in LEDGER_OVERLAP:
        if column not in j:  # checked without a ledger (tests, dry runs): nothing before
            j[column] = pd.NA
    refs = context.references
    flex = first_overlap(
        j,
        refs.get("flex_jobs"),
        start="start_date",
        end="end_date",
        keep={"job_id": "flex_job_id", "start_date": "flex_start", "end_date": "flex_end"},
    )
    benefit = first_overlap(
        j,
        refs.get("other_benefits"),
        start="period_start",
        end="period_end",
        keep={"benefit": "benefit", "period_start": "benefit_start", "period_end": "benefit_end"},
    )
    for frame in (flex, benefit):
        for column in frame:
            j[column] = frame[column]
    j["overlap_tonight"] = overlaps_tonight(j)
    j["overlap_claim_id"] = j["overlap_claim_id"].astype("string").fillna(j["overlap_tonight"])
    months = months_allowed(j, settings)
    j["duration_limit_end"] = duration_limit_end(j["agr_start"], months)

    known = j["agr_known"].to_numpy(dtype=bool)
    covered = j["covered_days"].to_numpy(np.int64)
    start, end = j["period_start"], j["period_end"]
    comp_gone = j["comp_status"].isin(GONE).to_numpy(dtype=bool)
    comp_date = j["comp_status_date"]
    comp_before = comp_gone & (comp_date < start).fillna(False).to_numpy(dtype=bool)
    comp_during = comp_gone & ~comp_before & ~(comp_date > end).fillna(False).to_numpy(dtype=bool)
    person_gone = j["cit_status"].isin(PERSON_GONE).to_numpy(dtype=bool)
    cit_date = j["cit_status_date"]
    cit_before = person_gone & (cit_date < start).fillna(False).to_numpy(dtype=bool)
    cit_during = person_gone & ~cit_before & ~(cit_date > end).fillna(False).to_numpy(dtype=bool)
    cit_missing = (j["cit_status"] == "missing").fillna(False).to_numpy(dtype=bool)
    hours = j["hours"].astype("Int64").fillna(0).to_numpy(np.int64)
    partly = (
        known
        & (covered > 0)
        & ((start < j["agr_start"]) | (end > j["agr_end"])).fillna(False).to_numpy(dtype=bool)
    )
    return concat_findings(
        [
            fire(
                ~known,
                rules.NO_AGREEMENT,
                lambda r: "agreement " + _text(r["agreement_id"]) + " is not in subsidy_agreements",
            ),
            fire(
                known
                & (j["employer_cvr"].astype("string") != j["agr_employer_cvr"].astype("string"))
                .fillna(False)
                .to_numpy(bool),
                rules.OTHER_EMPLOYER,
                lambda r: (
                    "claimed by CVR "
                    + _text(r["employer_cvr"])
                    + "; agreement "
                    + _text(r["agreement_id"])
                    + " is with CVR "
                    + _text(r["agr_employer_cvr"])
                ),
            ),
            fire(
                known & (covered == 0),
                rules.OUTSIDE_AGREEMENT,
                lambda r: (
                    "period "
                    + _span(r, "period_start", "period_end")
                    + " lies outside the agreement "
                    + _span(r, "agr_start", "agr_end")
                ),
            ),
            fire(
                partly,
                rules.PARTLY_OUTSIDE,
                lambda r: (
                    "period "
                    + _span(r, "period_start", "period_end")
                    + ": only "
                    + r["covered_days"].astype("string")
                    + " days inside the agreement "
                    + _span(r, "agr_start", "agr_end")
                ),
            ),
            fire(
                comp_before,
                rules.EMPLOYER_GONE,
                lambda r: (
                    "CVR "
                    + _text(r["employer_cvr"])
                    + " "
                    + _text(r["comp_status"])
                    + " since "
                    + day_text(r["comp_status_date"])
                    + ", before the period"
                ),
            ),
            fire(
                comp_during | ~j["comp_known"].to_numpy(dtype=bool),
                rules.EMPLOYER_ENDING,
                lambda r: pd.Series(
                    np.where(
                        r["comp_status"].isna().to_numpy(),
                        "CVR " + _text(r["employer_cvr"]) + " is not in the CVR extract",
                        "CVR "
                        + _text(r["employer_cvr"])
                        + " "
                        + _text(r["comp_status"])
                        + " since "
                        + day_text(r["comp_status_date"])
                        + ", during the period",
                    ),
                    index=r.index,
                ),
            ),
            *(
                fire(
                    known & cit_before & (j["cit_status"] == status).fillna(False).to_numpy(bool),
                    rule_id,
                    _status_since(status),
                )
                for status, rule_id in (("dead", rules.DEAD), ("emigrated", rules.EMIGRATED))
            ),
            fire(
                known & (cit_during | cit_missing | ~j["cit_known"].to_numpy(dtype=bool)),
                rules.CITIZEN_ENDING,
                lambda r: pd.Series(
                    np.where(
                        r["cit_status"].isna().to_numpy(),
                        "the person is not in the CPR extract",
                        "CPR status "
                        + _text(r["cit_status"])
                        + " since "
                        + day_text(r["cit_status_date"]),
                    ),
                    index=r.index,
                ),
            ),
            fire(
                j["flex_job_id"].notna(),
                rules.IN_FLEKSJOB,
                lambda r: (
                    "in fleksjob "
                    + _text(r["flex_job_id"])
                    + " from "
                    + _span(r, "flex_start", "flex_end")
                ),
            ),
            fire(
                j["benefit"].notna(),
                rules.OTHER_BENEFIT,
                lambda r: (
                    _text(r["benefit"]) + " paid for " + _span(r, "benefit_start", "benefit_end")
                ),
            ),
            fire(
                j["overlap_claim_id"].notna(),
                rules.OVERLAP,
                lambda r: (
                    "overlaps claim "
                    + _text(r["overlap_claim_id"])
                    + " under agreement "
                    + _text(r["agreement_id"])
                ),
            ),
            fire(
                known & (covered > 0) & (hours > j["capped_hours"].to_numpy(np.int64)),
                rules.HOURS_ABOVE_AGREED,
                lambda r: (
                    _hours(r["hours"])
                    + " hours claimed; the agreement's "
                    + _hours(r["weekly_hours"])
                    + " a week allow "
                    + _hours(r["capped_hours"])
                    + " over "
                    + r["covered_days"].astype("string")
                    + " days (the amount is on the capped hours)"
                ),
            ),
            fire(
                known & (end > j["duration_limit_end"]).fillna(False).to_numpy(bool),
                rules.DURATION,
                lambda r: (
                    _text(r["sector"])
                    + " "
                    + _text(r["target_group"])
                    + ": at most until "
                    + day_text(r["duration_limit_end"])
                    + " (from "
                    + day_text(r["agr_start"])
                    + "), period ends "
                    + day_text(r["period_end"])
                ),
            ),
            fire(
                start.dt.year != end.dt.year,
                rules.TWO_YEARS,
                lambda r: (
                    "period "
                    + _span(r, "period_start", "period_end")
                    + " spans two years; computed on "
                    + r["rate_year"].astype("string")
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


def months_allowed(j: pd.DataFrame, settings: SubsidySettings) -> np.ndarray:
    """The duration limit of each claim, by its employer's sector (unknown: private's) and
    its agreement's target group, looked up once per pair of a distinct sector and a
    distinct group (each column factorised alone: factorising a MultiIndex of the pairs
    builds a Python tuple per claim)."""
    sector = j["sector"].fillna("private").astype("string")
    group = j["target_group"].fillna("").astype("string")
    sector_codes, sectors = pd.factorize(sector)
    group_codes, groups = pd.factorize(group)
    limits = np.array(
        [[settings.months_for(str(s), str(g)) for g in groups] for s in sectors], dtype=np.int64
    )
    if not len(sector_codes):
        return np.zeros(0, dtype=np.int64)
    return limits[sector_codes, group_codes]
