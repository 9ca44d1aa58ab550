"""The fleksloentilskud datasets' data-quality suites. A row that fails here cannot be
trusted at all (a data error, sent back to its source); an unreadable income row also
holds its month (unreadable.py). Questions of payment are the checks in checks.py."""

from __future__ import annotations

import great_expectations.expectations as gxe

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
from robots.fleksloentilskud.datasets import (
    FLEX_JOBS,
    FLEX_MONTHS,
    INCOME_TYPES,
    INCOMES,
    OTHER_BENEFITS,
)


def _valid_cvr(rule_id: str, dataset_name: str, column: str) -> QualityRule:
    return QualityRule(
        data_error_rule(rule_id, f"{dataset_name}: a {column} with a wrong check digit."),
        column,
        lambda _ctx: ExpectColumnValuesToBeValidDkCvr(column=column),
        "is not a valid CVR number",
    )


def _ends_after_start(rule_id: str, dataset_name: str, start: str, end: str) -> QualityRule:
    return QualityRule(
        data_error_rule(rule_id, f"{dataset_name}: {end} before {start}."),
        end,
        lambda _ctx: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=end, column_B=start, or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        f"is before {start}",
    )


FLEX_JOBS_SUITE: list[QualityRule] = [
    *required(FLEX_JOBS),
    valid_cpr("DQ-FLJ-CPR-VALID", FLEX_JOBS),
    cpr_known("DQ-FLJ-CPR-KNOWN", FLEX_JOBS),
    _valid_cvr("DQ-FLJ-EMPLOYER-CVR", "flex_jobs", "employer_cvr"),
    _ends_after_start("DQ-FLJ-PERIOD", "flex_jobs", "start_date", "end_date"),
    QualityRule(
        data_error_rule("DQ-FLJ-HOURS", "flex_jobs: agreed weekly hours not above 0 or above 37."),
        "weekly_hours",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(
            column="weekly_hours", min_value=1, max_value=3700
        ),
        "is not above 0 and at most 37 hours",
    ),
]

INCOMES_SUITE: list[QualityRule] = [
    *required(INCOMES),
    valid_cpr("DQ-INC-CPR-VALID", INCOMES),
    _valid_cvr("DQ-INC-PAYER-CVR", "incomes", "payer_cvr"),
    in_set("DQ-INC-TYPE", INCOMES, "income_type", INCOME_TYPES),
    QualityRule(
        data_error_rule("DQ-INC-HOURS", "incomes: negative paid hours."),
        "hours",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(column="hours", min_value=0),
        "is below 0 hours",
    ),
]

OTHER_BENEFITS_SUITE: list[QualityRule] = [
    *required(OTHER_BENEFITS),
    valid_cpr("DQ-OTB-CPR-VALID", OTHER_BENEFITS),
    _ends_after_start("DQ-OTB-PERIOD", "other_benefits", "period_start", "period_end"),
]

FLEX_MONTHS_SUITE: list[QualityRule] = [
    *required(FLEX_MONTHS),
    unique("DQ-FLM-MONTH-UNIQUE", FLEX_MONTHS, "job_id"),
]

FLEX_JOBS_REGISTER = Register(FLEX_JOBS, tuple(FLEX_JOBS_SUITE))
INCOMES_REGISTER = Register(INCOMES, tuple(INCOMES_SUITE))
OTHER_BENEFITS_REGISTER = Register(OTHER_BENEFITS, tuple(OTHER_BENEFITS_SUITE))
