"""A toy robot, all in this one module: a bicycle allowance paid to citizens.

It exists to prove that a benefit is one package: its datasets, quality suite, rules,
amount and wiring are declared here and the shared pipeline runs it without a line of
robots/core or checks/ changed. The amount rule is made up: what was claimed, at most the
ceiling below; a claim above it is held for a person (the claim-life tests use that).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.quality.suites import CITIZENS_REGISTER, required, unique, valid_cpr
from checks.rules import Kind, Severity, rule_maker
from robots.core.pipeline.datasets import Column, ColumnType, Dataset, Role
from robots.core.robot import (
    EvaluationContext,
    Robot,
    concat_findings,
    findings,
    joined_text,
)

NAME = "cykeltilskud"
CEILING_OERE = 150_000
"""A made-up ceiling (1.500 kr.): a toy has no law to cite."""

BIKE_CLAIMS = Dataset(
    name="bike_claims",
    code="BIKE",
    role=Role.CLAIMS,
    key="claim_id",
    source_id="claim_id",
    columns=(
        Column("claim_id"),
        Column("cpr", ColumnType.CPR),
        Column("bought_date", ColumnType.DATE),
        Column("price", ColumnType.MONEY),
    ),
)

SUITE = [
    *required(BIKE_CLAIMS),
    unique("DQ-BIKE-CLAIM-ID-UNIQUE", BIKE_CLAIMS, "claim_id"),
    valid_cpr("DQ-BIKE-CPR-VALID", BIKE_CLAIMS),
]

_rule = rule_maker(NAME)
DEAD = _rule("BIKE-DEAD", "The citizen is dead.", Severity.REJECT, Kind.NOT_ELIGIBLE)
OVER_CEILING = _rule(
    "BIKE-OVER-CEILING",
    "A price above the ceiling: a person decides (the ceiling is what could be paid).",
    Severity.HOLD,
    Kind.SUSPECTED_ERROR,
    compares=("price",),
)
DUP_PAID = _rule(
    "BIKE-DUP-PAID",
    "The same bike claimed again under a new id.",
    Severity.REJECT,
    Kind.SUSPECTED_ERROR,
)
DUP_HELD = _rule(
    "BIKE-DUP-HELD", "The same bike as a claim still held.", Severity.HOLD, Kind.SUSPECTED_ERROR
)
RESUBMIT_CHANGED = _rule(
    "BIKE-RESUBMIT-CHANGED", "A paid claim sent again changed.", Severity.HOLD, Kind.SUSPECTED_ERROR
)


def compute(claims: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    citizens = context.references["citizens"].set_index("cpr")
    j = claims.copy()
    j["cit_status"] = claims["cpr"].map(citizens["status"])
    price = j["price"].astype("int64").to_numpy()
    j["payee_kind"] = "cpr"
    j["payee_id"] = j["cpr"].astype("string")
    j["category"] = "cykel"
    j["counterparty"] = None
    j["basis_oere"] = price
    j["amount_oere"] = np.minimum(price, CEILING_OERE)
    j["rate_year"] = j["bought_date"].dt.year.astype("int64").to_numpy()
    j["rate_provisional"] = False
    j["rule_basis"] = "BIKE: the price, at most the ceiling"
    return j


def check(computed: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    del context
    return concat_findings(
        [
            findings(computed["cit_status"] == "dead", DEAD, "the citizen is dead"),
            findings(
                pd.Series(computed["basis_oere"] > CEILING_OERE, index=computed.index),
                OVER_CEILING,
                "above the ceiling of 1.500,00 kr.",
            ),
        ]
    )


def fingerprint(claims: pd.DataFrame) -> pd.Series:
    return joined_text(claims[c] for c in ("cpr", "bought_date", "price"))


ROBOT = Robot(
    name=NAME,
    code="BK",
    title="Cykeltilskud",
    claims=BIKE_CLAIMS,
    quality_suite=SUITE,
    registers=(CITIZENS_REGISTER,),
    compute=compute,
    check=check,
    fingerprint=fingerprint,
    duplicate_paid_rule=DUP_PAID,
    duplicate_held_rule=DUP_HELD,
    resubmitted_changed_rule=RESUBMIT_CHANGED,
    accounts_section=NAME,
    remittance_title="Cykeltilskud",
    service_date_column="bought_date",
    evidence_columns=("bought_date", "price", "cit_status"),
)
