"""Every claim row of a night as one outcome row: paid, approved, held, rejected, a data
error, waiting for a register, or already processed; what the report counts and the outcome
file lists. Built from the night's frames (a million rows in arrays); a killed run's rows
are read back from the ledger instead (recorded_outcomes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from checks.reading import CLAIM_ALREADY_PROCESSED, CLAIM_COPY_TONIGHT, CLAIM_WAITS_FOR_REGISTER
from robots.core.ledger import payment_records
from robots.core.pipeline.deciding import rule_ids_per_row
from robots.core.pipeline.ingest import FILE
from robots.core.pipeline.reading import LINE
from robots.core.pipeline.waiting_ledger import Waiting
from robots.core.robot import Robot

if TYPE_CHECKING:
    from robots.core.pipeline.nightly import NightRun

OUTCOME_COLUMNS = [
    "claim_id",
    "source_id",
    "outcome",
    "basis_oere",
    "amount_oere",
    "rule_ids",
    "file",
    "line",
]


def _no_line(lines: pd.api.extensions.ExtensionArray) -> pd.api.extensions.ExtensionArray:
    out = lines.copy()
    out[out < 0] = pd.NA
    return out


def data_error_rows(errors: pd.DataFrame) -> pd.DataFrame:
    """Every row that did not become a claim, as one outcome row per file and line.

    The rule ids per place are joined in arrays (a Python function per place took ~3 s at
    90,000 bad rows, measured).
    """
    if errors.empty:
        return pd.DataFrame(columns=OUTCOME_COLUMNS)
    # One integer per place: file in the high bits, line + 1 below (0: a file-level error).
    file = errors["file"].astype("int64").to_numpy()
    line = pd.to_numeric(errors["line"]).fillna(-1).astype("int64").to_numpy()
    place_codes, unique_places = pd.factorize((file << 32) + (line + 1), sort=True)
    rule_codes, names = pd.factorize(errors["rule_id"].to_numpy(), sort=True)
    pairs = np.unique(np.stack([place_codes, rule_codes], axis=1), axis=0)
    rows = pd.RangeIndex(len(unique_places))
    rule_ids = rule_ids_per_row(rows, pairs[:, 0], pairs[:, 1], np.asarray(names))
    first = pd.Series(np.arange(len(errors))).groupby(place_codes).first().to_numpy()
    places = np.asarray(unique_places, dtype=np.int64)
    lines = pd.array((places & 0xFFFFFFFF) - 1, dtype="Int64")
    source = (
        errors["source_ref"] if "source_ref" in errors else pd.Series(pd.NA, index=errors.index)
    )
    return pd.DataFrame(
        {
            "claim_id": errors["claim_ref"].to_numpy()[first],
            "source_id": source.to_numpy()[first],
            "outcome": "data_error",
            "basis_oere": pd.NA,
            "amount_oere": pd.NA,
            "rule_ids": rule_ids.to_numpy(),
            "file": pd.array(places >> 32, dtype="Int64"),
            "line": _no_line(lines),
        }
    )[OUTCOME_COLUMNS]


def night_outcomes(
    engine: Engine,
    computed: pd.DataFrame | None,
    same: pd.DataFrame,
    changed: pd.DataFrame,
    copies: pd.DataFrame,
    waiting: Waiting,
    data_errors: pd.DataFrame,
    run_id: str,
    robot: Robot,
    *,
    all_paid: bool = False,
) -> pd.DataFrame:
    """`all_paid`: tonight's batches are known to pay every claim the run decided 'pay'
    (then the ledger is not asked which are unpaid: 0.4 s at a million claims)."""
    parts = [data_errors, waiting_outcomes(waiting, robot)]
    if computed is not None:
        # Ask the ledger for the exception, not the rule: this run's claims decided 'pay'
        # that are in no payment (none, unless paying failed or a credit outweighs a
        # payee's bills). All others were paid.
        unpaid = pd.Series([], dtype=object)
        settled: set[str] = set()
        if not all_paid:
            with engine.connect() as connection:
                unpaid = payment_records.approved_not_paid(connection=connection, run_id=run_id)
                settled = payment_records.settled_unpaid(connection=connection, keys=unpaid)
        outcome = computed["decision"].map({"pay": "paid", "hold": "held", "reject": "rejected"})
        outcome = outcome.mask(computed["idempotency_key"].isin(unpaid), "approved")
        outcome = outcome.mask(computed["idempotency_key"].isin(settled), "settled")
        parts.append(
            pd.DataFrame(
                {
                    "claim_id": computed[robot.claim_id_column],
                    "source_id": source_ids(computed, robot),
                    "outcome": outcome,
                    "basis_oere": computed["basis_oere"],
                    "amount_oere": computed["amount_oere"],
                    "rule_ids": computed["rule_ids"],
                    "file": computed[FILE],
                    "line": computed[LINE],
                    **_period_of(computed, robot),
                }
            )
        )
    for rows, label, rule in (
        (same, "already_processed", CLAIM_ALREADY_PROCESSED.id),
        (changed, "held", robot.resubmitted_changed_rule),
    ):
        if rows is not None and len(rows):
            parts.append(
                pd.DataFrame(
                    {
                        "claim_id": rows[robot.claim_id_column],
                        "source_id": source_ids(rows, robot),
                        "outcome": label,
                        "basis_oere": pd.NA,
                        "amount_oere": pd.NA,
                        "rule_ids": rule,
                        "file": rows[FILE],
                        "line": rows[LINE],
                        **_period_of(rows, robot),
                    }
                )
            )
    if len(copies):
        parts.append(
            pd.DataFrame(
                {
                    "claim_id": copies["claim_ref"],
                    "source_id": copies["source_ref"],
                    "outcome": "already_processed",
                    "basis_oere": pd.NA,
                    "amount_oere": pd.NA,
                    "rule_ids": CLAIM_COPY_TONIGHT.id,
                    "file": copies["file"],
                    "line": copies["line"],
                }
            )
        )
    parts = [amounts_typed(p) for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=OUTCOME_COLUMNS)


AMOUNT_COLUMNS = {"basis_oere": "Int64", "amount_oere": "Int64"}


def amounts_typed(part: pd.DataFrame) -> pd.DataFrame:
    """The amounts as whole øre with a missing one as NA in every part of a night's outcomes
    (and of a killed run's, read back), so they stay one integer column: mixed with parts
    that have none, they became Python objects, and the report and outcome file read a
    million of them back as numbers three times (0.4 s, measured)."""
    return part.astype(AMOUNT_COLUMNS)


def waiting_outcomes(waiting: Waiting, robot: Robot) -> pd.DataFrame:
    rows = waiting.rows
    if not len(rows):
        return pd.DataFrame(columns=OUTCOME_COLUMNS)
    return pd.DataFrame(
        {
            "claim_id": rows[robot.claim_id_column],
            "source_id": source_ids(rows, robot),
            "outcome": "waiting",
            "basis_oere": pd.NA,
            "amount_oere": pd.NA,
            "rule_ids": CLAIM_WAITS_FOR_REGISTER.id + "," + rows["rule_ids"].astype("string"),
            "file": rows[FILE],
            "line": rows[LINE],
            **_period_of(rows, robot),
        }
    )


def _period_of(rows: pd.DataFrame, robot: Robot) -> dict[str, pd.Series]:
    """The month each row is for, where the robot pays by month (an outcome column then)."""
    column = robot.period_column
    if column is None or column not in rows:
        return {}
    return {"period": rows[column].astype("string")}


def own_source_ids(rows: pd.DataFrame, robot: Robot) -> pd.Series | None:
    """The sender's id for the ledger, where it is not the claim id itself (else None)."""
    if robot.claims.source_id in (None, robot.claim_id_column):
        return None
    return source_ids(rows, robot).str.slice(0, 64)


def source_ids(rows: pd.DataFrame, robot: Robot) -> pd.Series:
    """The id each row's sender gave it (the claims' own column)."""
    name = robot.claims.source_id
    if name is None or name not in rows:
        return pd.Series(pd.NA, index=rows.index, dtype="string")
    return rows[name].astype("string")


def summary_of(result: NightRun) -> dict[str, object]:
    """The run's headline figures, stored with the run for `robots status`."""
    counts = result.outcomes["outcome"].value_counts().to_dict() if len(result.outcomes) else {}
    paid = result.outcomes.loc[result.outcomes["outcome"] == "paid", "amount_oere"]
    return {
        "counts": {k: int(v) for k, v in counts.items()},
        "paid_oere": int(paid.sum()) if len(paid) else 0,
        "batches": [b.batch_id for b in result.batches],
        "automation_rate": automation_rate(result.outcomes),
    }


def automation_rate(outcomes: pd.DataFrame) -> float | None:
    """Share of tonight's new claim rows paid with no human touch (re-deliveries and rows
    waiting for a register, decided on a later night, excluded)."""
    considered = (
        outcomes[~outcomes["outcome"].isin(["already_processed", "waiting"])]
        if len(outcomes)
        else outcomes
    )
    if len(considered) == 0:
        return None
    return float((considered["outcome"] == "paid").sum()) / len(considered)
