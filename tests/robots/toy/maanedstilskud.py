"""A second toy robot, all in this one module: a monthly allowance that settles corrections.

It proves that periods and versions are the foundation's: the robot only says that its
claims are per month (`period_column`) and that a changed re-delivery settles the
difference (`ChangePolicy.SETTLE`); the pipeline records the new version, pays what is
owed on top, or opens a recovery for what was paid too much. The amount is made up: what
the row says is owed for the month.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from checks.quality.suites import CITIZENS_REGISTER, required, valid_cpr
from checks.rules import Kind, Severity, rule_maker
from robots.core.pipeline.datasets import Column, ColumnType, Dataset, Role
from robots.core.robot import ChangePolicy, EvaluationContext, empty_findings, joined_text
from tests.robots.toy import cykeltilskud

NAME = "maanedstilskud"

ALLOWANCE_CLAIMS = Dataset(
    name="allowance_claims",
    code="MONTH",
    role=Role.CLAIMS,
    key="allowance_id",
    source_id="allowance_id",
    columns=(
        Column("allowance_id"),
        Column("cpr", ColumnType.CPR),
        Column("month"),
        Column("first_day", ColumnType.DATE),
        Column("owed", ColumnType.MONEY),
    ),
)

_rule = rule_maker(NAME)
CHANGED = _rule(
    "MONTH-CHANGED", "Never fires: corrections are settled.", Severity.HOLD, Kind.SUSPECTED_ERROR
)
DUP = _rule("MONTH-DUP", "The same month twice.", Severity.REJECT, Kind.SUSPECTED_ERROR)
DUP_HELD = _rule("MONTH-DUP-HELD", "As a held month.", Severity.HOLD, Kind.SUSPECTED_ERROR)


def compute(claims: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    del context
    j = claims.copy()
    owed = j["owed"].astype("int64").to_numpy()
    j["payee_kind"] = "cpr"
    j["payee_id"] = j["cpr"].astype("string")
    j["category"] = "maaned"
    j["counterparty"] = None
    j["basis_oere"] = owed
    j["amount_oere"] = owed
    j["rate_year"] = j["first_day"].dt.year.astype("int64").to_numpy()
    j["rate_provisional"] = False
    j["rule_basis"] = "MONTH: what the row says is owed"
    return j


def check(computed: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    del computed, context
    return empty_findings()


def fingerprint(claims: pd.DataFrame) -> pd.Series:
    return joined_text(claims[c] for c in ("allowance_id", "cpr", "month", "owed"))


ROBOT = replace(
    cykeltilskud.ROBOT,
    name=NAME,
    code="MT",
    title="Månedstilskud",
    claims=ALLOWANCE_CLAIMS,
    quality_suite=[
        *required(ALLOWANCE_CLAIMS),
        valid_cpr("DQ-MONTH-CPR-VALID", ALLOWANCE_CLAIMS),
    ],
    registers=(CITIZENS_REGISTER,),
    compute=compute,
    check=check,
    fingerprint=fingerprint,
    duplicate_paid_rule=DUP,
    duplicate_held_rule=DUP_HELD,
    resubmitted_changed_rule=CHANGED,
    remittance_title="Maanedstilskud",
    service_date_column="first_day",
    claim_id_column="allowance_id",
    change_policy=ChangePolicy.SETTLE,
    period_column="month",
)
