"""Our own great-expectations: CPR/CVR validity (python-stdnum), dataset references, and
ranges over nullable integers and dates.

References between datasets ("every claim's CPR is in the CPR extract") are looked up by
name in `REFERENCE_SETS` rather than passed as a value set: great-expectations
re-serialises an expectation's parameters many times per validation, and a 300,000-value
set made a 1M-row suite take 80 s instead of 1.5 s (measured; see bench/README.md). The
set is held as a pyarrow array and looked up with `pyarrow.compute.is_in`: pandas' `isin`
on Arrow strings turns every value of the set into a Python object first (~4 s for
530,000 CPRs).
Validity is computed once per distinct value, so a column of repeated CPRs costs the
number of people, not of rows; CPR validity runs vectorised (`robots.core.cpr.valid_mask`,
held equal to python-stdnum by a property test), CVR validity likewise
(`cvr_valid_mask`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.core.expect_column_values_to_be_between import (
    ExpectColumnValuesToBeBetween,
)
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import (
    ColumnMapMetricProvider,
    column_condition_partial,
)
from stdnum.dk import cvr as stdnum_cvr

from robots.core import dates
from robots.core.cpr import valid_mask

REFERENCE_SETS: dict[str, pa.Array] = {}


@contextmanager
def references(named: dict[str, pd.Index]) -> Iterator[None]:
    """Make reference sets visible to the suites for one validation."""
    REFERENCE_SETS.update(
        {name: _arrow_strings(values).combine_chunks() for name, values in named.items()}
    )
    try:
        yield
    finally:
        for name in named:
            REFERENCE_SETS.pop(name, None)


def _arrow_strings(values: Any) -> pa.ChunkedArray:
    """Values as Arrow strings; zero-copy when pandas already holds them in Arrow."""
    return pa.chunked_array([pa.array(values, type=pa.large_string(), from_pandas=True)])


CVR_WEIGHTS = np.array([2, 7, 6, 5, 4, 3, 2, 1], dtype=np.int64)


def cvr_valid_mask(values: pd.Series) -> np.ndarray:
    """python-stdnum's CVR `is_valid` for a whole column (missing values are not valid).

    Eight ASCII digits need nothing of stdnum's cleaning, so their modulus-11 check runs
    in numpy; anything else (separators, a DK prefix, Unicode dashes) is rare and goes to
    stdnum itself, value by value. tests/checks/test_quality_cvr_vectorised.py holds the
    two equal, so stdnum stays the authority.
    """
    text = values.astype("string")
    plain = text.str.fullmatch(r"[0-9]{8}").fillna(False).to_numpy(dtype=bool)
    verdict = np.zeros(len(text), dtype=bool)
    if plain.any():
        codes = np.frombuffer("".join(text[plain]).encode("ascii"), dtype=np.uint8)
        digits = codes.reshape(-1, 8).astype(np.int64) - ord("0")
        verdict[plain] = (digits[:, 0] != 0) & (digits @ CVR_WEIGHTS % 11 == 0)
    odd = ~plain & text.notna().to_numpy(dtype=bool)
    verdict[odd] = np.fromiter(
        (bool(stdnum_cvr.is_valid(v)) for v in text[odd]), dtype=bool, count=int(odd.sum())
    )
    return verdict


class ColumnValuesValidCpr(ColumnMapMetricProvider):
    """True where the value is a CPR number stdnum accepts (date real, not in the future)."""

    condition_metric_name = "column_values.valid_dk_cpr"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        codes, uniques = pd.factorize(column)
        verdict = valid_mask(pd.Series(uniques, dtype="string"), dates.today())
        # factorize codes a missing value as -1: the appended False is what -1 picks.
        return pd.Series(np.append(verdict, False)[codes], index=column.index)


class ExpectColumnValuesToBeValidDkCpr(ColumnMapExpectation):
    """Expect each value to be a valid Danish CPR number (modulus 11 is not required)."""

    map_metric: ClassVar[str] = "column_values.valid_dk_cpr"


class ColumnValuesValidCvr(ColumnMapMetricProvider):
    """True where the value is a CVR number with a correct modulus-11 check digit."""

    condition_metric_name = "column_values.valid_dk_cvr"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        codes, uniques = pd.factorize(column)
        verdict = cvr_valid_mask(pd.Series(uniques, dtype="string"))
        # factorize codes a missing value as -1: the appended False is what -1 picks.
        return pd.Series(np.append(verdict, False)[codes], index=column.index)


class ExpectColumnValuesToBeValidDkCvr(ColumnMapExpectation):
    """Expect each value to be a valid Danish CVR number."""

    map_metric: ClassVar[str] = "column_values.valid_dk_cvr"


class ColumnValuesInReference(ColumnMapMetricProvider):
    """True where the value occurs in the named reference set."""

    condition_metric_name = "column_values.in_reference"
    condition_value_keys = ("reference",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, reference: str, **kwargs: Any) -> pd.Series:
        known = REFERENCE_SETS.get(reference)
        if known is None:
            raise KeyError(f"reference set {reference!r} was not provided to the suite")
        found = pc.is_in(_arrow_strings(column), value_set=known)
        return pd.Series(found.to_numpy(zero_copy_only=False), index=column.index)


class ExpectColumnValuesToBeInReference(ColumnMapExpectation):
    """Expect each value to be found in another dataset (named, e.g. 'citizens.cpr')."""

    reference: str
    map_metric: ClassVar[str] = "column_values.in_reference"
    success_keys: ClassVar[tuple[str, ...]] = ("reference", "mostly")


class ColumnValuesBetweenVectorised(ColumnMapMetricProvider):
    """great-expectations' `column_values.between`, compared in one vectorised step.

    Its own pandas metric compares value by value in Python for any dtype but numpy
    int/float and datetime64[ns], which is what our nullable øre (Int64) and dates
    (datetime64[s]) are: ~13 s for two such columns of 1M rows. Missing values never
    reach the metric (the map expectation filters them out first).
    """

    condition_metric_name = "column_values.between_vectorised"
    condition_value_keys = ("min_value", "max_value", "strict_min", "strict_max")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        column: pd.Series,
        min_value: Any = None,
        max_value: Any = None,
        strict_min: bool = False,
        strict_max: bool = False,
        **kwargs: Any,
    ) -> pd.Series:
        inside = np.ones(len(column), dtype=bool)
        if min_value is not None:
            above = column > min_value if strict_min else column >= min_value
            inside &= above.to_numpy(dtype=bool, na_value=False)
        if max_value is not None:
            below = column < max_value if strict_max else column <= max_value
            inside &= below.to_numpy(dtype=bool, na_value=False)
        return pd.Series(inside, index=column.index)


class ExpectColumnValuesToBeBetweenVectorised(ExpectColumnValuesToBeBetween):
    """ExpectColumnValuesToBeBetween (same parameters and checks), vectorised for every dtype."""

    map_metric: ClassVar[str] = "column_values.between_vectorised"
