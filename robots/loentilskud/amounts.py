"""The loentilskud amount, pure and exact (domain.md 4.1, 4.2; BEK § 88 stk. 1).

subsidy = the hourly rate for the employer's sector and the year x the hours with paid
wage, the hours capped at what the agreement allows for the period's weeks:

* only the days of the claimed period inside the agreement's dates count ("covered days");
* a period of d covered days has d / 7 weeks, so its cap is the agreed weekly hours
  x d / 7, in hundredths of an hour, rounded down (a claim is never paid for a fraction of
  an hour more than agreed); a whole calendar month of 31 days allows 31/7 = 4.43 weeks;
* the amount is rounded half up to the øre once, at the end.

The scalar `Decimal` version is the rule as a caseworker reads it; the vectorised øre
version is what the robot runs, and a property test holds the two equal.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

from robots.core.money import OERE, divide_round_half_up

DAYS_PER_WEEK = 7
_HOUR_HUNDREDTH = Decimal("0.01")


def covered_days(
    period_start: date, period_end: date, agreement_start: date, agreement_end: date
) -> int:
    """The days of the claimed period inside the agreement (both ends counted)."""
    first, last = max(period_start, agreement_start), min(period_end, agreement_end)
    return max((last - first).days + 1, 0)


def hour_cap(weekly_hours: Decimal, days: int) -> Decimal:
    """The hours the agreement allows over `days` days, to the hundredth, rounded down."""
    return (weekly_hours * days / DAYS_PER_WEEK).quantize(_HOUR_HUNDREDTH, rounding=ROUND_DOWN)


def loentilskud(rate_per_hour: Decimal, hours: Decimal, cap: Decimal) -> Decimal:
    """The subsidy in kroner for `hours` claimed (at most `cap` count)."""
    return (rate_per_hour * min(hours, cap)).quantize(OERE, rounding=ROUND_HALF_UP)


def covered_days_array(
    period_start: npt.NDArray[np.datetime64],
    period_end: npt.NDArray[np.datetime64],
    agreement_start: npt.NDArray[np.datetime64],
    agreement_end: npt.NDArray[np.datetime64],
) -> npt.NDArray[np.int64]:
    """`covered_days` on whole columns (datetime64 of any unit, whole days)."""
    first = np.maximum(
        period_start.astype("datetime64[D]"), agreement_start.astype("datetime64[D]")
    )
    last = np.minimum(period_end.astype("datetime64[D]"), agreement_end.astype("datetime64[D]"))
    return np.maximum((last - first).astype(np.int64) + 1, 0)


def hour_cap_hundredths(
    weekly_hundredths: npt.NDArray[np.int64], days: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """`hour_cap` on whole columns of hundredths of an hour (exact: floor division)."""
    return (np.asarray(weekly_hundredths, np.int64) * np.asarray(days, np.int64)) // DAYS_PER_WEEK


def loentilskud_oere(
    rate_oere: npt.NDArray[np.int64],
    hours_hundredths: npt.NDArray[np.int64],
    cap_hundredths: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """`loentilskud` on whole columns: øre per hour x hundredths of an hour / 100, rounded
    half up once."""
    payable = np.minimum(np.asarray(hours_hundredths, np.int64), cap_hundredths)
    return divide_round_half_up(np.asarray(rate_oere, np.int64) * payable, 100)
