"""The vectorised CVR check decides exactly as python-stdnum does (stdnum is the oracle)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.dk import cvr as stdnum_cvr

from checks.quality.expectations import cvr_valid_mask

EDGES = [
    "12345674",  # valid check digit
    "25313763",  # valid
    "12345678",  # wrong check digit
    "02345676",  # a right check digit, but stdnum refuses a leading zero
    "00000000",
    "1234567",
    "123456740",
    "DK12345674",
    "DK 12345674",
    "dk 25313763",
    "1234-5674",
    "12 34 56 74",
    "1234\u20135674",  # an en dash, which stdnum cleans like a hyphen
    "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff14",  # full-width digits: not to stdnum
    "",
    " ",
]


def test_edge_cases_agree_with_stdnum() -> None:
    assert cvr_valid_mask(pd.Series(EDGES)).tolist() == [stdnum_cvr.is_valid(v) for v in EDGES]


def test_missing_values_are_not_valid() -> None:
    values = pd.Series(["12345674", None, "25313763"], dtype="string")
    assert cvr_valid_mask(values).tolist() == [True, False, True]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\A[0-9]{8}\Z"),
            st.from_regex(r"\A(DK|dk)? ?[0-9]{2}[ .\-\u2013]?[0-9]{6}\Z"),
            st.text(alphabet="0123456789 -DK.\u2013", max_size=12),
        ),
        max_size=20,
    )
)
def test_agrees_with_stdnum_on_random_input(values: list[str]) -> None:
    verdict = cvr_valid_mask(pd.Series(values, dtype="string")).tolist()
    assert verdict == [stdnum_cvr.is_valid(v) for v in values]
