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

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_DK_DATE = r"^\d{2}-\d{2}-\d{4}$"
_POINT_AMOUNT = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$"
_DANISH_AMOUNT = r"^-?([0-9]{1,3}(\.[0-9]{3}){1,4}|[0-9]{1,15})(,[0-9]{1,2})?$"
_WHOLE_NUMBER = r"^[+-]?\d+$"


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


def _convert(values: pd.Series, kind: ColumnType, dialect: str) -> tuple[pd.Series, pd.Series, str]:
    blank = values.isna() | (values == "")
    if kind is ColumnType.DATE:
        return _dates(values, blank)
    if kind is ColumnType.MONEY:
        return _money(values, blank, dialect)
    if kind is ColumnType.INT:
        ok = values.str.fullmatch(_WHOLE_NUMBER).fillna(False).astype(bool)
        parsed = pd.to_numeric(values.where(ok), errors="coerce").astype("Int64")
        return parsed, ~blank & ~ok, "is not a whole number"
    if kind is ColumnType.CPR:
        cleaned = values.str.replace(r"[\s-]", "", regex=True)
        return cleaned.where(~blank, pd.NA), pd.Series(False, index=values.index), ""
    if kind is ColumnType.CVR:
        cleaned = values.str.upper().str.replace(r"^DK|\s", "", regex=True)
        return cleaned.where(~blank, pd.NA), pd.Series(False, index=values.index), ""
    return values.where(~blank, pd.NA), pd.Series(False, index=values.index), ""


def _dates(values: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    iso = values.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
    danish = values.str.fullmatch(_DK_DATE).fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    if iso.any():
        parsed[iso] = pd.to_datetime(values[iso], format="%Y-%m-%d", errors="coerce")
    if danish.any():
        parsed[danish] = pd.to_datetime(values[danish], format="%d-%m-%Y", errors="coerce")
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
