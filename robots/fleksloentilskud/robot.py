"""The fleksloentilskud robot as the shared pipeline runs it: the months due listed from
the registers, each month's subsidy computed and checked, corrections settled."""

from __future__ import annotations

import logging

import pandas as pd

from checks.quality.suites import (
    CITIZENS_REGISTER,
    COMPANIES_REGISTER,
    FLEX_JOBS_REGISTER,
    OTHER_BENEFITS_REGISTER,
)
from robots.core.robot import (
    ChangePolicy,
    EvaluationContext,
    ListingContext,
    Robot,
    joined_text,
)
from robots.fleksloentilskud import checks, rules
from robots.fleksloentilskud.computing import compute as compute_months
from robots.fleksloentilskud.datasets import FLEX_MONTHS
from robots.fleksloentilskud.months import list_months, months_due
from robots.fleksloentilskud.quality import FLEX_MONTHS_SUITE, INCOMES_REGISTER
from robots.fleksloentilskud.settings import load_settings
from robots.fleksloentilskud.unreadable import remembered

NAME = "fleksloentilskud"
logger = logging.getLogger(__name__)


def list_claims(context: ListingContext) -> pd.DataFrame:
    """Tonight's months due (months.py), each job's month once, with its facts."""
    settings = load_settings()
    incomes = context.references["incomes"]
    taken_in = context.taken_in.get("incomes", pd.DataFrame())
    unreadable = remembered(
        context.state_dir,
        context.unreadable.get("incomes", pd.DataFrame()),
        taken_in,
        context.night,
    )
    corrected = taken_in["period"] if len(taken_in) else pd.Series([], dtype="string")
    months = months_due(
        context.night,
        complete_day=settings.complete_day,
        months_back=settings.months_back,
        correction_months_back=settings.correction_months_back,
        first_month=settings.first_month,
        corrected_wage_months=pd.concat([corrected, unreadable["period"]]),
        asked_for=context.month,
    )
    if context.month is not None and not months:
        logger.warning(
            "%s: month %s is not due (its wage month is not complete in eIndkomst until the "
            "%dth of the month after, or it is before first_month %s): nothing listed",
            NAME,
            context.month,
            settings.complete_day,
            settings.first_month,
        )
    return list_months(months, context.references["flex_jobs"], incomes, unreadable)


def compute(claims: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    return compute_months(claims, context.references)


def fingerprint(claims: pd.DataFrame) -> pd.Series:
    """The citizen, the month and the digest of its facts (the job's id left out): the same
    month of the same job under a second job id is a duplicate."""
    return joined_text(claims[c].astype("string") for c in ("cpr", "month", "facts"))


ROBOT = Robot(
    name=NAME,
    code="FL",
    title="Fleksloentilskud",
    claims=FLEX_MONTHS,
    quality_suite=FLEX_MONTHS_SUITE,
    registers=(
        CITIZENS_REGISTER,
        COMPANIES_REGISTER,
        FLEX_JOBS_REGISTER,
        INCOMES_REGISTER,
        OTHER_BENEFITS_REGISTER,
    ),
    compute=compute,
    check=checks.check,
    fingerprint=fingerprint,
    duplicate_paid_rule=rules.DUPLICATE_PAID,
    duplicate_held_rule=rules.DUPLICATE_HELD,
    resubmitted_changed_rule=rules.CHANGED,
    # A corrected wage month is the month's next version: the difference is paid, or asked
    # back (tilbagebetalingskrav), never the month in full twice.
    change_policy=ChangePolicy.SETTLE,
    period_column="month",
    accounts_section="fleksloentilskud",
    remittance_title="Fleksloentilskud",
    remittance_label="md.",
    claim_id_column="job_id",
    list_claims=list_claims,
    refusion_per_claim=True,
    evidence_columns=(
        "month",
        "wage_month",
        "employer_cvr",
        "start_date",
        "end_date",
        "weekly_hours",
        "wage_oere",
        "own_wage_oere",
        "other_wage_oere",
        "hours",
        "max_oere",
        "threshold_oere",
        "full_time_wage",
        "refusion_percent",
        "cit_status",
        "cit_status_date",
    ),
)
