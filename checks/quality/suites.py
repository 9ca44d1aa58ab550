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
from robots.core.pipeline.datasets import (
    CITIZENS,
    COMPANIES,
    HEALTH_CLAIMS,
    PENSIONERS,
    Dataset,
)

EXPENSE_TYPES = (
    "medicin",
    "tandbehandling",
    "fysioterapi",
    "kiropraktik",
    "fodterapi",
    "psykolog",
    "briller",
    "tandprotese",
)
CITIZEN_STATUSES = ("active", "dead", "emigrated", "missing")
CIVIL_STATUSES = ("single", "married", "cohabiting")
PENSION_TYPES = ("folkepension", "foertidspension")
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


def _rule(rule_id: str, looks_for: str, missing_from: str | None = None) -> Rule:
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


def _required(dataset: Dataset) -> list[QualityRule]:
    rule = _rule(
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


def _in_set(rule_id: str, dataset: Dataset, column: str, allowed: tuple[str, ...]) -> QualityRule:
    return QualityRule(
        _rule(rule_id, f"{dataset.name}: {column} other than {', '.join(allowed)}."),
        column,
        lambda _ctx: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(allowed)),
        f"is not one of {', '.join(allowed)}",
    )


def _unique(rule_id: str, dataset: Dataset, column: str) -> QualityRule:
    return QualityRule(
        _rule(rule_id, f"{dataset.name}: the same {column} on more than one row."),
        column,
        lambda _ctx: gxe.ExpectColumnValuesToBeUnique(column=column),
        "occurs on more than one row; it must be unique",
        unique=True,
    )


def _valid_cpr(rule_id: str, dataset: Dataset) -> QualityRule:
    return QualityRule(
        _rule(rule_id, f"{dataset.name}: a CPR number with no real birth date or not 10 digits."),
        "cpr",
        lambda _ctx: ExpectColumnValuesToBeValidDkCpr(column="cpr"),
        "is not a valid CPR number",
    )


def _cpr_known(rule_id: str, dataset: Dataset) -> QualityRule:
    return QualityRule(
        _rule(
            rule_id,
            f"{dataset.name}: a CPR number that is not in the CPR extract (citizens).",
            missing_from="citizens",
        ),
        "cpr",
        lambda _ctx: ExpectColumnValuesToBeInReference(column="cpr", reference="citizens.cpr"),
        "is not in the CPR extract (citizens), or its row there had errors",
    )


HEALTH_CLAIMS_SUITE: list[QualityRule] = [
    *_required(HEALTH_CLAIMS),
    _unique("DQ-HC-CLAIM-ID-UNIQUE", HEALTH_CLAIMS, "claim_id"),
    QualityRule(
        _rule("DQ-HC-CPR-FORMAT", "health_claims: a CPR that is not 10 digits (hyphen optional)."),
        "cpr",
        lambda _ctx: gxe.ExpectColumnValuesToMatchRegex(column="cpr", regex=r"^[0-9]{10}$"),
        "is not a CPR number of 10 digits",
    ),
    _cpr_known("DQ-HC-CPR-KNOWN", HEALTH_CLAIMS),
    _in_set("DQ-HC-EXPENSE-TYPE", HEALTH_CLAIMS, "expense_type", EXPENSE_TYPES),
    QualityRule(
        _rule("DQ-HC-PROVIDER-CVR", "health_claims: a provider CVR with a wrong check digit."),
        "provider_cvr",
        lambda _ctx: ExpectColumnValuesToBeValidDkCvr(column="provider_cvr"),
        "is not a valid CVR number",
    ),
    QualityRule(
        _rule("DQ-HC-SHARE-POSITIVE", "health_claims: a citizen share of 0 kr. or less."),
        "citizen_share",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(column="citizen_share", min_value=1),
        "is not above 0 kr.",
        money=True,
    ),
    QualityRule(
        _rule(
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
        _rule("DQ-HC-SERVICE-NOT-FUTURE", "health_claims: a service date after the night run."),
        "service_date",
        lambda ctx: ExpectColumnValuesToBeBetweenVectorised(
            column="service_date", max_value=pd.Timestamp(ctx.night).to_pydatetime()
        ),
        "is after the night being run",
    ),
]

CITIZENS_SUITE: list[QualityRule] = [
    *_required(CITIZENS),
    _valid_cpr("DQ-CIT-CPR-VALID", CITIZENS),
    _unique("DQ-CIT-CPR-UNIQUE", CITIZENS, "cpr"),
    _in_set("DQ-CIT-STATUS", CITIZENS, "status", CITIZEN_STATUSES),
    _in_set("DQ-CIT-CIVIL-STATUS", CITIZENS, "civil_status", CIVIL_STATUSES),
    QualityRule(
        _rule("DQ-CIT-STATUS-DATE", "citizens: dead, emigrated or missing without a status date."),
        "status_date",
        lambda _ctx: gxe.ExpectColumnValuesToNotBeNull(
            column="status_date", row_condition='status!="active"', condition_parser="pandas"
        ),
        "is missing; a status other than active needs the date it took effect",
        condition_reads=("status",),
    ),
]

PENSIONERS_SUITE: list[QualityRule] = [
    *_required(PENSIONERS),
    _valid_cpr("DQ-PEN-CPR-VALID", PENSIONERS),
    _cpr_known("DQ-PEN-CPR-KNOWN", PENSIONERS),
    _in_set("DQ-PEN-PENSION-TYPE", PENSIONERS, "pension_type", PENSION_TYPES),
    QualityRule(
        _rule("DQ-PEN-PERCENT", "pensioners: a personlig tillaegsprocent outside 0-100."),
        "supplement_percent",
        lambda _ctx: ExpectColumnValuesToBeBetweenVectorised(
            column="supplement_percent", min_value=0, max_value=100
        ),
        "is not between 0 and 100",
    ),
    QualityRule(
        _rule("DQ-PEN-PERIOD", "pensioners: a period that ends before it starts."),
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

COMPANIES_SUITE: list[QualityRule] = [
    *_required(COMPANIES),
    QualityRule(
        _rule("DQ-CVR-VALID", "companies: a CVR number with a wrong check digit."),
        "cvr",
        lambda _ctx: ExpectColumnValuesToBeValidDkCvr(column="cvr"),
        "is not a valid CVR number",
    ),
    _unique("DQ-CVR-UNIQUE", COMPANIES, "cvr"),
    _in_set("DQ-CVR-STATUS", COMPANIES, "status", COMPANY_STATUSES),
    _in_set("DQ-CVR-SECTOR", COMPANIES, "sector", SECTORS),
]

SUITES: dict[str, list[QualityRule]] = {
    HEALTH_CLAIMS.name: HEALTH_CLAIMS_SUITE,
    CITIZENS.name: CITIZENS_SUITE,
    PENSIONERS.name: PENSIONERS_SUITE,
    COMPANIES.name: COMPANIES_SUITE,
}
"""Suites by dataset; the laegeregninger datasets add theirs on import (see below)."""


def _add_laegeregninger_suites() -> None:
    from checks.quality.laegeregninger import (
        CERTIFICATE_REQUESTS_SUITE,
        DOCTOR_INVOICES_SUITE,
    )

    SUITES["certificate_requests"] = CERTIFICATE_REQUESTS_SUITE
    SUITES["doctor_invoices"] = DOCTOR_INVOICES_SUITE


_add_laegeregninger_suites()
