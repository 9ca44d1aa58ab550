"""Our own great-expectations: CPR/CVR validity (python-stdnum) and dataset references.

References between datasets ("every claim's CPR is in the CPR extract") are looked up by
name in `REFERENCE_SETS` rather than passed as a value set: great-expectations
re-serialises an expectation's parameters many times per validation, and a 300,000-value
set made a 1M-row suite take 80 s instead of 1.5 s (measured; see bench/README.md).
Validity is computed once per distinct value, so a column of repeated CPRs costs the
number of people, not of rows; CPR validity runs vectorised (`robots.core.cpr.valid_mask`,
held equal to python-stdnum by a property test), CVR validity through stdnum itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import (
    ColumnMapMetricProvider,
    column_condition_partial,
)
from stdnum.dk import cvr as stdnum_cvr

from robots.core import dates
from robots.core.cpr import valid_mask

REFERENCE_SETS: dict[str, pd.Index] = {}


@contextmanager
def references(named: dict[str, pd.Index]) -> Iterator[None]:
    """Make reference sets visible to the suites for one validation."""
    REFERENCE_SETS.update(named)
    try:
        yield
    finally:
        for name in named:
            REFERENCE_SETS.pop(name, None)


def _valid_per_distinct(column: pd.Series, is_valid: Any) -> pd.Series:
    codes, uniques = pd.factorize(column)
    verdict = np.fromiter((bool(is_valid(str(u))) for u in uniques), dtype=bool, count=len(uniques))
    # factorize codes a missing value as -1: the appended False is what -1 picks.
    return pd.Series(np.append(verdict, False)[codes], index=column.index)


def _cvr_is_valid(value: str) -> bool:
    return bool(stdnum_cvr.is_valid(value))


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
        return _valid_per_distinct(column, _cvr_is_valid)


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
        return column.isin(known)


class ExpectColumnValuesToBeInReference(ColumnMapExpectation):
    """Expect each value to be found in another dataset (named, e.g. 'citizens.cpr')."""

    reference: str
    map_metric: ClassVar[str] = "column_values.in_reference"
    success_keys: ClassVar[tuple[str, ...]] = ("reference", "mostly")
