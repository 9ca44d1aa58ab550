"""Fixed-width fields of ASCII digits (dates, CPR numbers) read by position, in numpy.

A date or a CPR number is a handful of ASCII characters at fixed places. Copying a column
once into a (values, width) byte matrix lets numpy check and read every field of a
million values in a few vectorised steps, where regex matching, slicing and strptime in
Arrow or pandas each pass over the column again (~0.1 s a million values apiece).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_FIRST_OF_MONTH = (
    (np.arange(10_000 * 12 + 1) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
).astype(np.int64)
"""Day number (from 1970-01-01) of the first of every month from 0000-01 to 10000-01:
numpy's proleptic Gregorian calendar, looked up instead of converted per value."""


def fixed_width(text: pa.Array | pa.ChunkedArray, width: int) -> np.ndarray:
    """Each value's UTF-8 bytes as a row of a (values, width) matrix; zeros unless the
    value is exactly `width` bytes long (a missing value too).

    A value holding any non-ASCII character has bytes >= 0x80 where a digit or separator
    would have to be, so it never passes `ascii_digits` as it never matches `[0-9]`.
    """
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    fits = pc.fill_null(pc.equal(pc.binary_length(text), width), False)
    padded = pc.if_else(fits, text, pa.scalar("\0" * width, type=text.type))
    fixed = padded.cast(pa.binary()).cast(pa.binary(width))
    if len(fixed) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    cells = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    start = fixed.offset * width
    return cells[start : start + len(fixed) * width].reshape(len(fixed), width)


def ascii_digits(cells: np.ndarray, places: Iterable[int]) -> np.ndarray:
    """True where every one of `places` holds an ASCII digit 0-9."""
    at = list(places)
    if not at:
        return np.ones(len(cells), dtype=bool)
    # uint8 wraps below '0', so every byte that is not a digit becomes more than 9.
    return (cells[:, at] - np.uint8(ord("0"))).max(axis=1) <= 9


def number(cells: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The digits at places start..stop-1 read as a whole number (garbage where they are
    not digits: check with `ascii_digits` first)."""
    value: np.ndarray = np.zeros(len(cells), dtype=np.int32)
    for i in range(start, stop):
        value = value * np.int32(10) + (cells[:, i] - np.uint8(ord("0")))
    return value


def calendar_days(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which of the `usable` (year, month, day) name a day of the proleptic Gregorian
    calendar in the years 0000-9999 (29 February in leap years only), and those days as
    datetime64[D] (1970-01-01 where they name none)."""
    real = usable & (year >= 0) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1)
    at = np.where(real, year.astype(np.int64) * 12 + month - 1, 1970 * 12)
    first = _FIRST_OF_MONTH[at]
    real &= day <= _FIRST_OF_MONTH[at + 1] - first
    return real, (first + np.where(real, day - 1, 0)).astype("datetime64[D]")
