"""Data-quality suites of the loentilskud datasets. A row that fails here could not be
trusted at all (a data error, sent back to its source): negative hours, a period that ends
before it begins or a date that does not exist, a CVR with a wrong check digit. Whether the
claim is owed (its agreement, employer, person, hours) is a cross-check in checks.py.
"""

from __future__ import annotations

import great_expectations.expectations as gxe
import pandas as pd

from checks.quality.expectations import ExpectColumnValuesToBeBetweenVectorised
from checks.quality.suites import (
    QualityRule,
    Register,
    cpr_known,
    data_error_rule,
    ends_after_start,
    required,
    unique,
    valid_cpr,
    valid_cvr,
)
from robots.loentilskud.datasets import SUBSIDY_AGREEMENTS, SUBSIDY_CLAIMS

CLAIM_ID_MAX_LENGTH = 48
"""Room for an employer's claim number inside the ledger's claim id and key."""

MAX_WEEKLY_HOURS = 37
"""A subsidised job is at most full time: 37 hours a week (S53, S55)."""

SUBSIDY_AGREEMENTS_SUITE: list[QualityRule] = [
    *required(SUBSIDY_AGREEMENTS),
    unique("DQ-AGR-ID-UNIQUE", SUBSIDY_AGREEMENTS, "agreement_id"),
    valid_cpr("DQ-AGR-CPR-VALID", SUBSIDY_AGREEMENTS),
    cpr_known("DQ-AGR-CPR-KNOWN", SUBSIDY_AGREEMENTS),
    valid_cvr("DQ-AGR-EMPLOYER-CVR", "subsidy_agreements", "employer_cvr"),
    ends_after_start("DQ-AGR-PERIOD", "subsidy_agreements", "start_date", "end_date"),
    QualityRule(
        data_error_rule(
            "DQ-AGR-HOURS",
            f"subsidy_agreements: weekly hours not above 0 or above {MAX_WEEKLY_HOURS}.",
        ),
        "weekly_hours",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(
            column="weekly_hours", min_value=1, max_value=MAX_WEEKLY_HOURS * 100
        ),
        f"is not above 0 and at most {MAX_WEEKLY_HOURS} hours",
    ),
]

SUBSIDY_CLAIMS_SUITE: list[QualityRule] = [
    *required(SUBSIDY_CLAIMS),
    unique("DQ-SUB-ID-UNIQUE", SUBSIDY_CLAIMS, "claim_id"),
    valid_cvr("DQ-SUB-EMPLOYER-CVR", "subsidy_claims", "employer_cvr"),
    ends_after_start("DQ-SUB-PERIOD", "subsidy_claims", "period_start", "period_end"),
    QualityRule(
        data_error_rule("DQ-SUB-HOURS", "subsidy_claims: negative hours."),
        "hours",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(column="hours", min_value=0),
        "is below 0 hours",
    ),
    QualityRule(
        data_error_rule(
            "DQ-SUB-PERIOD-NOT-FUTURE",
            "subsidy_claims: a period that ends after the night being run (hours not yet worked).",
        ),
        "period_end",
        lambda ctx: ExpectColumnValuesToBeBetweenVectorised(
            column="period_end", max_value=pd.Timestamp(ctx.night).to_pydatetime()
        ),
        "is after the night being run: a subsidy is claimed for hours already worked",
    ),
    QualityRule(
        data_error_rule(
            "DQ-SUB-ID-LENGTH",
            f"subsidy_claims: a claim id longer than {CLAIM_ID_MAX_LENGTH} characters.",
        ),
        "claim_id",
        lambda _ctx: gxe.ExpectColumnValueLengthsToBeBetween(
            column="claim_id", min_value=1, max_value=CLAIM_ID_MAX_LENGTH
        ),
        f"is empty or longer than {CLAIM_ID_MAX_LENGTH} characters",
    ),
]

SUBSIDY_AGREEMENTS_REGISTER = Register(SUBSIDY_AGREEMENTS, tuple(SUBSIDY_AGREEMENTS_SUITE))
