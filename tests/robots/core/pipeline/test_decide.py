"""The night's decisions from its findings: worst severity wins, fired rule ids listed.

`_decide` works in arrays; `reference_decide` below is the same rule written per row
group, as it reads. A property test holds the two equal on random findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks import rules
from robots.core.pipeline.deciding import decide as _decide
from robots.core.robot import empty_findings

# One rule of each severity, plus ids that sort differently from their severities.
RULE_IDS = [
    "HT-PROVISIONAL-RATE-DEMO",  # info
    "HT-STALE",  # hold
    "HT-DUP-NIGHT",  # hold
    "HT-DEAD",  # reject
    "HT-ASSETS",  # reject
    "DQ-HC-EXPENSE-TYPE",  # data_error
]


def reference_decide(findings: pd.DataFrame, rows: pd.Index) -> tuple[list[str], list[str]]:
    severity = {r.id: r.severity.rank for r in rules.catalogue()}
    worst = (
        findings["rule_id"].map(severity).groupby(findings["row"]).max().reindex(rows, fill_value=0)
    )
    decision = np.select([worst >= 2, worst == 1], ["reject", "hold"], "pay")
    fired = (
        findings.sort_values("rule_id")
        .groupby("row")["rule_id"]
        .agg(",".join)
        .reindex(rows, fill_value="")
    )
    return decision.tolist(), fired.tolist()


def test_worst_severity_decides_and_rule_ids_are_sorted() -> None:
    rows = pd.Index([10, 11, 12, 13])
    findings = pd.DataFrame(
        {
            "row": [11, 11, 12, 13, 13, 99],
            "rule_id": [
                "HT-STALE",
                "HT-DEAD",
                "HT-PROVISIONAL-RATE-DEMO",
                "HT-STALE",
                "HT-DUP-NIGHT",
                "HT-DEAD",  # a row that is not tonight's: ignored
            ],
            "message": ["m"] * 6,
        }
    )

    decision, fired = _decide(findings, rows)

    assert decision.tolist() == ["pay", "reject", "pay", "hold"]
    assert fired.tolist() == [
        "",
        "HT-DEAD,HT-STALE",
        "HT-PROVISIONAL-RATE-DEMO",
        "HT-DUP-NIGHT,HT-STALE",
    ]
    assert decision.index.equals(rows) and fired.index.equals(rows)


@pytest.mark.parametrize(
    "none", [pd.DataFrame(columns=["row", "rule_id", "message"]), empty_findings()]
)
def test_no_findings_pays_every_row(none: pd.DataFrame) -> None:
    rows = pd.RangeIndex(3)
    decision, fired = _decide(none, rows)
    assert decision.tolist() == ["pay"] * 3
    assert fired.tolist() == [""] * 3


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.integers(0, 40), unique=True, max_size=25),
    hits=st.lists(st.tuples(st.integers(0, 45), st.sampled_from(RULE_IDS)), max_size=60),
)
def test_decisions_equal_the_per_row_statement(
    rows: list[int], hits: list[tuple[int, str]]
) -> None:
    index = pd.Index(rows, dtype="int64")
    findings = pd.DataFrame(
        {
            "row": pd.Series([r for r, _ in hits], dtype="int64"),
            "rule_id": pd.Series([i for _, i in hits], dtype=object),
            "message": pd.Series(["m"] * len(hits), dtype="string"),
        }
    )

    decision, fired = _decide(findings.astype({"rule_id": "str"}), index)

    assert (decision.tolist(), fired.tolist()) == reference_decide(findings, index)
