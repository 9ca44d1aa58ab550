"""A run's outcome rows read back from the ledger, for a run that could not report itself.

A run killed after it committed its decisions never wrote its report or outcome file. The
next run of the robot finishes its work (pays its batch) and reports its decisions too,
read from what the ledger holds: every claim it decided, every row it made a data error,
every copy, re-delivery and row left waiting. The rows come out in the shape the night
builds in memory (outcomes.OUTCOME_COLUMNS), with the file named and the run that decided.

`tests/robots/core/pipeline/test_recorded_outcomes.py` holds this reading equal to what a
completed run reported itself.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from checks.reading import CLAIM_ALREADY_PROCESSED, CLAIM_COPY_TONIGHT, CLAIM_WAITS_FOR_REGISTER
from robots.core.ledger import case_records, claim_records
from robots.core.pipeline.outcomes import amounts_typed
from robots.core.robot import Robot

_FIRED = re.compile(r"\(([A-Z0-9,\-]+) fired\)")
"""How a waiting row's exception names the rules that stopped it."""


def recorded_outcomes(connection: Connection, run_id: str, robot: Robot) -> pd.DataFrame:
    """Outcome rows of `run_id` from the ledger: claim_id, source_id, outcome, basis_oere,
    amount_oere, rule_ids, file_name, line, run_id."""
    claims = claim_records.claims_of_run(connection=connection, run_id=run_id)
    decided = pd.DataFrame(
        {
            "claim_id": claims["claim_id"],
            "source_id": claims["source_id"].fillna(claims["claim_id"]),
            "outcome": np.where(
                claims["decision"] == "pay",
                np.where(claims["in_payment"].astype(bool), "paid", "approved"),
                claims["decision"].map({"hold": "held", "reject": "rejected"}),
            ),
            "basis_oere": pd.array(claims["basis_oere"], dtype="Int64"),
            "amount_oere": pd.array(claims["amount_oere"], dtype="Int64"),
            "rule_ids": claims["rule_ids"].fillna(""),
            "file_name": claims["file_name"],
            "line": pd.array(claims["source_line"], dtype="Int64"),
        }
    )
    rows = case_records.row_exceptions_of_run(
        connection=connection,
        run_id=run_id,
        robot=robot.name,
        about_earlier_claims=[CLAIM_ALREADY_PROCESSED.id, robot.resubmitted_changed_rule],
    )
    parts = [decided, *_from_exceptions(rows, robot)]
    found = (
        pd.concat([amounts_typed(p) for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else decided
    )
    return found.assign(run_id=run_id)


def _from_exceptions(rows: pd.DataFrame, robot: Robot) -> list[pd.DataFrame]:
    """Re-deliveries, copies and waiting rows one row each; every other row exception a
    data error, its rules joined per file and line."""
    if not len(rows):
        return []
    fixed = {
        CLAIM_ALREADY_PROCESSED.id: "already_processed",
        CLAIM_COPY_TONIGHT.id: "already_processed",
        robot.resubmitted_changed_rule: "held",
        CLAIM_WAITS_FOR_REGISTER.id: "waiting",
    }
    single = rows[rows["rule_id"].isin(list(fixed))]
    waiting = single["rule_id"] == CLAIM_WAITS_FOR_REGISTER.id
    stopped_by = single["message"].str.extract(_FIRED, expand=False).fillna("")
    one_each = pd.DataFrame(
        {
            "claim_id": single["claim_ref"],
            "source_id": pd.NA,
            "outcome": single["rule_id"].map(fixed),
            "basis_oere": pd.NA,
            "amount_oere": pd.NA,
            "rule_ids": single["rule_id"].where(~waiting, single["rule_id"] + "," + stopped_by),
            "file_name": single["file_name"],
            "line": pd.array(single["source_line"], dtype="Int64"),
        }
    )
    errors = rows[~rows["rule_id"].isin(list(fixed))]
    per_row = (
        errors.groupby(["file_name", "source_line"], dropna=False, sort=True)
        .agg(
            claim_id=("claim_ref", "first"),
            rule_ids=("rule_id", lambda r: ",".join(sorted(set(r)))),
        )
        .reset_index()
    )
    data_errors = pd.DataFrame(
        {
            "claim_id": per_row["claim_id"],
            "source_id": pd.NA,
            "outcome": "data_error",
            "basis_oere": pd.NA,
            "amount_oere": pd.NA,
            "rule_ids": per_row["rule_ids"],
            "file_name": per_row["file_name"],
            "line": pd.array(per_row["source_line"], dtype="Int64"),
        }
    )
    return [one_each, data_errors]
