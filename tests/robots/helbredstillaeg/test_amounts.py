"""The helbredstillaeg amount, from domain.md's worked examples (HT-1, HT-3, HT-4)."""

from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from robots.helbredstillaeg.amounts import (
    assets_within_limit,
    egenbetaling,
    helbredstillaeg,
    helbredstillaeg_oere,
)

D = Decimal
COVERAGE = D("85")


def test_ht1_frederikssund_full_supplement_percent() -> None:
    # HT-1 (OFFICIAL, S1): price 100, region 40, private insurance 15 -> egenbetaling 45.
    share = egenbetaling(price=D("100"), regional_subsidy=D("40"), private_insurance=D("15"))
    assert share == D("45.00")
    assert helbredstillaeg(share, 100, COVERAGE) == D("38.25")


def test_ht1_frederikssund_75_percent_rounds_half_up_to_the_oere() -> None:
    # 0.75 x 38.25 = 28.6875 -> 28.69
    assert helbredstillaeg(D("45.00"), 75, COVERAGE) == D("28.69")


def test_ht3_medicine_after_regional_subsidy() -> None:
    # HT-3 (DERIVED): 600 - 117.50 = 482.50; 0.85 x 482.50 = 410.125 -> 410.13
    share = egenbetaling(price=D("600"), regional_subsidy=D("117.50"), private_insurance=D("0"))
    assert helbredstillaeg(share, 100, COVERAGE) == D("410.13")


def test_supplement_percent_zero_gives_nothing() -> None:
    assert helbredstillaeg(D("482.50"), 0, COVERAGE) == D("0.00")


def test_vectorised_matches_the_worked_examples() -> None:
    shares = np.array([4500, 4500, 48250, 48250], dtype=np.int64)
    pct = np.array([100, 75, 100, 0], dtype=np.int64)
    assert helbredstillaeg_oere(shares, pct, COVERAGE).tolist() == [3825, 2869, 41013, 0]


def test_ht4_asset_limit_boundary_is_inclusive() -> None:
    # HT-4: "hoejst 99.200 kr." (S16) -> exactly the limit is eligible, one krone over is not.
    assets = np.array([9_920_000, 9_920_100, 10_800_000, 10_800_001], dtype=np.int64)
    limits = np.array([9_920_000, 9_920_000, 10_800_000, 10_800_000], dtype=np.int64)
    assert assets_within_limit(assets, limits).tolist() == [True, False, True, False]


def test_egenbetaling_cannot_be_negative() -> None:
    assert egenbetaling(price=D("100"), regional_subsidy=D("90"), private_insurance=D("20")) == D(
        "0.00"
    )


@given(
    share=st.integers(min_value=1, max_value=10_000_000_00),
    pct=st.integers(min_value=0, max_value=100),
)
def test_vectorised_equals_decimal_for_any_share(share: int, pct: int) -> None:
    scalar = helbredstillaeg(Decimal(share) / 100, pct, COVERAGE)
    vector = helbredstillaeg_oere(np.array([share]), np.array([pct]), COVERAGE)[0]
    assert Decimal(int(vector)) / 100 == scalar
    assert 0 <= vector <= share
