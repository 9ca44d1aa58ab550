"""The loentilskud robot as the shared pipeline runs it: employers' claims for a period's
hours, each checked against its agreement and the registers, paid to the employer by CVR.

A claim is decided once, by its id: a claim sent again changed is held for a person (the
claim as first decided stands), as for bills. What was paid before under the same
agreement is asked of the ledger by period (an overlapping period is the same hours
claimed twice), and the same claim under a new id is found by its content.
"""

from __future__ import annotations

import pandas as pd

from checks.quality.suites import (
    CITIZENS_REGISTER,
    COMPANIES_REGISTER,
    FLEX_JOBS_REGISTER,
    OTHER_BENEFITS_REGISTER,
)
from robots.core.robot import ChangePolicy, EvaluationContext, OverlapLookup, Robot, joined_text
from robots.loentilskud import checks, rules
from robots.loentilskud.computing import compute as compute_claims
from robots.loentilskud.datasets import SUBSIDY_CLAIMS
from robots.loentilskud.quality import SUBSIDY_AGREEMENTS_REGISTER, SUBSIDY_CLAIMS_SUITE

NAME = "loentilskud"


def compute(claims: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    return compute_claims(claims, context.references)


def fingerprint(claims: pd.DataFrame) -> pd.Series:
    """Agreement, employer, period and hours: the same claim under another claim id."""
    return joined_text(
        [
            claims["agreement_id"].astype("string"),
            claims["employer_cvr"].astype("string"),
            claims["period_start"],
            claims["period_end"],
            claims["hours"].astype("Int64"),
        ]
    )


ROBOT = Robot(
    name=NAME,
    code="LT",
    title="Loentilskud",
    claims=SUBSIDY_CLAIMS,
    quality_suite=SUBSIDY_CLAIMS_SUITE,
    registers=(
        CITIZENS_REGISTER,
        COMPANIES_REGISTER,
        FLEX_JOBS_REGISTER,
        OTHER_BENEFITS_REGISTER,
        SUBSIDY_AGREEMENTS_REGISTER,
    ),
    compute=compute,
    check=checks.check,
    fingerprint=fingerprint,
    duplicate_paid_rule=rules.DUPLICATE_PAID,
    duplicate_held_rule=rules.DUPLICATE_HELD,
    resubmitted_changed_rule=rules.CHANGED,
    change_policy=ChangePolicy.HOLD,
    accounts_section=NAME,
    remittance_title="Loentilskud",
    remittance_label="krav",
    service_date_column="period_start",
    refusion_per_claim=True,
    # The same hours claimed twice: an earlier claim under the same agreement (its
    # document_key) whose period overlaps, paid or held, on any earlier night.
    overlap_lookups=(
        OverlapLookup(
            frame_key="document_key",
            ledger_key="document_key",
            start="period_start",
            end="period_end",
            prefix="overlap",
        ),
    ),
    evidence_columns=(
        "agreement_id",
        "employer_cvr",
        "period_start",
        "period_end",
        "hours",
        "agr_employer_cvr",
        "agr_start",
        "agr_end",
        "weekly_hours",
        "target_group",
        "sector",
        "covered_days",
        "capped_hours",
        "overlap_claim_id",
        "overlap_start",
        "overlap_end",
        "comp_status",
        "comp_status_date",
        "cit_status",
        "cit_status_date",
    ),
)
