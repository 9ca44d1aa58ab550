"""The loentilskud amount: the worked examples (domain.md F) on the readable rule, and the
vectorised øre version held equal to it on any input (property test)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from robots.core.money import to_oere
from robots.loentilskud.amounts import (
    covered_days,
    covered_days_array,
    hour_cap,
    hour_cap_hundredths,
    loentilskud,
    loentilskud_oere,
)


def test_worked_examples() -> None:
    big = Decimal("1000")
    assert loentilskud(Decimal("86.16"), Decimal("150"), big) == Decimal("12924.00")
    assert loentilskud(Decimal("125.13"), Decimal("150"), big) == Decimal("18769.50")
    assert loentilskud(Decimal("86.16"), Decimal("0"), big) == Decimal("0.00")


def test_weeks_of_a_period_and_its_cap() -> None:
    assert (
        covered_days(date(2023, 3, 1), date(2023, 3, 31), date(2023, 1, 1), date(2023, 5, 31)) == 31
    )
    assert (
        covered_days(date(2023, 5, 15), date(2023, 6, 14), date(2023, 1, 1), date(2023, 5, 31))
        == 17
    )
    assert (
        covered_days(date(2023, 6, 1), date(2023, 6, 30), date(2023, 1, 1), date(2023, 5, 31)) == 0
    )
    assert hour_cap(Decimal("37"), 31) == Decimal("163.85")  # 163.857... rounded down
    assert hour_cap(Decimal("37"), 7) == Decimal("37.00")
    assert loentilskud(Decimal("86.16"), Decimal("170"), Decimal("163.85")) == Decimal("14117.32")


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(
    st.lists(
        st.tuples(
            days,
            st.integers(0, 120),
            days,
            st.integers(0, 400),
            st.integers(100, 3700),
            st.integers(0, 40_000),
            st.integers(5_000, 20_000),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_vectorised_amount_equals_the_rule(
    rows: list[tuple[date, int, date, int, int, int, int]],
) -> None:
    starts = np.array([r[0] for r in rows], dtype="datetime64[D]")
    ends = np.array([r[0] + timedelta(days=r[1]) for r in rows], dtype="datetime64[D]")
    agr_starts = np.array([r[2] for r in rows], dtype="datetime64[D]")
    agr_ends = np.array([r[2] + timedelta(days=r[3]) for r in rows], dtype="datetime64[D]")
    weekly = np.array([r[4] for r in rows], dtype=np.int64)
    hours = np.array([r[5] for r in rows], dtype=np.int64)
    rates = np.array([r[6] for r in rows], dtype=np.int64)
    covered = covered_days_array(starts, ends, agr_starts, agr_ends)
    caps = hour_cap_hundredths(weekly, covered)
    oere = loentilskud_oere(rates, hours, caps)
    for n, (start, length, agr_start, agr_length, week, hour, rate) in enumerate(rows):
        days_in = covered_days(
            start, start + timedelta(days=length), agr_start, agr_start + timedelta(days=agr_length)
        )
        assert covered[n] == days_in
        cap = hour_cap(Decimal(week) / 100, days_in)
        assert caps[n] == to_oere(cap)
        expected = loentilskud(Decimal(rate) / 100, Decimal(hour) / 100, cap)
        assert oere[n] == to_oere(expected)
