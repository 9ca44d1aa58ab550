"""Fingerprints are compared with those stored on earlier nights, so `joined_text` must
write every row exactly as the pandas concatenation it replaced did (that is the oracle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robots.core.robot import joined_text


def _pandas_concatenation(frame: pd.DataFrame) -> pd.Series:
    """How fingerprints were written before: one pandas `+` per part."""
    return (
        frame["text"]
        + "|"
        + frame["day"].dt.strftime("%Y-%m-%d")
        + "|"
        + frame["oere"].astype("string")
        + "|"
        + frame["count"].astype("string")
    )


TEXTS = st.one_of(st.none(), st.text(max_size=12))
DAYS = st.one_of(
    st.none(),
    st.datetimes(),  # naive, years 1 to 9999: every day a date file can hold
)
OERE = st.one_of(st.none(), st.integers(min_value=-(2**62), max_value=2**62))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXTS, DAYS, OERE, st.integers(0, 10**6)), min_size=1, max_size=30))
def test_rows_are_joined_as_the_pandas_concatenation_joined_them(rows: list[tuple]) -> None:
    texts, days, oere, counts = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            "text": pd.Series(texts, dtype="string"),
            "day": pd.Series(
                np.array([np.datetime64(d, "s") if d else np.datetime64("NaT", "s") for d in days]),
                dtype="datetime64[s]",
            ),
            "oere": pd.array(oere, dtype="Int64"),
            "count": np.asarray(counts, dtype=np.int64),
        },
        index=pd.RangeIndex(5, 5 + len(rows)),
    )
    expected = _pandas_concatenation(frame)
    joined = joined_text(frame[c] for c in ("text", "day", "oere", "count"))
    pd.testing.assert_series_equal(joined, expected, check_names=False)


def test_a_type_with_no_agreed_text_is_refused() -> None:
    with pytest.raises(TypeError, match="no agreed text form"):
        joined_text([pd.Series(["a"], dtype="string"), pd.Series([1.5], name="share")])
