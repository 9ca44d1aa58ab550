"""The helbredstillaeg robot as the shared pipeline runs it: registers joined, amounts
computed per rate year, cross-checks applied.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from checks import helbredstillaeg as rules
from checks.quality.suites import HEALTH_CLAIMS_SUITE
from robots.core.errors import ConfigError
from robots.core.money import format_oere_plain, to_oere
from robots.core.pipeline.datasets import HEALTH_CLAIMS
from robots.core.rates import rate
from robots.core.robot import EvaluationContext, Robot, concat_findings, findings
from robots.helbredstillaeg.amounts import assets_within_limit, helbredstillaeg_oere

NAME = "helbredstillaeg"


def join_registers(claims: pd.DataFrame, references: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each claim with its citizen, its pension record on the service date, its provider."""
    citizens = references["citizens"][
        ["cpr", "status", "status_date", "municipality_code", "moved_date"]
    ].rename(
        columns={
            "status": "cit_status",
            "status_date": "cit_status_date",
            "municipality_code": "cit_municipality",
            "moved_date": "cit_moved_date",
        }
    )
    joined = claims.merge(citizens, on="cpr", how="left", validate="many_to_one")
    joined.index = claims.index

    pensioners = references["pensioners"]
    candidates = (
        claims[["cpr", "service_date"]]
        .reset_index(names="row")
        .merge(pensioners, on="cpr", how="inner")
    )
    in_force = (candidates["valid_from"] <= candidates["service_date"]) & (
        candidates["valid_to"].isna() | (candidates["valid_to"] >= candidates["service_date"])
    )
    pension = (
        candidates.loc[in_force]
        .sort_values(["row", "valid_from"], ascending=[True, False])
        .drop_duplicates("row")
        .set_index("row")
    )
    joined["pen_type"] = pension["pension_type"].reindex(claims.index)
    joined["pen_percent"] = pension["supplement_percent"].reindex(claims.index).astype("Int64")
    joined["pen_assets"] = pension["liquid_assets"].reindex(claims.index).astype("Int64")
    joined["pen_awarded"] = pension["awarded_date"].reindex(claims.index)

    companies = references["companies"].set_index("cvr")
    joined["comp_status"] = claims["provider_cvr"].map(companies["status"])
    joined["comp_status_date"] = claims["provider_cvr"].map(companies["status_date"])
    return joined


def compute(claims: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    """Each claim's amount from the rates of its service year, beside its register facts."""
    j = join_registers(claims, context.references)
    years = j["service_date"].dt.year.astype("int64")
    amount = np.zeros(len(j), dtype=np.int64)
    limit = np.zeros(len(j), dtype=np.int64)
    provisional = np.zeros(len(j), dtype=bool)
    provisional_text = pd.Series("", index=j.index, dtype="string")
    percent = j["pen_percent"].fillna(0).to_numpy(dtype=np.int64)
    share = j["citizen_share"].to_numpy(dtype=np.int64)
    no_rate = np.zeros(len(j), dtype=bool)
    for year in np.unique(years):
        in_year = (years == year).to_numpy()
        try:
            coverage = rate(NAME, "coverage_percent", int(year))
            asset_limit = rate(NAME, "liquid_asset_limit", int(year))
        except ConfigError:
            no_rate[in_year] = True  # held by HT-NO-RATE; the night goes on
            continue
        amount[in_year] = helbredstillaeg_oere(share[in_year], percent[in_year], coverage.value)
        limit[in_year] = to_oere(asset_limit.value)
        unconfirmed = [r for r in (coverage, asset_limit) if r.provisional]
        if unconfirmed:
            provisional[in_year] = True
            provisional_text[in_year] = "; ".join(
                f"{r.name} {r.value} carried from {r.provisional_from}: confirm {r.config_key}"
                for r in unconfirmed
            )
    j["asset_limit_oere"] = limit
    # With no rate for the year the limit is unknown: HT-NO-RATE holds the claim instead.
    j["assets_ok"] = (
        assets_within_limit(j["pen_assets"].fillna(0).to_numpy(np.int64), limit) | no_rate
    )
    j["provisional_text"] = provisional_text
    j["no_rate"] = no_rate
    j["payee_kind"] = "cpr"
    j["payee_id"] = claims["cpr"]
    j["category"] = claims["expense_type"]
    j["counterparty"] = claims["provider_cvr"]
    j["basis_oere"] = share
    j["amount_oere"] = amount
    j["rate_year"] = years.to_numpy()
    j["rate_provisional"] = provisional
    j["rule_basis"] = (
        "HT-AMOUNT 85 % x tillaegsprocent "
        + j["pen_percent"].astype("string").fillna("-")
        + " % (rates "
        + years.astype("string")
        + ")"
    )
    return j


def check(j: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    """Every helbredstillaeg cross-check, plus the provisional-rate and zero-amount rules."""
    fire = partial(findings, frame=j)
    demo = context.mode == "demo"
    return concat_findings(
        [
            rules.run_all(
                j,
                municipality_code=context.municipality_code,
                has_approval_column="approval_date" in context.optional_columns,
                config=rules.load_config(),
            ),
            fire(
                j["rate_provisional"],
                rules.PROVISIONAL_DEMO if demo else rules.PROVISIONAL,
                lambda r: ("DEMO pays on a provisional rate: " if demo else "")
                + r["provisional_text"],
            ),
            fire(
                (j["amount_oere"] == 0) & (j["pen_percent"].fillna(0) > 0) & ~j["no_rate"],
                rules.AMOUNT_ZERO,
                lambda r: "85 % x "
                + r["pen_percent"].astype("string")
                + " % of "
                + pd.Series(format_oere_plain(r["basis_oere"].to_numpy(np.int64)), index=r.index)
                + " kr. rounds to 0.00 kr.",
            ),
            fire(
                j["no_rate"],
                rules.NO_RATE,
                lambda r: "no config/rates file for "
                + r["rate_year"].astype("string")
                + " or any earlier year",
            ),
        ]
    )


def fingerprint(claims: pd.DataFrame) -> pd.Series:
    """Citizen, expense type, provider, service date and amount: what makes a bill the same."""
    return (
        claims["cpr"]
        + "|"
        + claims["expense_type"]
        + "|"
        + claims["provider_cvr"]
        + "|"
        + claims["service_date"].dt.strftime("%Y-%m-%d")
        + "|"
        + claims["citizen_share"].astype("string")
    )


ROBOT = Robot(
    name=NAME,
    code="HT",
    title="Helbredstillaeg",
    claims=HEALTH_CLAIMS,
    quality_suite=HEALTH_CLAIMS_SUITE,
    references=("citizens", "pensioners", "companies"),
    compute=compute,
    check=check,
    fingerprint=fingerprint,
    duplicate_paid_rule=rules.DUP_PAID,
    resubmitted_changed_rule=rules.RESUBMIT_CHANGED,
    accounts_section="helbredstillaeg",
    remittance_title="Helbredstillaeg",
)
