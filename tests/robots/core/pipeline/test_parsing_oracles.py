"""Dates, CPR and CVR text as parse() reads them, held against plain-Python oracles.

parse() reads dates by character position in numpy and cleans CPR/CVR text with a
digits-only fast path (robots/core/pipeline/parsing.py); these properties hold it to the
contract's words: a date is YYYY-MM-DD or DD-MM-YYYY naming a day of the (proleptic
Gregorian) calendar, and a CPR or CVR number loses its whitespace, hyphens and DK prefix.
CPR numbers are made up.
"""

from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from robots.core.pipeline.parsing import parse
from robots.core.pipeline.reading import LINE, RawFrame
from robots.helbredstillaeg.datasets import HEALTH_CLAIMS

ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
DANISH = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")


def claims(**columns: list[str]) -> RawFrame:
    """Health claims in a ;-file, one row per value given; other columns hold valid text."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame(
        {
            "claim_id": [f"C{i}" for i in range(n)],
            "cpr": ["0101501234"] * n,
            "expense_type": ["medicin"] * n,
            "provider_cvr": ["12345674"] * n,
            "service_date": ["2026-11-01"] * n,
            "citizen_share": ["45,00"] * n,
            "received_date": ["2026-11-02"] * n,
        }
        | columns,
        dtype="string",
    )
    frame[LINE] = range(2, 2 + n)
    return RawFrame(frame, "semicolon", "utf-8")


def calendar_date(text: str) -> pd.Timestamp | None:
    """The day `text` names, or None: the oracle, written from the contract's wording."""
    if (iso := ISO.fullmatch(text)) is not None:
        year, month, day = (int(g) for g in iso.groups())
    elif (danish := DANISH.fullmatch(text)) is not None:
        day, month, year = (int(g) for g in danish.groups())
    else:
        return None
    if not 1 <= month <= 12:
        return None
    february = 29 if calendar.isleap(year) else 28
    last = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    if not 1 <= day <= last:
        return None
    # In seconds: a nanosecond Timestamp cannot hold years before 1677 or after 2262.
    return pd.Timestamp(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "s"))


def written_dates() -> st.SearchStrategy[str]:
    """Dates in either form, around the edges: month 0 and 13, day 0 and 32, leap years."""
    years = st.one_of(st.integers(0, 9999), st.sampled_from([0, 1900, 2000, 2023, 2024, 2100]))

    def written(year: int, month: int, day: int, iso: bool) -> str:
        return f"{year:04d}-{month:02d}-{day:02d}" if iso else f"{day:02d}-{month:02d}-{year:04d}"

    any_day = st.builds(written, years, st.integers(0, 13), st.integers(0, 32), st.booleans())
    end_of_february = st.builds(
        written, years, st.just(2), st.sampled_from([28, 29, 30]), st.booleans()
    )
    return st.one_of(any_day, end_of_february)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(written_dates(), st.text(alphabet="0123456789-/ .x\u0662é", max_size=12)),
        min_size=1,
        max_size=40,
    )
)
def test_dates_are_the_days_the_calendar_has(texts: list[str]) -> None:
    parsed = parse(claims(received_date=texts), HEALTH_CLAIMS)

    read = dict(zip(parsed.frame[LINE], parsed.frame["received_date"], strict=True))
    refused = dict(zip(parsed.errors["line"], parsed.errors["value"], strict=True))
    for line, text in enumerate(texts, start=2):
        shown = text.strip()
        expected = calendar_date(shown)
        if expected is not None:
            assert read[line] == expected, text
        elif shown:
            assert refused[line] == shown, text
        else:
            assert pd.isna(read[line]), text


WHITESPACE = " \t\u00a0\u2003\u202f\u3000"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="0123456789-x\u2013" + WHITESPACE, max_size=14), min_size=1, max_size=30
    )
)
def test_cpr_text_loses_every_whitespace_and_hyphen(texts: list[str]) -> None:
    parsed = parse(claims(cpr=texts), HEALTH_CLAIMS)
    expected = [
        "".join(c for c in t if not (c.isspace() or c == "-")) if t.strip() else None for t in texts
    ]
    got = [None if pd.isna(v) else v for v in parsed.frame["cpr"]]
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="0123456789DKdkx-" + WHITESPACE, max_size=14), min_size=1, max_size=30
    )
)
def test_cvr_text_loses_a_leading_dk_and_every_whitespace(texts: list[str]) -> None:
    parsed = parse(claims(provider_cvr=texts), HEALTH_CLAIMS)

    def cleaned(text: str) -> str | None:
        shown = text.strip().upper()
        if not shown:
            return None
        shown = shown.removeprefix("DK")
        return "".join(c for c in shown if not c.isspace())

    got = [None if pd.isna(v) else v for v in parsed.frame["provider_cvr"]]
    assert got == [cleaned(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="abcæ€-.;019" + WHITESPACE + "\n\r", max_size=8), min_size=1, max_size=30
    )
)
def test_text_is_stripped_of_whitespace_at_both_ends(texts: list[str]) -> None:
    parsed = parse(claims(expense_type=texts), HEALTH_CLAIMS)

    got = [None if pd.isna(v) else v for v in parsed.frame["expense_type"]]
    assert got == [t.strip() or None for t in texts]
