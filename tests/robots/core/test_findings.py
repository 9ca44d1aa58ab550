"""robots.core.robot.findings: a rule's findings, evidence written for the firing rows only."""

from __future__ import annotations

import pandas as pd
import pytest

from robots.core.robot import FiringRows, concat_findings, empty_findings, findings


def night() -> pd.DataFrame:
    return pd.DataFrame(
        {"amount": [10, 20, 30, 40], "who": ["a", "b", "c", "d"]}, index=[7, 8, 9, 10]
    )


def test_callable_evidence_sees_only_the_rows_that_fire() -> None:
    frame = night()
    seen: list[list[str]] = []

    def evidence(rows: FiringRows) -> pd.Series:
        seen.append(rows["who"].tolist())
        return "amount " + rows["amount"].astype("string")

    found = findings(frame["amount"] > 15, "R-1", evidence, frame=frame)

    assert seen == [["b", "c", "d"]]
    assert found["row"].tolist() == [8, 9, 10]
    assert found["rule_id"].tolist() == ["R-1"] * 3
    assert found["message"].tolist() == ["amount 20", "amount 30", "amount 40"]


def test_firing_rows_know_their_labels_and_number() -> None:
    frame = night()
    rows = FiringRows(frame, (frame["amount"] % 20 == 0).to_numpy())
    assert rows.index.tolist() == [8, 10]
    assert len(rows) == 2


def test_one_text_for_every_firing_row() -> None:
    frame = night()
    found = findings(frame["who"] == "c", "R-2", "the same text")
    assert found["row"].tolist() == [9]
    assert found["message"].tolist() == ["the same text"]


def test_a_column_of_text_is_taken_at_the_firing_rows() -> None:
    frame = night()
    text = "who " + frame["who"]
    found = findings(frame["amount"] < 25, "R-3", text)
    assert found["message"].tolist() == ["who a", "who b"]


def test_a_missing_mask_value_does_not_fire() -> None:
    mask = pd.Series([True, pd.NA, False], dtype="boolean")
    assert findings(mask, "R-4", "x")["row"].tolist() == [0]


def test_missing_evidence_values_stay_missing() -> None:
    frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64")})
    found = findings(
        pd.Series([True, True]), "R-5", lambda r: "n=" + r["n"].astype("string"), frame=frame
    )
    assert found["message"].tolist()[0] == "n=1"
    assert found["message"].isna().tolist() == [False, True]


def test_nothing_fires_gives_the_empty_findings_frame() -> None:
    found = findings(pd.Series([False, False]), "R-6", lambda r: pytest.fail("not called"))
    assert found.empty
    assert list(found.columns) == ["row", "rule_id", "message"]


def test_callable_evidence_needs_the_frame() -> None:
    with pytest.raises(TypeError, match="R-7"):
        findings(pd.Series([True]), "R-7", lambda r: "x")


def test_concat_leaves_out_rules_that_found_nothing() -> None:
    one = findings(pd.Series([False, True]), "R-8", "x")
    both = concat_findings([empty_findings(), one, empty_findings(), one])
    assert both["row"].tolist() == [1, 1]
    assert list(concat_findings([empty_findings()]).columns) == ["row", "rule_id", "message"]
