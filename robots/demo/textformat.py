"""Vectorised text for demo files: dates, øre amounts, CPR numbers and CSV lines.

A million claims must be written in seconds, so every value is formatted column-wise
with Arrow compute kernels (pyarrow is a project dependency), never row by row. Amounts
stay integer øre until the very last step, where they become text in one of the two
notations the contract allows (`1234.50` or Danish `1.234,50`); no binary float ever
holds money.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

BLANK_DAY = np.iinfo(np.int64).min
"""Sentinel for an empty date cell (e.g. valid_to open, approval_date not needed)."""

EPOCH = date(1970, 1, 1)

IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
Strings: TypeAlias = pa.Array
"""A column of text (an Arrow string array)."""
Part: TypeAlias = pa.Array | str


def day_of(value: date) -> int:
    """A date as whole days since 1970-01-01, the unit every date column uses."""
    return (value - EPOCH).days


def strings(values: Any) -> Strings:
    """Integers, numpy/pandas text or a list as an Arrow string column."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else pc.cast(values, pa.string())
    if isinstance(values, pd.Series | pd.Index):
        converted = pa.array(values)
        return converted if converted.type == pa.string() else pc.cast(converted, pa.string())
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return pc.cast(pa.array(arr), pa.string())
    return pa.array(arr.astype(object) if arr.dtype.kind == "U" else arr, type=pa.string())


def to_numpy(values: Strings) -> npt.NDArray[np.object_]:
    """An Arrow text column as a numpy object array (small columns, e.g. notes)."""
    return values.to_numpy(zero_copy_only=False)


def column(values: Strings) -> pd.api.extensions.ExtensionArray:
    """An Arrow text column as a pandas column without copying it into Python strings."""
    return pd.arrays.ArrowStringArray(values)


def pick(labels: Sequence[str] | np.ndarray, index: npt.ArrayLike) -> Strings:
    """labels[index] element-wise, e.g. expense type names from their codes."""
    return pa.array(list(labels), type=pa.string()).take(
        pa.array(np.asarray(index, dtype=np.int64))
    )


def cat(*parts: Part) -> Strings:
    """Concatenate columns and literal text element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def choose(mask: BoolArray, if_true: Part, if_false: Part) -> Strings:
    """Element-wise pick between two columns (or literals) by a boolean mask."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), if_true, if_false)


def _date_text(days: IntArray, fmt: str) -> Strings:
    """Days -> text in a strftime format, empty text for BLANK_DAY."""
    days = np.asarray(days, dtype=np.int64)
    blank = days == BLANK_DAY
    # Few distinct dates, many rows: format each distinct date once, then look it up.
    distinct, where = np.unique(np.where(blank, 0, days), return_inverse=True)
    formatted = pc.strftime(pa.array(distinct.astype(np.int32)).cast(pa.date32()), format=fmt)
    return choose(blank, "", formatted.take(pa.array(where.astype(np.int64))))


def iso_dates(days: IntArray) -> Strings:
    """Days -> 'YYYY-MM-DD', empty text for BLANK_DAY."""
    return _date_text(days, "%Y-%m-%d")


def dmy_dates(days: IntArray) -> Strings:
    """Days -> 'DD-MM-YYYY' (the Danish export notation), empty for BLANK_DAY."""
    return _date_text(days, "%d-%m-%Y")


def zero_padded(values: IntArray, width: int) -> Strings:
    """Integers as fixed-width digit strings (CPR numbers keep their leading zero)."""
    return pc.utf8_lpad(strings(np.asarray(values, dtype=np.int64)), width=width, padding="0")


def _sign_whole_fraction(oere: IntArray) -> tuple[Strings, IntArray, Strings]:
    """Split øre into sign text, whole kroner and two-digit øre text."""
    oere = np.asarray(oere, dtype=np.int64)
    magnitude = np.abs(oere)
    sign = choose(oere < 0, "-", "")
    return sign, magnitude // 100, zero_padded(magnitude % 100, 2)


def plain_amounts(oere: IntArray) -> Strings:
    """Øre -> '1234.50' (decimal point, no grouping), for ','-delimited files."""
    sign, whole, fraction = _sign_whole_fraction(oere)
    return cat(sign, strings(whole), ".", fraction)


def danish_amounts(oere: IntArray) -> Strings:
    """Øre -> '1.234,50' (thousands dot, decimal comma), for ';'-delimited files."""
    sign, whole, fraction = _sign_whole_fraction(oere)
    rest = whole // 1000
    lowest = strings(whole % 1000)
    # Pad a group to three digits wherever a higher group is put in front of it.
    grouped = choose(rest > 0, pc.utf8_lpad(lowest, width=3, padding="0"), lowest)
    while bool((rest > 0).any()):
        higher = strings(rest % 1000)
        higher = choose(rest >= 1000, pc.utf8_lpad(higher, width=3, padding="0"), higher)
        grouped = choose(rest > 0, cat(higher, ".", grouped), grouped)
        rest = rest // 1000
    return cat(sign, grouped, ",", fraction)


def cpr_text(cpr: IntArray, hyphen: BoolArray) -> Strings:
    """CPR as 'ddmmyynnnn' or 'ddmmyy-nnnn', the two spellings real exports use."""
    digits = zero_padded(cpr, 10)
    hyphenated = cat(
        pc.utf8_slice_codeunits(digits, 0, 6), "-", pc.utf8_slice_codeunits(digits, 6, 10)
    )
    return choose(hyphen, hyphenated, digits)


def join_fields(fields: Sequence[Strings], delimiter: str) -> Strings:
    """One CSV line per row; values are known not to hold the delimiter or quotes."""
    return pc.binary_join_element_wise(*fields, delimiter)


def replace_where(values: Strings, mask: BoolArray, replacements: Strings) -> Strings:
    """Put `replacements` (one per True in mask, in order) into `values`."""
    return pc.replace_with_mask(values, pa.array(np.asarray(mask, dtype=bool)), replacements)


def take(values: Strings, mask: BoolArray) -> Strings:
    """The elements where mask is True."""
    return values.filter(pa.array(np.asarray(mask, dtype=bool)))


def csv_bytes(
    header: Sequence[str],
    lines: Strings,
    *,
    delimiter: str,
    encoding: str,
    bom: bool = False,
    newline: str = "\n",
) -> bytes:
    """A whole CSV file: header on line 1, one physical line per row after it.

    The lines are terminated in Arrow and the result's character buffer is taken as
    the file body in one piece, which avoids a million Python string objects.
    """
    terminated = pc.binary_join_element_wise(lines, "", newline)
    offsets = np.frombuffer(terminated.buffers()[1], dtype=np.int32)
    first, last = offsets[terminated.offset], offsets[terminated.offset + len(terminated)]
    body = terminated.buffers()[2].to_pybytes()[first:last] if len(terminated) else b""
    data = (delimiter.join(header) + newline).encode("utf-8") + body
    if encoding.replace("-", "").lower() not in ("utf8",):
        data = data.decode("utf-8").encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data
