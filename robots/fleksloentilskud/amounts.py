"""The fleksloentilskud amount, pure and exact (domain.md 3.2-3.3, FL-1, FL-4, FL-5).

tilskud = the year's maximum
          - 30 % of the month's wage income up to the wage threshold (lønindtægtsgrænse)
          - 55 % of the part above it,
never below zero, and never more than the lønloft leaves: wage + tilskud at most the
full-time wage, where the job's full-time wage is known. A month without wage (none, or
none above zero) has no tilskud: it presupposes a wage (FL-5, S22).

Rounding (our decision, domain.md leaves it open): amounts are whole øre; each of the two
deductions is rounded half up to the øre once, and nothing else is rounded (the maximum,
the threshold and the wage are whole øre already). So FL-1 gives 15.272,00 kr. to the
øre, and FL-4's slope is exact: 1.000 kr. more wage below the threshold is 300 kr. less
tilskud, above it 550 kr.

The scalar `Decimal` version is the rule as a caseworker reads it; the vectorised øre
version is what the robot runs; a property test holds the two equal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

from robots.core.money import OERE, ZERO, divide_round_half_up

BELOW_PERCENT = 30
"""Percent of the wage up to the threshold deducted (S28, S29, S30)."""
ABOVE_PERCENT = 55
"""Percent of the wage above the threshold deducted (S28, S29, S30)."""


def fleksloentilskud(
    *,
    wage: Decimal,
    maximum: Decimal,
    threshold: Decimal,
    full_time_wage: Decimal | None = None,
) -> Decimal:
    """One month's subsidy in kroner from the month's wage income (all employers)."""
    if wage <= ZERO:
        return ZERO.quantize(OERE)
    below = min(wage, threshold)
    above = max(wage - threshold, ZERO)
    deduction = (below * BELOW_PERCENT / 100).quantize(OERE, rounding=ROUND_HALF_UP) + (
        above * ABOVE_PERCENT / 100
    ).quantize(OERE, rounding=ROUND_HALF_UP)
    tilskud = max(maximum - deduction, ZERO)
    if full_time_wage is not None:
        tilskud = min(tilskud, max(full_time_wage - wage, ZERO))
    return tilskud.quantize(OERE)


def fleksloentilskud_oere(
    wage_oere: npt.NDArray[np.int64],
    maximum_oere: npt.NDArray[np.int64],
    threshold_oere: npt.NDArray[np.int64],
    full_time_wage_oere: npt.NDArray[np.int64],
    full_time_known: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int64]:
    """The same rule on whole columns of øre, exact in integers (the full-time wage is read
    only where `full_time_known`)."""
    wage = np.asarray(wage_oere, dtype=np.int64)
    threshold = np.asarray(threshold_oere, dtype=np.int64)
    below = np.minimum(wage, threshold)
    above = np.maximum(wage - threshold, 0)
    deduction = divide_round_half_up(below * BELOW_PERCENT, 100) + divide_round_half_up(
        above * ABOVE_PERCENT, 100
    )
    tilskud = np.maximum(np.asarray(maximum_oere, dtype=np.int64) - deduction, 0)
    room = np.maximum(np.asarray(full_time_wage_oere, dtype=np.int64) - wage, 0)
    capped = np.where(np.asarray(full_time_known, dtype=bool), np.minimum(tilskud, room), tilskud)
    return np.where(wage > 0, capped, 0).astype(np.int64)
