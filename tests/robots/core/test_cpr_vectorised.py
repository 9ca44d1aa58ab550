"""The vectorised CPR check decides exactly as python-stdnum does (stdnum is the oracle)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError

from robots.core.cpr import valid_mask

TODAY = date(2026, 11, 23)


def _stdnum(value: str) -> bool:
    # validate first (stdnum's get_birth_date alone accepts short input), then compare the
    # birth date with our fixed "today" (stdnum's own future check uses the real clock).
    try:
        stdnum_cpr.validate(value)
    except (ValidationError, ValueError):
        return False
    return stdnum_cpr.get_birth_date(stdnum_cpr.compact(value)) <= TODAY


EDGES = [
    "0101501233",
    "010150-1233",
    "3102991234",
    "2902001234",
    "2902004234",
    "2902014234",
    "0101375000",
    "0101585000",
    "0101575000",
    "0101364000",
    "0101374000",
    "0101369000",
    "3112999999",
    "0000001234",
    "1313501234",
    "01015O1233",
    "010150123",
    "01015012345",
    " 010150 1233",
    "",
    "2411264000",
    "2311264000",
]


def test_edge_cases_agree_with_stdnum() -> None:
    verdict = valid_mask(pd.Series(EDGES), TODAY).tolist()
    assert verdict == [_stdnum(v) for v in EDGES]


@settings(max_examples=3000)
@given(
    st.lists(
        st.from_regex(r"[0-3][0-9][01][0-9]{4}[0-9]{3}", fullmatch=True), min_size=1, max_size=40
    )
)
def test_random_cprs_agree_with_stdnum(values: list[str]) -> None:
    # ASCII digits only: `\d` would also draw e.g. '𝟎', see the test below.  # noqa: RUF003
    assert valid_mask(pd.Series(values), TODAY).tolist() == [_stdnum(v) for v in values]


def test_digits_from_other_scripts_are_not_a_cpr_number() -> None:
    # stdnum's isdigit() takes '𝟎' (a mathematical digit); the contract says 10 digits, and  # noqa: RUF003
    # the ledger and NemKonto need plain ones, so the vectorised check refuses it (stricter).
    assert valid_mask(pd.Series(["01010\U0001d7ce0000", "0101500000"]), TODAY).tolist() == [
        False,
        _stdnum("0101500000"),
    ]


@given(st.lists(st.text(alphabet="0123456789- x", max_size=13), min_size=1, max_size=20))
def test_any_text_agrees_with_stdnum(values: list[str]) -> None:
    assert valid_mask(pd.Series(values), TODAY).tolist() == [_stdnum(v) for v in values]
