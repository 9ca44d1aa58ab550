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

from robots.core.pipeline.datasets import ColumnType, Dataset
from robots.core.pipeline.reading import LINE, RawFrame

ERROR_COLUMNS = ["line", "column", "value", "reason"]

# ASCII digits only: a date, amount or number in the contract is written with 0-9.
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DK_DATE = r"^[0-9]{2}-[0-9]{2}-[0-9]{4}$"
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
        values = text[column.name].astype("string").str.strip()
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


def _empty(kind: ColumnType, length: int) -> pd.Series:
    if kind is ColumnType.DATE:
        return pd.Series(pd.NaT, index=range(length), dtype="datetime64[s]")
    if kind in (ColumnType.MONEY, ColumnType.INT):
        return pd.Series(pd.NA, index=range(length), dtype="Int64")
    return pd.Series(pd.NA, index=range(length), dtype="string")


def _arrow_text(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("string"), type=pa.string(), from_pandas=True)


def _pandas_text(values: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(values.to_pandas(), index=index).astype("string")


def _without(values: pd.Series, pattern: str) -> pd.Series:
    """The text with every match of `pattern` removed (in Arrow, not a Python call per value)."""
    return _pandas_text(pc.replace_substring_regex(_arrow_text(values), pattern, ""), values.index)


def _matches(text: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(text, pattern), False)


def _convert(values: pd.Series, kind: ColumnType, dialect: str) -> tuple[pd.Series, pd.Series, str]:
    blank = values.isna() | (values == "")
    if kind is ColumnType.DATE:
        return _dates(values, blank)
    if kind is ColumnType.MONEY:
        return _money(values, blank, dialect)
    if kind is ColumnType.INT:
        return _whole_numbers(values, blank)
    if kind is ColumnType.CPR:
        cleaned = _without(values, f"[{_WHITESPACE}-]")
        return cleaned.where(~blank, pd.NA), pd.Series(False, index=values.index), ""
    if kind is ColumnType.CVR:
        cleaned = _without(values.str.upper(), f"^DK|[{_WHITESPACE}]")
        return cleaned.where(~blank, pd.NA), pd.Series(False, index=values.index), ""
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


def _parse_dates(text: pa.Array, pattern: str, form: str, day_at: int) -> pa.Array:
    """Dates written as `form`; null where the text is not one (31-02 included).

    Arrow's strptime rolls an impossible day over into the next month (30-02 becomes
    02-03), so a date counts only if its day of the month is the day written.
    """
    shaped = _matches(text, pattern)
    candidate = pc.if_else(shaped, text, None)
    stamps = pc.strptime(candidate, format=form, unit="s", error_is_null=True)
    written_day = pc.cast(pc.utf8_slice_codeunits(candidate, day_at, day_at + 2), pa.int64())
    same = pc.fill_null(pc.equal(pc.day(stamps), written_day), False)
    return pc.if_else(same, stamps, None)


def _dates(values: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    text = _arrow_text(values)
    iso = _parse_dates(text, _ISO_DATE, "%Y-%m-%d", day_at=8)
    danish = _parse_dates(text, _DK_DATE, "%d-%m-%Y", day_at=0)
    stamps = pc.coalesce(iso, danish)
    parsed = pd.Series(
        stamps.to_numpy(zero_copy_only=False).astype("datetime64[s]"), index=values.index
    )
    bad = ~blank & parsed.isna()
    return parsed, bad, "is not a date (write YYYY-MM-DD or DD-MM-YYYY)"


def _money(values: pd.Series, blank: pd.Series, dialect: str) -> tuple[pd.Series, pd.Series, str]:
    """Amount text -> exact øre, in Arrow: the text is cast to decimal128, never to a float."""
    text = pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
    point = pc.fill_null(pc.match_substring_regex(text, _POINT_AMOUNT), False)
    danish = pc.fill_null(pc.match_substring_regex(text, _DANISH_AMOUNT), False)
    no = pa.array(np.zeros(len(text), dtype=bool))
    if dialect == "semicolon":
        use_point, use_danish = no, danish
        reason = "is not an amount in kroner (write e.g. 1.234,50 in a ;-separated file)"
    elif dialect == "comma":
        use_point, use_danish = point, no
        reason = "is not an amount in kroner (write e.g. 1234.50 in a ,-separated file)"
    else:
        # XLSX: a number cell arrives as point notation ("12.345" is 12.345 kr., never
        # twelve thousand); Danish notation only from text cells that use a comma.
        has_comma = pc.fill_null(pc.match_substring(text, ","), False)
        use_point, use_danish = point, pc.and_(danish, has_comma)
        reason = "is not an amount in kroner with at most 2 decimals"
    from_danish = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
    normalised = pc.if_else(use_point, text, pc.if_else(use_danish, from_danish, "0"))
    kroner = pc.cast(normalised, pa.decimal128(18, 2))
    oere = pc.cast(pc.multiply(kroner, pa.scalar(100, pa.decimal128(3, 0))), pa.int64())
    ok = pd.Series(pc.or_(use_point, use_danish).to_numpy(zero_copy_only=False), index=values.index)
    result = pd.Series(oere.to_numpy(zero_copy_only=False), index=values.index).astype("Int64")
    return result.where(ok), ~blank & ~ok, reason
