"""The helbredstillaeg datasets' data-quality suites: the health claims and the pension
register. A row that fails here cannot be trusted at all (a data error, sent back to its
source); questions of payment are cross-checks in robots/helbredstillaeg/checks.py."""

from __future__ import annotations

import great_expectations.expectations as gxe
import pandas as pd

from checks.quality.expectations import (
    ExpectColumnValuesToBeBetweenVectorised,
    ExpectColumnValuesToBeValidDkCvr,
)
from checks.quality.suites import (
    QualityRule,
    Register,
    cpr_known,
    data_error_rule,
    in_set,
    required,
    unique,
    valid_cpr,
)
from robots.helbredstillaeg.datasets import (
    EXPENSE_TYPES,
    HEALTH_CLAIMS,
    PENSION_TYPES,
    PENSIONERS,
)

HEALTH_CLAIMS_SUITE: list[QualityRule] = [
    *required(HEALTH_CLAIMS),
    unique("DQ-HC-CLAIM-ID-UNIQUE", HEALTH_CLAIMS, "claim_id"),
    QualityRule(
        data_error_rule(
            "DQ-HC-CPR-FORMAT", "health_claims: a CPR that is not 10 digits (hyphen optional)."
        ),
        "cpr",
        lambda _ctx: gxe.ExpectColumnValuesToMatchRegex(column="cpr", regex=r"^[0-9]{10}$"),
        "is not a CPR number of 10 digits",
    ),
    cpr_known("DQ-HC-CPR-KNOWN", HEALTH_CLAIMS),
    in_set("DQ-HC-EXPENSE-TYPE", HEALTH_CLAIMS, "expense_type", EXPENSE_TYPES),
    QualityRule(
        data_error_rule(
            "DQ-HC-PROVIDER-CVR", "health_claims: a provider CVR with a wrong check digit."
        ),
        "provider_cvr",
        lambda _ctx: ExpectColumnValuesToBeValidDkCvr(column="provider_cvr"),
        "is not a valid CVR number",
    ),
    QualityRule(
        data_error_rule("DQ-HC-SHARE-POSITIVE", "health_claims: a citizen share of 0 kr. or less."),
        "citizen_share",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(column="citizen_share", min_value=1),
        "is not above 0 kr.",
        money=True,
    ),
    QualityRule(
        data_error_rule(
            "DQ-HC-RECEIVED-BEFORE-SERVICE",
            "health_claims: a bill received before the service it is for was given.",
        ),
        "received_date",
        lambda _ctx: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="received_date",
            column_B="service_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        "is before the service date",
    ),
    QualityRule(
        data_error_rule(
            "DQ-HC-SERVICE-NOT-FUTURE", "health_claims: a service date after the night run."
        ),
        "service_date",
        lambda ctx: ExpectColumnValuesToBeBetweenVectorised(
            column="service_date", max_value=pd.Timestamp(ctx.night).to_pydatetime()
        ),
        "is after the night being run",
    ),
]

PENSIONERS_SUITE: list[QualityRule] = [
    *required(PENSIONERS),
    valid_cpr("DQ-PEN-CPR-VALID", PENSIONERS),
    cpr_known("DQ-PEN-CPR-KNOWN", PENSIONERS),
    in_set("DQ-PEN-PENSION-TYPE", PENSIONERS, "pension_type", PENSION_TYPES),
    QualityRule(
        data_error_rule("DQ-PEN-PERCENT", "pensioners: a personlig tillaegsprocent outside 0-100."),
        "supplement_percent",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(
            column="supplement_percent", min_value=0, max_value=100
        ),
        "is not between 0 and 100",
    ),
    QualityRule(
        data_error_rule("DQ-PEN-PERIOD", "pensioners: a period that ends before it starts."),
        "valid_to",
        lambda _ctx: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="valid_to",
            column_B="valid_from",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        "is before valid_from",
    ),
]

PENSIONERS_REGISTER = Register(PENSIONERS, tuple(PENSIONERS_SUITE))
