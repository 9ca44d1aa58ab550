"""Evidence JSON: the Arrow-built objects equal json.dumps per row, for any values."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from robots.core.evidence import json_objects, json_objects_plain

texts = st.one_of(st.none(), st.text(max_size=12))
whole = st.one_of(st.none(), st.integers(min_value=-(2**62), max_value=2**62))
days = st.one_of(st.none(), st.dates())
flags = st.booleans()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(texts, whole, days, flags), min_size=1, max_size=20),
)
def test_the_fast_objects_equal_the_plain_ones(rows: list[tuple]) -> None:
    frame = pd.DataFrame(
        {
            "status": pd.array([r[0] for r in rows], dtype="string"),
            "amount_oere": pd.array([r[1] for r in rows], dtype="Int64"),
            "status_date": pd.to_datetime(pd.Series([r[2] for r in rows], dtype="object")),
            "assets_ok": np.array([r[3] for r in rows], dtype=bool),
        }
    )
    fast = json_objects(frame, ["status", "amount_oere", "status_date", "assets_ok", "absent"])
    plain = json_objects_plain(frame, ["status", "amount_oere", "status_date", "assets_ok"])
    assert [json.loads(t) for t in fast] == [json.loads(t) for t in plain]
    assert list(fast) == list(plain)


def test_values_are_json_of_their_kind() -> None:
    frame = pd.DataFrame(
        {
            "status": pd.array(['dead "x"\\\n', None], dtype="string"),
            "amount_oere": pd.array([120_000, None], dtype="Int64"),
            "share": [0.5, np.nan],
        }
    )
    first, second = json_objects(frame, ["status", "amount_oere", "share"])
    assert json.loads(first) == {"status": 'dead "x"\\\n', "amount_oere": 120000, "share": 0.5}
    assert json.loads(second) == {"status": None, "amount_oere": None, "share": None}
