"""Any amount written as a Danish export writes it is read back to the exact øre."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from robots.core.pipeline.parsing import _money

AMOUNTS = st.integers(min_value=-(10**14), max_value=10**14)


def _point(oere: int) -> str:
    sign = "-" if oere < 0 else ""
    whole, frac = divmod(abs(oere), 100)
    return f"{sign}{whole}.{frac:02d}"


def _danish(oere: int) -> str:
    sign = "-" if oere < 0 else ""
    whole, frac = divmod(abs(oere), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{frac:02d}"


@given(st.lists(AMOUNTS, min_size=1, max_size=30))
def test_point_and_danish_notation_read_back_exactly(amounts: list[int]) -> None:
    for dialect, write in (("comma", _point), ("semicolon", _danish), ("xlsx", _point)):
        text = pd.Series([write(a) for a in amounts], dtype="string")
        parsed, bad, _ = _money(text, text == "", dialect)
        assert not bad.any()
        assert parsed.tolist() == amounts
