"""Turning a file's text into typed columns, whole columns at a time.

Dates `YYYY-MM-DD` or `DD-MM-YYYY`; amounts with decimal comma (`1.234,50`) in `;` files
and decimal point (`1234.50`) in `,` files, taken exactly to integer øre (no float ever
holds an amount). A value that cannot be read becomes an error naming the line, column
and value; its row leaves the frame and becomes a data-error exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from robots.core import digits
from robots.core.pipeline.datasets import ColumnType, Dataset
from robots.core.pipeline.reading import LINE, RawFrame

ERROR_COLUMNS = ["line", "column", "value", "reason"]

# ASCII digits only: a date, amount or number in the contract is written with 0-9.
_POINT_AMOUNT = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$"
_DANISH_AMOUNT = r"^-?([0-9]{1,3}(\.[0-9]{3}){1,4}|[0-9]{1,15})(,[0-9]{1,2})?$"
_WHOLE_NUMBER = r"^[+-]?[0-9]{1,18}$"
_WHITESPACE = "".join(f"\\x{{{code:x}}}" for code in range(0x3001) if chr(code).isspace())
"""Every character Python calls whitespace, spelled for RE2 (Arrow's regex engine)."""


@dataclass
class ParsedFrame:
    """Typed rows that could be read, and the values that could not."""

    frame: pd.DataFrame
    errors: pd.DataFrame
    present_optional: frozenset[str]


def parse(raw: RawFrame, dataset: Dataset) -> ParsedFrame:
    """Convert every column of `dataset`; absent optional columns become empty."""
    text = raw.frame
    out = pd.DataFrame({LINE: text[LINE].to_numpy()})
    errors: list[pd.DataFrame] = []
    present = frozenset(c.name for c in dataset.columns if c.optional_column and c.name in text)
    for column in dataset.columns:
        if column.name not in text:
            out[column.name] = _empty(column.type, len(text))
            continue
        values = _stripped(text[column.name])
        parsed, bad, reason = _convert(values, column.type, raw.dialect)
        out[column.name] = parsed
        if bad.any():
            errors.append(
                pd.DataFrame(
                    {
                        "line": text.loc[bad, LINE].to_numpy(),
                        "column": column.name,
                        "value": values[bad].to_numpy(),
                        "reason": reason,
                    }
                )
            )
    error_frame = (
        pd.concat(errors, ignore_index=True) if errors else pd.DataFrame(columns=ERROR_COLUMNS)
    )
    if len(error_frame):
        out = out.loc[~out[LINE].isin(error_frame["line"])].reset_index(drop=True)
    return ParsedFrame(out, error_frame, present)


def empty_frame(dataset: Dataset) -> pd.DataFrame:
    """A frame of the dataset's columns with no rows, typed as parsing types them."""
    return pd.DataFrame({c.name: _empty(c.type, 0) for c in dataset.columns})


def _empty(kind: ColumnType, length: int) -> pd.Series:
    if kind is ColumnType.DATE:
        return pd.Series(pd.NaT, index=range(length), dtype="datetime64[s]")
    if kind in (ColumnType.MONEY, ColumnType.INT, ColumnType.QUANTITY):
        return pd.Series(pd.NA, index=range(length), dtype="Int64")
    return pd.Series(pd.NA, index=range(length), dtype="string")


def _arrow_text(values: pd.Series) -> pa.Array:
    """The column as one Arrow array (a large CSV file is read in several chunks)."""
    text = pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _pandas_text(values: pa.Array, index: pd.Index) -> pd.Series:
    # set_axis labels the rows; pd.Series(series, index=...) would look the labels up.
    return values.to_pandas().set_axis(index).astype("string")


def _stripped(values: pd.Series) -> pd.Series:
    """`values.astype("string").str.strip()`, trimming only the values that can need it.

    Trimming writes every value of a column anew (~20 ms a million values, for each column
    of each file), yet nearly every value begins and ends with a printable ASCII character
    (! to ~), which is whitespace in no definition: those are kept as they are, and only
    the others go through the same trim.
    """
    strings = values.astype("string")
    text = _arrow_text(strings)
    data = text.buffers()[2]
    if data is None or data.size == 0:
        return strings  # only empty or missing values: nothing to trim
    chars = np.frombuffer(data, dtype=np.uint8)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)
    offsets = offsets[text.offset : text.offset + len(text) + 1]
    starts, ends = offsets[:-1], offsets[1:]
    filled = (ends > starts) & text.is_valid().to_numpy(zero_copy_only=False)
    first = chars[np.where(filled, starts, 0)]
    last = chars[np.where(filled, ends - 1, 0)]
    printable = (first > 0x20) & (first < 0x7F) & (last > 0x20) & (last < 0x7F)
    trim = filled & ~printable
    if not trim.any():
        return strings
    mask = pa.array(trim)
    trimmed = pc.utf8_trim_whitespace(pc.filter(text, mask))
    return _pandas_text(pc.replace_with_mask(text, mask, trimmed), values.index)


def _without(values: pd.Series, pattern: str, literal: str = "", upper: bool = False) -> pd.Series:
    """The text (upper-cased if `upper`) with `literal` and then every match of `pattern`
    removed, in Arrow.

    A value of ASCII digits only is left as it is by all of that, and nearly every CPR and
    CVR number is one: only the others are changed, and of those, only the ones still not
    plain digits after losing `literal` go through the regex (which costs ~0.1 s a million
    values where the digit test costs ~0.01 s). `literal`, a plain substring, must be a
    character `pattern` removes one by one anyway, so that removing it first changes nothing.
    """
    text = _arrow_text(values)
    odd = _not_digits(text)
    if not pc.any(odd).as_py():
        return _pandas_text(text, values.index)
    rest = pc.filter(text, odd)
    if upper:
        rest = pc.utf8_upper(rest)
    if literal:
        rest = pc.replace_substring(rest, literal, "")
    still = _not_digits(rest)
    if pc.any(still).as_py():
        cleaned = pc.replace_substring_regex(pc.filter(rest, still), pattern, "")
        rest = pc.replace_with_mask(rest, still, cleaned)
    return _pandas_text(pc.replace_with_mask(text, odd, rest), values.index)


def _not_digits(text: pa.Array) -> pa.Array:
    return pc.invert(pc.fill_null(pc.ascii_is_decimal(text), False))


def _matches(text: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(text, pattern), False)


def _convert(values: pd.Series, kind: ColumnType, dialect: str) -> tuple[pd.Series, pd.Series, str]:
    blank = values.isna() | (values == "")
    if kind is ColumnType.DATE:
        return _dates(values, blank)
    if kind is ColumnType.MONEY:
        return _money(values, blank, dialect)
    if kind is ColumnType.QUANTITY:
        parsed, bad, _ = _money(values, blank, dialect)
        return parsed, bad, "is not a number with at most 2 decimals"
    if kind is ColumnType.PERIOD:
        return _periods(values, blank)
    if kind is ColumnType.INT:
        return _whole_numbers(values, blank)
    if kind is ColumnType.CPR:
        cleaned = _without(values, f"[{_WHITESPACE}-]", literal="-")
        return cleaned.where(~blank, pd.NA), pd.Series(False, index=values.index), ""
    if kind is ColumnType.CVR:
        # Upper-casing changes no digit, so digits-only values skip it with the regex.
        cleaned = _without(values, f"^DK|[{_WHITESPACE}]", upper=True)
        return cleaned.where(~blank, pd.NA), pd.Series(False, index=values.index), ""
    if kind is ColumnType.CODE:
        text = _arrow_text(values)
        lower = pc.utf8_lower(text)
        if pc.any(pc.not_equal(text, lower)).as_py():
            values = _pandas_text(lower, values.index)
    return values.where(~blank, pd.NA), pd.Series(False, index=values.index), ""


def _whole_numbers(values: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    text = _arrow_text(values)
    ok = _matches(text, _WHOLE_NUMBER)
    # Arrow's cast takes no leading '+'; at most 18 digits always fit in an int64.
    digits = pc.if_else(ok, pc.replace_substring_regex(text, r"^\+", ""), "0")
    numbers = pc.if_else(ok, pc.cast(digits, pa.int64()), None)
    parsed = pd.Series(numbers.to_pandas(), index=values.index).astype("Int64")
    okay = pd.Series(ok.to_numpy(zero_copy_only=False), index=values.index)
    return parsed, ~blank & ~okay, "is not a whole number"


_ISO_PERIOD = r"^([0-9]{4})-(0[1-9]|1[0-2])$"
_DANISH_PERIOD = r"^(0[1-9]|1[0-2])-([0-9]{4})$"
_COMPACT_PERIOD = r"^([0-9]{4})(0[1-9]|1[0-2])$"


def _periods(values: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """Months as `YYYY-MM`: the contract's form, and the two others Danish exports write
    (`11-2026`, `202611`); anything else (`2026-13`, `nov 2026`) is refused, never guessed."""
    text = _arrow_text(values)
    iso = _matches(text, _ISO_PERIOD)
    danish = _matches(text, _DANISH_PERIOD)
    compact = _matches(text, _COMPACT_PERIOD)
    written = pc.if_else(
        danish,
        pc.replace_substring_regex(text, _DANISH_PERIOD, r"\2-\1"),
        pc.if_else(compact, pc.replace_substring_regex(text, _COMPACT_PERIOD, r"\1-\2"), text),
    )
    ok = pc.or_(pc.or_(iso, danish), compact).to_numpy(zero_copy_only=False)
    parsed = _pandas_text(written, values.index).where(pd.Series(ok, index=values.index))
    return parsed, ~blank & ~pd.Series(ok, index=values.index), "is not a month (write YYYY-MM)"


_ISO_FIELDS = ((0, 4), (5, 7), (8, 10), (4, 7))
_DK_FIELDS = ((6, 10), (3, 5), (0, 2), (2, 5))
"""Where year, month and day stand in a date's ten characters, and where its dashes do."""


def _calendar_dates(cells: np.ndarray, fields: tuple[tuple[int, int], ...]) -> np.ndarray:
    """The dates the rows of `cells` write in the form `fields`; NaT where they write none.

    Same as `^[0-9]{4}-[0-9]{2}-[0-9]{2}$` (or the Danish order) and a day that exists in
    that month of the proleptic Gregorian calendar (years 0000-9999, 29-02 in leap years
    only): what Arrow's strptime gave, with its rolled-over days (30-02 as 02-03) refused.
    """
    (year_at, month_at, day_at, dashes) = fields
    shaped = (
        digits.ascii_digits(cells, (i for i in range(10) if i not in dashes))
        & (cells[:, dashes[0]] == ord("-"))
        & (cells[:, dashes[1]] == ord("-"))
    )
    real, days = digits.calendar_days(
        digits.number(cells, *year_at),
        digits.number(cells, *month_at),
        digits.number(cells, *day_at),
        shaped,
    )
    return np.where(real, days, np.datetime64("NaT")).astype("datetime64[s]")


def _dates(values: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """Both forms are ten ASCII characters: one fixed-width copy of the column serves both."""
    cells = digits.fixed_width(_arrow_text(values), 10)
    stamps = _calendar_dates(cells, _ISO_FIELDS)
    # Only a value with a dash third can be DD-MM-YYYY: the rest need not be read again.
    danish = np.isnat(stamps) & (cells[:, _DK_FIELDS[3][0]] == ord("-"))
    if danish.any():
        stamps[danish] = _calendar_dates(cells[danish], _DK_FIELDS)
    parsed = pd.Series(stamps, index=values.index)
    bad = ~blank & parsed.isna()
    return parsed, bad, "is not a date (write YYYY-MM-DD or DD-MM-YYYY)"


def _money(values: pd.Series, blank: pd.Series, dialect: str) -> tuple[pd.Series, pd.Series, str]:
    """Amount text -> exact øre, in Arrow: the text is cast to decimal128, never to a float.

    Only the notations the dialect allows are matched (each regex costs ~0.05 s a million
    values), and Danish notation is rewritten to point notation only in a file that has it.
    """
    text = _arrow_text(values)
    point = _matches(text, _POINT_AMOUNT) if dialect != "semicolon" else None
    danish = _matches(text, _DANISH_AMOUNT) if dialect != "comma" else None
    if dialect == "semicolon":
        reason = "is not an amount in kroner (write e.g. 1.234,50 in a ;-separated file)"
    elif dialect == "comma":
        reason = "is not an amount in kroner (write e.g. 1234.50 in a ,-separated file)"
    else:
        # XLSX: a number cell arrives as point notation ("12.345" is 12.345 kr., never
        # twelve thousand); Danish notation only from text cells that use a comma.
        danish = pc.and_(danish, pc.fill_null(pc.match_substring(text, ","), False))
        reason = "is not an amount in kroner with at most 2 decimals"
    normalised: pa.Array | pa.Scalar = pa.scalar("0")
    if danish is not None:
        from_danish = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
        normalised = pc.if_else(danish, from_danish, normalised)
    if point is not None:
        normalised = pc.if_else(point, text, normalised)
    if point is None or danish is None:
        usable = danish if point is None else point
    else:
        usable = pc.or_(point, danish)
    assert usable is not None  # every dialect reads one notation at least
    kroner = pc.cast(normalised, pa.decimal128(18, 2))
    oere = pc.cast(pc.multiply(kroner, pa.scalar(100, pa.decimal128(3, 0))), pa.int64())
    ok = pd.Series(usable.to_numpy(zero_copy_only=False), index=values.index)
    result = pd.Series(oere.to_numpy(zero_copy_only=False), index=values.index).astype("Int64")
    return result.where(ok), ~blank & ~ok, reason
