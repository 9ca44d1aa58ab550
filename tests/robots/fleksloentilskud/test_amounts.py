"""The fleksloentilskud amount from domain.md's worked examples (FL-1, FL-4, FL-5), and the
vectorised øre version held equal to the Decimal rule."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from robots.core.money import to_oere
from robots.core.rates import rate
from robots.fleksloentilskud.amounts import fleksloentilskud, fleksloentilskud_oere
from robots.fleksloentilskud.refusion import refusion_percent

MAX_2024 = Decimal("19952")
THRESHOLD_2024 = Decimal("16323")


def test_fl1_star_beregner_2024_to_the_krone() -> None:
    """FL-1: 200 kr./hour x 18 hours x 52 / 12 = 15.600 kr.; tilskud 15.272 kr.; the
    lønloft of 32.066,67 kr. does not bind."""
    wage = Decimal(200 * 18 * 52) / 12
    assert wage == Decimal("15600")
    full_time = (Decimal(37 * 200 * 52) / 12).quantize(Decimal("0.01"))
    amount = fleksloentilskud(
        wage=wage, maximum=MAX_2024, threshold=THRESHOLD_2024, full_time_wage=full_time
    )
    assert amount == Decimal("15272.00")
    assert wage + amount < full_time  # 30.872 < 32.067: not capped


def test_the_2024_rates_come_from_config_with_their_source() -> None:
    top, limit = (
        rate("fleksloentilskud", "max_month", 2024),
        rate("fleksloentilskud", "wage_threshold_month", 2024),
    )
    assert (top.value, limit.value) == (MAX_2024, THRESHOLD_2024)
    assert not top.provisional and "S37" in top.source


@pytest.mark.parametrize("year", [2025, 2026])
def test_2025_and_2026_are_provisional_carried_from_2024(year: int) -> None:
    top = rate("fleksloentilskud", "max_month", year)
    assert top.provisional and top.provisional_from == 2024 and top.value == MAX_2024


@pytest.mark.parametrize("wage", [Decimal("0"), Decimal("5000"), Decimal("15323")])
def test_fl4_a_thousand_more_below_the_threshold_is_300_less(wage: Decimal) -> None:
    """FL-4 (S26): 'naar loennen oeges med 1.000 kr., modregnes der 300 kr.' (w > 0)."""
    wage = max(wage, Decimal("1"))
    before = fleksloentilskud(wage=wage, maximum=MAX_2024, threshold=THRESHOLD_2024)
    after = fleksloentilskud(wage=wage + 1000, maximum=MAX_2024, threshold=THRESHOLD_2024)
    assert before - after == Decimal("300.00")


def test_fl4_above_the_threshold_the_slope_is_550() -> None:
    wage = THRESHOLD_2024 + 100
    before = fleksloentilskud(wage=wage, maximum=MAX_2024, threshold=THRESHOLD_2024)
    after = fleksloentilskud(wage=wage + 1000, maximum=MAX_2024, threshold=THRESHOLD_2024)
    assert before - after == Decimal("550.00")


def test_fl5_no_wage_no_tilskud_and_never_negative() -> None:
    assert fleksloentilskud(wage=Decimal(0), maximum=MAX_2024, threshold=THRESHOLD_2024) == 0
    assert fleksloentilskud(wage=Decimal(-10), maximum=MAX_2024, threshold=THRESHOLD_2024) == 0
    # 30 % of 16.323 = 4.896,90; the rest (19.952 - 4.896,90 = 15.055,10) is gone at
    # 15.055,10 / 0,55 = 27.372,91 kr. above the threshold.
    high = THRESHOLD_2024 + Decimal("27372.91")
    assert fleksloentilskud(wage=high, maximum=MAX_2024, threshold=THRESHOLD_2024) == 0
    assert fleksloentilskud(wage=high + 5000, maximum=MAX_2024, threshold=THRESHOLD_2024) == 0


def test_fl5_a_second_jobs_wage_is_added_before_the_reduction() -> None:
    both = fleksloentilskud(
        wage=Decimal("10000") + Decimal("3000"), maximum=MAX_2024, threshold=THRESHOLD_2024
    )
    assert both == MAX_2024 - Decimal("3900.00")


def test_the_loenloft_caps_the_tilskud() -> None:
    """FL-3's own figures (max 18.701, graense 14.965, loen 16.000, loenloft 23.545): the
    formula gives 13.642,25 but the loenloft leaves 7.545."""
    amount = fleksloentilskud(
        wage=Decimal("16000"),
        maximum=Decimal("18701"),
        threshold=Decimal("14965"),
        full_time_wage=Decimal("23545"),
    )
    assert amount == Decimal("7545.00")
    uncapped = fleksloentilskud(
        wage=Decimal("16000"), maximum=Decimal("18701"), threshold=Decimal("14965")
    )
    assert uncapped == Decimal("13642.25")


@given(
    wage=st.integers(min_value=-100_000, max_value=10_000_000),
    maximum=st.integers(min_value=0, max_value=3_000_000),
    threshold=st.integers(min_value=0, max_value=3_000_000),
    full_time=st.one_of(st.none(), st.integers(min_value=0, max_value=10_000_000)),
)
def test_the_vectorised_oere_rule_equals_the_decimal_rule(
    wage: int, maximum: int, threshold: int, full_time: int | None
) -> None:
    expected = fleksloentilskud(
        wage=Decimal(wage) / 100,
        maximum=Decimal(maximum) / 100,
        threshold=Decimal(threshold) / 100,
        full_time_wage=None if full_time is None else Decimal(full_time) / 100,
    )
    got = fleksloentilskud_oere(
        np.array([wage]),
        np.array([maximum]),
        np.array([threshold]),
        np.array([full_time or 0]),
        np.array([full_time is not None]),
    )
    assert int(got[0]) == to_oere(expected)


@pytest.mark.parametrize(
    ("week", "old", "percent"),
    [
        (1, False, 80),
        (4, False, 80),
        (5, False, 40),
        (26, False, 40),
        (27, False, 30),
        (52, False, 30),
        (53, False, 20),
        (400, False, 20),
        (None, False, 20),
        (3, True, 65),
    ],
)
def test_refusionstrappen(week: int | None, old: bool, percent: int) -> None:
    """domain.md E: 80 % weeks 1-4, 40 % 5-26, 30 % 27-52, 20 % from 53; old scheme 65 %."""
    assert refusion_percent(week, old) == percent
