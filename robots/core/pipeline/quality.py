"""Running a dataset's great-expectations suite and turning failing rows into findings.

One ephemeral context per process; each dataset validates as one whole-dataframe batch
(the columns its suite reads) with `result_format=COMPLETE`, so every failing row comes
back by position and is named by file, line and the expectation (rule) it broke. Rows
that fail leave the frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from checks.quality.expectations import references
from checks.quality.suites import QualityRule, SuiteContext
from robots.core.pipeline.reading import LINE

logger = logging.getLogger(__name__)

FINDING_COLUMNS = ["row", "line", "rule_id", "column", "message"]


@dataclass
class QualityResult:
    """Rows that met every expectation, and one finding per failing row and rule."""

    frame: pd.DataFrame
    findings: pd.DataFrame


@lru_cache(maxsize=1)
def _context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    _no_batch_fingerprint()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _no_batch_fingerprint() -> None:
    """Load batches without great-expectations' fingerprint of the whole frame.

    Loading a frame smaller than its `HASH_THRESHOLD` hashes every value (pandas'
    `hash_pandas_object`, through Python objects for Arrow strings: ~0.7 s for 1M claims)
    only to store the digest as a batch marker, which nothing here reads. Frames above the
    threshold are loaded unhashed by great-expectations itself; setting it to 0 treats
    every frame so. A great-expectations without the setting is refused, not silently
    slower (tests/checks/test_quality_suites.py checks no frame is hashed).
    """
    from great_expectations.execution_engine import pandas_execution_engine

    if not hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        raise RuntimeError("great-expectations no longer has HASH_THRESHOLD: see quality.py")
    pandas_execution_engine.HASH_THRESHOLD = 0


@lru_cache(maxsize=32)
def _batch_definition(dataset_name: str) -> Any:
    source = _context().data_sources.add_or_update_pandas(f"robots_{dataset_name}")
    asset = source.add_dataframe_asset(dataset_name)
    return asset.add_batch_definition_whole_dataframe("whole")


def validate(
    frame: pd.DataFrame,
    dataset_name: str,
    rules: list[QualityRule],
    context: SuiteContext,
    reference_sets: dict[str, pd.Index] | None = None,
) -> QualityResult:
    """Validate `frame` against its suite; return passing rows and findings."""
    if frame.empty:
        return QualityResult(frame, pd.DataFrame(columns=FINDING_COLUMNS))
    _context()
    suite, expectations = _suite(dataset_name, rules, context)
    view = _suite_view(frame, rules, expectations)
    try:
        with references(reference_sets or {}):
            result = _validator(dataset_name, view).validate_expectation_suite(suite)
    finally:
        _release_batch(dataset_name)
    pieces = [
        _findings(frame, rules[int(outcome.expectation_config.meta["rule_index"])], outcome)
        for outcome in result.results
        if not outcome.success
    ]
    findings = (
        pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    passing = frame.drop(index=frame.index[findings["row"].unique()]) if len(findings) else frame
    return QualityResult(passing.reset_index(drop=True), findings)


def _release_batch(dataset_name: str) -> None:
    """Let go of the frame great-expectations keeps after a validation.

    The data source's execution engine holds its last batch until the next one is loaded:
    the claims' suite view (most of their columns, ~90 MB at 1M claims) and each register's
    would otherwise live through the whole night, long after the rows were checked.
    """
    datasource = _batch_definition(dataset_name).data_asset.datasource
    batches = datasource.get_execution_engine().batch_manager
    batches.reset_batch_cache()
    batches.batch_data_cache.clear()


RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 0,
}
"""Every failing row, named by its index label. No `unexpected_index_column_names`: with
them great-expectations builds a dict per failing row through `.at` lookups (~26 s for
70,000 failing rows at 1M claims); on an unnamed index it returns the labels as they are.
"""


def _validator(dataset_name: str, view: pd.DataFrame) -> Any:
    """The validator `Batch.validate` builds, built from the batch definition directly.

    `Batch.validate` makes a validator that loads the batch a second time, and every load
    fingerprints the whole frame (pandas' hash of every value: ~1 s a load for 1M claims).
    `ValidationDefinition.run` loads it once too, but also stores a copy of the results.
    """
    from great_expectations.validator.v1_validator import Validator

    return Validator(
        batch_definition=_batch_definition(dataset_name),
        batch_parameters={"dataframe": view},
        result_format=RESULT_FORMAT,
    )


def _suite(
    dataset_name: str, rules: list[QualityRule], context: SuiteContext
) -> tuple[Any, list[Any]]:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"{dataset_name}_suite")
    expectations = []
    for index, rule in enumerate(rules):
        expectation = rule.build(context)
        expectation.meta = {"rule_index": index, "rule_id": rule.rule.id}
        expectations.append(suite.add_expectation(expectation))
    return suite, expectations


def _suite_view(frame: pd.DataFrame, rules: list[QualityRule], expectations: list[Any]) -> Any:
    """The columns the suite reads, indexed 0..n-1 so an index label is the row position.

    great-expectations copies the whole batch frame for every expectation (dropping the
    rows its column has missing) and hashes it once per batch, so columns no expectation
    reads (line, file, dates only the robot uses) cost time without being checked.
    """
    wanted: dict[str, None] = {}
    for rule, expectation in zip(rules, expectations, strict=True):
        kwargs = expectation.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                wanted[kwargs[key]] = None
        wanted.update(dict.fromkeys(kwargs.get("column_list") or ()))
        wanted.update(dict.fromkeys(rule.condition_reads))
    return frame[list(wanted)].set_axis(pd.RangeIndex(len(frame)), axis=0)


def _findings(frame: pd.DataFrame, rule: QualityRule, outcome: Any) -> pd.DataFrame:
    """One finding per row that failed the rule's expectation."""
    if outcome.exception_info and outcome.exception_info.get("raised_exception"):
        raise RuntimeError(
            f"data-quality rule {rule.rule.id} could not run: "
            f"{outcome.exception_info.get('exception_message')}"
        )
    rows = np.unique(np.asarray(outcome.result.get("unexpected_index_list") or [], dtype=np.int64))
    return pd.DataFrame(
        {
            "row": rows,
            "line": frame[LINE].to_numpy()[rows],
            "rule_id": rule.rule.id,
            "column": rule.column,
            "message": rule.messages(frame[rule.column].iloc[rows]).to_numpy(),
        }
    )
