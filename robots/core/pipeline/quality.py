"""Running a dataset's great-expectations suite and turning failing rows into findings.

One ephemeral context per process; each dataset validates as a whole-dataframe batch with
`result_format=COMPLETE` keyed by the physical line, so every failing row is named by file,
line and the expectation (rule) it broke. Rows that fail leave the frame.
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
ROW = "_row"
"""A night-wide row key: physical lines repeat across files, this does not."""


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
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


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
    import great_expectations as gx

    if frame.empty:
        return QualityResult(frame, pd.DataFrame(columns=FINDING_COLUMNS))
    _context()
    suite = gx.ExpectationSuite(name=f"{dataset_name}_suite")
    for index, rule in enumerate(rules):
        expectation = rule.build(context)
        expectation.meta = {"rule_index": index, "rule_id": rule.rule.id}
        suite.add_expectation(expectation)
    keyed = frame.assign(**{ROW: np.arange(len(frame), dtype=np.int64)})
    batch = _batch_definition(dataset_name).get_batch(batch_parameters={"dataframe": keyed})
    with references(reference_sets or {}):
        result = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [ROW],
                "return_unexpected_index_query": False,
                "partial_unexpected_count": 0,
            },
        )
    pieces: list[pd.DataFrame] = []
    for outcome in result.results:
        if outcome.success:
            continue
        rule = rules[int(outcome.expectation_config.meta["rule_index"])]
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"data-quality rule {rule.rule.id} could not run: "
                f"{outcome.exception_info.get('exception_message')}"
            )
        entries = outcome.result.get("unexpected_index_list") or []
        rows = np.unique(np.fromiter((int(e[ROW]) for e in entries), dtype=np.int64))
        values = frame[rule.column].to_numpy()[rows]
        pieces.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "line": frame[LINE].to_numpy()[rows],
                    "rule_id": rule.rule.id,
                    "column": rule.column,
                    "message": [rule.message(v) for v in values],
                }
            )
        )
    findings = (
        pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    passing = frame.drop(index=frame.index[findings["row"].unique()]) if len(findings) else frame
    return QualityResult(passing.reset_index(drop=True), findings)
