"""Exceptions as the ledger stores them: rule, kind, severity, evidence, file and line.

Messages are masked here, once, on the way into the ledger: a CPR number that slipped
into a value (a shifted column, a typo) never reaches a report or a screen in clear.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from checks import rules
from robots.core.cpr import CPR_PATTERN
from robots.core.ledger import bulk
from robots.core.ledger.schema import ExceptionStatus

ERROR_COLUMNS = ["file", "line", "claim_ref", "source_ref", "rule_id", "message"]
"""An error found before a claim exists: which file (night index), line, claim id text and
the id its sender gave it (source_ref is reported, not kept in the ledger)."""


def empty_errors() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ERROR_COLUMNS})


def mask_messages(messages: pd.Series) -> pd.Series:
    """Replace every CPR-looking number with ddmmyy-****.

    The pattern (word boundaries as Python reads them) runs in Python, row by row; so only
    rows that hold ten digits at all (one Arrow scan, a superset of its matches) are given
    to it: at a million claims 0.4 s of the ledger stage went to rows with none."""
    text = messages.astype("string[pyarrow]")
    if not len(text):
        return text
    candidates = pc.match_substring_regex(pa.array(text.array), r"\d{6}-?\d{4}")
    at = np.flatnonzero(candidates.to_numpy(zero_copy_only=False) == True)  # noqa: E712
    if not len(at):
        return text
    masked = text.iloc[at].str.replace(CPR_PATTERN.pattern, r"\1-****", regex=True)
    out = text.copy()
    out.iloc[at] = masked.to_numpy()
    return out


def insert_exceptions(
    *,
    connection: Connection,
    run_id: str,
    robot: str,
    frame: pd.DataFrame,
    file_ids: dict[int, int | None],
) -> None:
    """Store exceptions; `frame` has rule_id, message and any of file, line, claim_ref,
    claim_pk and evidence (a JSON object; CPR numbers masked in it as in the message).

    Columns the frame does not have are left out of the insert (they stay NULL).
    """
    if frame.empty:
        return
    catalogue = {r.id: r for r in rules.catalogue()}
    rule_ids = frame["rule_id"].astype(str)
    unknown = set(rule_ids.unique()) - set(catalogue)
    if unknown:
        raise KeyError(f"exceptions name rules that are not in the catalogue: {sorted(unknown)}")
    rows = {
        "run_id": run_id,
        "robot": robot,
        "rule_id": rule_ids,
        "kind": rule_ids.map({k: r.kind.value for k, r in catalogue.items()}),
        "severity": rule_ids.map({k: r.severity.value for k, r in catalogue.items()}),
        "message": mask_messages(frame["message"]),
        "status": ExceptionStatus.OPEN.value,
    }
    if "claim_pk" in frame:
        rows["claim_pk"] = frame["claim_pk"].astype("Int64")
    if "claim_ref" in frame:
        rows["claim_ref"] = frame["claim_ref"].astype("string").str.slice(0, 64)
    if "file" in frame:
        rows["source_file_id"] = frame["file"].map(file_ids).astype("Int64")
    if "line" in frame:
        rows["source_line"] = frame["line"].astype("Int64")
    if "evidence" in frame:
        rows["evidence"] = mask_messages(frame["evidence"])
    bulk.bulk_insert(
        connection=connection, table="exceptions", frame=pd.DataFrame(rows, index=frame.index)
    )
