"""The fleksloentilskud datasets' data-quality suites. A row that fails here cannot be
trusted at all (a data error, sent back to its source); an unreadable income row also
holds its month (unreadable.py). Questions of payment are the checks in checks.py."""

from __future__ import annotations

from checks.quality.expectations import (
    ExpectColumnValuesToBeBetweenVectorised,
)
from checks.quality.suites import (
    QualityRule,
    Register,
    data_error_rule,
    in_set,
    required,
    unique,
    valid_cpr,
    valid_cvr,
)
from robots.fleksloentilskud.datasets import FLEX_MONTHS, INCOME_TYPES, INCOMES

INCOMES_SUITE: list[QualityRule] = [
    *required(INCOMES),
    valid_cpr("DQ-INC-CPR-VALID", INCOMES),
    valid_cvr("DQ-INC-PAYER-CVR", "incomes", "payer_cvr"),
    in_set("DQ-INC-TYPE", INCOMES, "income_type", INCOME_TYPES),
    QualityRule(
        data_error_rule("DQ-INC-HOURS", "incomes: negative paid hours."),
        "hours",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(column="hours", min_value=0),
        "is below 0 hours",
    ),
]

FLEX_MONTHS_SUITE: list[QualityRule] = [
    *required(FLEX_MONTHS),
    unique("DQ-FLM-MONTH-UNIQUE", FLEX_MONTHS, "job_id"),
]

INCOMES_REGISTER = Register(INCOMES, tuple(INCOMES_SUITE))
