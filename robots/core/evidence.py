"""Evidence as JSON objects, one per row: the values a rule compared, kept beside the
message so a case page can show them as fields rather than parse words.

Rules fire on tens of thousands of rows in a million, so the objects are built by Arrow's
string kernels column by column (`json_objects`); `json_objects_plain` builds the same text
with `json.dumps` per row and a property test holds the two equal
(tests/robots/core/test_evidence.py). Values are written as JSON allows: whole numbers as
numbers (øre stay øre), booleans as true/false, days as "YYYY-MM-DD", text as strings,
missing as null; any other type is refused rather than guessed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from robots.core.robot import arrow_column


def json_objects(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Each row's `columns` (those the frame has) as one JSON object text."""
    present = [c for c in columns if c in frame.columns]
    if not present or not len(frame):
        return pd.Series(pd.array(["{}"] * len(frame), dtype="string"), index=frame.index)
    parts: list[pa.Array] = []
    for n, name in enumerate(present):
        key = ("{" if n == 0 else ", ") + json.dumps(name) + ": "
        parts += [pa.scalar(key, pa.large_string()), _json_values(frame[name])]
    parts.append(pa.scalar("}", pa.large_string()))
    joined = pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string()))
    return pd.Series(pd.array(joined, dtype="string"), index=frame.index)


_QUOTE = pa.scalar('"', pa.large_string())
_NONE = pa.scalar("", pa.large_string())


def _json_values(column: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(column):
        days = pc.cast(arrow_column(column), pa.date32()).cast(pa.large_string())
        text = pc.binary_join_element_wise(_QUOTE, days, _QUOTE, _NONE)
    elif pd.api.types.is_bool_dtype(column):
        values = arrow_column(column, pa.bool_())
        text = pc.if_else(
            values, pa.scalar("true", pa.large_string()), pa.scalar("false", pa.large_string())
        )
    elif pd.api.types.is_integer_dtype(column):
        text = arrow_column(column).cast(pa.large_string())
    elif pd.api.types.is_float_dtype(column):
        finite = column.where(np.isfinite(column.astype("float64")))
        text = arrow_column(finite.astype("string")).cast(pa.large_string())
    elif pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column):
        values = arrow_column(column.astype("string")).cast(pa.large_string())
        text = pc.binary_join_element_wise(_QUOTE, _escaped(values), _QUOTE, _NONE)
    else:
        raise TypeError(f"{column.name}: {column.dtype} has no agreed JSON form")
    return pc.fill_null(text.cast(pa.large_string()), "null")


def _escaped(values: pa.Array) -> pa.Array:
    """Text as a JSON string's inside: backslash and quote escaped, control characters as
    \\uXXXX (as json.dumps writes them, non-ASCII letters kept as they are)."""
    out = pc.replace_substring(values, "\\", "\\\\")
    out = pc.replace_substring(out, '"', '\\"')
    if not pc.any(pc.match_substring_regex(out, "[\\x00-\\x1f]")).as_py():
        return out  # the usual case: one scan, not one per control character
    for code in range(0x20):
        char = chr(code)
        out = pc.replace_substring(out, char, _CONTROL.get(char, f"\\u{code:04x}"))
    return out


_CONTROL = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def json_objects_plain(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """The plain twin of `json_objects`: `json.dumps` per row."""
    present = [c for c in columns if c in frame.columns]
    texts = [
        json.dumps({c: _plain(frame[c].iloc[i]) for c in present}, ensure_ascii=False)
        for i in range(len(frame))
    ]
    return pd.Series(pd.array(texts, dtype="string"), index=frame.index)


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value) if np.isfinite(value) else None
    return str(value)
