"""The helbredstillaeg amount and eligibility arithmetic, pure and exact.

helbredstillaeg = coverage (85 %) x egenbetaling x tillaegsprocent / 100, rounded half up
to the øre once, at the end (domain.md 1.2 and HT-1). The scalar `Decimal` version is the
readable statement of the rule; the vectorised øre version is what the robot runs, and a
property test holds the two equal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

from robots.core.money import OERE, ZERO, divide_round_half_up

_HUNDRED = Decimal(100)


def egenbetaling(
    *, price: Decimal, regional_subsidy: Decimal, private_insurance: Decimal
) -> Decimal:
    """The citizen's own payment: the price less public subsidy and private insurance.

    Frederikssund's example (S1) deducts both before taking 85 %; never below zero.
    """
    return max(price - regional_subsidy - private_insurance, ZERO).quantize(OERE)


def helbredstillaeg(
    citizen_share: Decimal, supplement_percent: int, coverage_percent: Decimal
) -> Decimal:
    """The supplement for one bill, in kroner (the rule as a caseworker reads it)."""
    exact = citizen_share * coverage_percent / _HUNDRED * Decimal(supplement_percent) / _HUNDRED
    return exact.quantize(OERE, rounding=ROUND_HALF_UP)


def helbredstillaeg_oere(
    citizen_share_oere: npt.NDArray[np.int64],
    supplement_percent: npt.NDArray[np.int64],
    coverage_percent: Decimal,
) -> npt.NDArray[np.int64]:
    """The same rule on whole columns of øre, exact in integers, rounded once."""
    numerator, denominator = coverage_percent.as_integer_ratio()
    product = (
        np.asarray(citizen_share_oere, dtype=np.int64)
        * np.int64(numerator)
        * np.asarray(supplement_percent, dtype=np.int64)
    )
    return divide_round_half_up(product, int(denominator) * 100 * 100)


def assets_within_limit(
    liquid_assets_oere: npt.NDArray[np.int64], limit_oere: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Eligible when the liquid assets do not exceed the year's limit.

    Sources differ at the boundary ("hoejst 99.200" S16 vs "mindre end 99.200" S19); we
    follow the municipal pages and Aeldre Sagen ("ikke overstiger", S12): equal is eligible.
    """
    return np.asarray(liquid_assets_oere) <= np.asarray(limit_oere)
