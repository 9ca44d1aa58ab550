"""The data-quality suites, one per dataset: formats, ranges, allowed values, uniqueness,
and references between datasets. Each expectation carries the id of the rule it enforces,
so a failing row becomes an exception that names both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import great_expectations.expectations as gxe
import numpy as np
import pandas as pd

from checks.quality.expectations import (
    ExpectColumnValuesToBeBetweenVectorised,
    ExpectColumnValuesToBeInReference,
    ExpectColumnValuesToBeValidDkCpr,
    ExpectColumnValuesToBeValidDkCvr,
)
from checks.rules import Kind, Rule, Severity, register
from robots.core.money import format_kroner
from robots.core.pipeline.datasets import CITIZENS, COMPANIES, FLEX_JOBS, OTHER_BENEFITS, Dataset

CITIZEN_STATUSES = ("active", "dead", "emigrated", "missing")
CIVIL_STATUSES = ("single", "married", "cohabiting")
COMPANY_STATUSES = ("active", "bankrupt", "closed", "liquidation")
SECTORS = ("private", "public")


@dataclass(frozen=True)
class SuiteContext:
    """What a suite may depend on besides the data: the night being run."""

    night: date


@dataclass(frozen=True)
class QualityRule:
    """One expectation of a suite: the rule it enforces and how to say what failed."""

    rule: Rule
    column: str
    build: Callable[[SuiteContext], Any]
    says: str
    money: bool = False
    condition_reads: tuple[str, ...] = ()
    """Columns its row condition reads: the suite validates only the columns it names."""
    unique: bool = False
    """The rule says its column's values are unique (one value, one row)."""

    def messages(self, values: pd.Series) -> pd.Series:
        """Say what failed in a caseworker's words (dates as dates, øre as kroner)."""
        shown = self._shown(values).astype(object).where(values.notna().to_numpy(), "(blank)")
        return f"{self.column} '" + shown.astype(str) + f"' {self.says}"

    def _shown(self, values: pd.Series) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(values):
            days = values.to_numpy().astype("datetime64[D]")
            return pd.Series(np.datetime_as_string(days), index=values.index)
        if self.money:
            # Few distinct amounts fail; each is formatted once.
            codes, amounts = pd.factorize(values)
            said = [format_kroner(int(a)) + " kr." for a in amounts]
            return pd.Series(np.array([*said, ""], dtype=object)[codes], index=values.index)
        return values.astype("string")


def data_error_rule(rule_id: str, looks_for: str, missing_from: str | None = None) -> Rule:
    return register(
        Rule(
            rule_id,
            "shared",
            looks_for,
            Severity.DATA_ERROR,
            Kind.DATA_ERROR,
            missing_from=missing_from,
        )
    )


def _not_null(_context: SuiteContext, column: str) -> Any:
    return gxe.ExpectColumnValuesToNotBeNull(column=column)


def required(dataset: Dataset) -> list[QualityRule]:
    rule = data_error_rule(
        f"DQ-{dataset.code}-REQUIRED",
        f"{dataset.name}: a value missing in a column that must have one "
        f"({', '.join(c.name for c in dataset.columns if c.required)}).",
    )
    return [
        QualityRule(
            rule,
            c.name,
            partial(_not_null, column=c.name),
            "is missing; the column must have a value",
        )
        for c in dataset.columns
        if c.required
    ]


def in_set(rule_id: str, dataset: Dataset, column: str, allowed: tuple[str, ...]) -> QualityRule:
    return QualityRule(
        data_error_rule(rule_id, f"{dataset.name}: {column} other than {', '.join(allowed)}."),
        column,
        lambda _ctx: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(allowed)),
        f"is not one of {', '.join(allowed)}",
    )


def unique(rule_id: str, dataset: Dataset, column: str) -> QualityRule:
    return QualityRule(
        data_error_rule(rule_id, f"{dataset.name}: the same {column} on more than one row."),
        column,
        lambda _ctx: gxe.ExpectColumnValuesToBeUnique(column=column),
        "occurs on more than one row; it must be unique",
        unique=True,
    )


def valid_cpr(rule_id: str, dataset: Dataset) -> QualityRule:
    return QualityRule(
        data_error_rule(
            rule_id, f"{dataset.name}: a CPR number with no real birth date or not 10 digits."
        ),
        "cpr",
        lambda _ctx: ExpectColumnValuesToBeValidDkCpr(column="cpr"),
        "is not a valid CPR number",
    )


def cpr_known(rule_id: str, dataset: Dataset) -> QualityRule:
    return QualityRule(
        data_error_rule(
            rule_id,
            f"{dataset.name}: a CPR number that is not in the CPR extract (citizens).",
            missing_from="citizens",
        ),
        "cpr",
        lambda _ctx: ExpectColumnValuesToBeInReference(column="cpr", reference="citizens.cpr"),
        "is not in the CPR extract (citizens), or its row there had errors",
    )


CITIZENS_SUITE: list[QualityRule] = [
    *required(CITIZENS),
    valid_cpr("DQ-CIT-CPR-VALID", CITIZENS),
    unique("DQ-CIT-CPR-UNIQUE", CITIZENS, "cpr"),
    in_set("DQ-CIT-STATUS", CITIZENS, "status", CITIZEN_STATUSES),
    in_set("DQ-CIT-CIVIL-STATUS", CITIZENS, "civil_status", CIVIL_STATUSES),
    QualityRule(
        data_error_rule(
            "DQ-CIT-STATUS-DATE", "citizens: dead, emigrated or missing without a status date."
        ),
        "status_date",
        lambda _ctx: gxe.ExpectColumnValuesToNotBeNull(
            column="status_date", row_condition='status!="active"', condition_parser="pandas"
        ),
        "is missing; a status other than active needs the date it took effect",
        condition_reads=("status",),
    ),
]

COMPANIES_SUITE: list[QualityRule] = [
    *required(COMPANIES),
    QualityRule(
        data_error_rule("DQ-CVR-VALID", "companies: a CVR number with a wrong check digit."),
        "cvr",
        lambda _ctx: ExpectColumnValuesToBeValidDkCvr(column="cvr"),
        "is not a valid CVR number",
    ),
    unique("DQ-CVR-UNIQUE", COMPANIES, "cvr"),
    in_set("DQ-CVR-STATUS", COMPANIES, "status", COMPANY_STATUSES),
    in_set("DQ-CVR-SECTOR", COMPANIES, "sector", SECTORS),
]


def valid_cvr(rule_id: str, dataset_name: str, column: str) -> QualityRule:
    return QualityRule(
        data_error_rule(rule_id, f"{dataset_name}: a {column} with a wrong check digit."),
        column,
        lambda _ctx: ExpectColumnValuesToBeValidDkCvr(column=column),
        "is not a valid CVR number",
    )


def ends_after_start(rule_id: str, dataset_name: str, start: str, end: str) -> QualityRule:
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
    valid_cvr("DQ-FLJ-EMPLOYER-CVR", "flex_jobs", "employer_cvr"),
    ends_after_start("DQ-FLJ-PERIOD", "flex_jobs", "start_date", "end_date"),
    QualityRule(
        data_error_rule("DQ-FLJ-HOURS", "flex_jobs: agreed weekly hours not above 0 or above 37."),
        "weekly_hours",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(
            column="weekly_hours", min_value=1, max_value=3700
        ),
        "is not above 0 and at most 37 hours",
    ),
]

OTHER_BENEFITS_SUITE: list[QualityRule] = [
    *required(OTHER_BENEFITS),
    valid_cpr("DQ-OTB-CPR-VALID", OTHER_BENEFITS),
    ends_after_start("DQ-OTB-PERIOD", "other_benefits", "period_start", "period_end"),
]


@dataclass(frozen=True)
class Register:
    """A register a robot reads: its dataset, and the suite its rows must pass to be used.

    A robot lists its registers in the order they are taken in: the CPR extract first,
    since the other registers' suites look CPR numbers up in it."""

    dataset: Dataset
    suite: tuple[QualityRule, ...]


CITIZENS_REGISTER = Register(CITIZENS, tuple(CITIZENS_SUITE))
COMPANIES_REGISTER = Register(COMPANIES, tuple(COMPANIES_SUITE))
FLEX_JOBS_REGISTER = Register(FLEX_JOBS, tuple(FLEX_JOBS_SUITE))
OTHER_BENEFITS_REGISTER = Register(OTHER_BENEFITS, tuple(OTHER_BENEFITS_SUITE))
