"""State refusion of each payment by the refusionstrappen (domain.md 3.5 and E).

Since 4.1.2016 the state reimburses fleksloentilskud by how long the citizen has been on
public benefits (anciennitet, counted in weeks from `benefit_start_date`): 80 % in weeks
1-4, 40 % in weeks 5-26, 30 % in weeks 27-52, 20 % from week 53 (S46, S47, S48). People
visiteret to fleksjob before 1.1.2013 are outside the trappe: 65 %, grouping 013 on
5.58.81 (S46, S49).

Decisions of ours (stated in the README): the week counted is the one the subsidy month
begins in (week 1 is the seven days from benefit_start_date); without a
benefit_start_date the lowest step (20 %) is used, so the municipality never books more
refusion than the law can give; the visitation date is the optional `visitation_date`
column, and where it is absent the job's start date stands in for it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

STEPS = ((4, 80), (26, 40), (52, 30))
"""(last week of the step, percent); after the last step LATER_PERCENT."""
LATER_PERCENT = 20
OLD_SCHEME_PERCENT = 65
OLD_SCHEME_BEFORE = date(2013, 1, 1)
OLD_SCHEME_GROUPING = "013"
"""Grouping on 5.58.81 for the old (pre-2013) fleksjob scheme (S46, S49)."""


def refusion_percent(week: int | None, old_scheme: bool) -> int:
    """The percent of one payment the state reimburses (the rule as a caseworker reads it)."""
    if old_scheme:
        return OLD_SCHEME_PERCENT
    if week is None:
        return LATER_PERCENT
    for last_week, percent in STEPS:
        if week <= last_week:
            return percent
    return LATER_PERCENT


def weeks_on_benefits(benefit_start: pd.Series, month_start: pd.Series) -> pd.Series:
    """The week of public support the month begins in (1 = the first seven days)."""
    days = (month_start - benefit_start).dt.days
    return (days // 7 + 1).astype("Int64")


def refusion_percents(week: pd.Series, old_scheme: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """The same rule on whole columns."""
    weeks = week.fillna(10**6).to_numpy(dtype=np.int64)
    percent = np.full(len(weeks), LATER_PERCENT, dtype=np.int64)
    for last_week, step in reversed(STEPS):
        percent = np.where(weeks <= last_week, step, percent)
    return np.where(old_scheme, OLD_SCHEME_PERCENT, percent).astype(np.int64)
