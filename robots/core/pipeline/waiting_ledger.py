"""Rows waiting for a register, kept in the ledger and read again each night.

robots.core.pipeline.waiting says which rows wait and how a row is kept as text; this
module reads the waiting rows back in with tonight's (their earlier files named as night
files of status 'waiting'), and keeps, resolves and explains them in the night's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from checks.reading import CLAIM_WAITS_FOR_REGISTER
from robots.core.ledger import case_records
from robots.core.pipeline import references as snapshots
from robots.core.pipeline.exceptions import insert_exceptions
from robots.core.pipeline.ingest import FILE, IngestedClaims, NightFile
from robots.core.pipeline.reading import LINE
from robots.core.pipeline.registers import max_wait_days
from robots.core.pipeline.waiting import WAITING_ID, WAITING_SINCE, as_json_lines, from_json_lines
from robots.core.robot import Robot


@dataclass
class Waiting:
    """Tonight's claim rows that wait for a register in doubt, and the rows read again."""

    in_doubt: dict[str, snapshots.RegisterState]
    rows: pd.DataFrame
    """Contract columns, claim id, FILE, LINE, WAITING_ID (NA: first night), WAITING_SINCE,
    registers (what it waits for), rule_ids (what stopped it)."""
    read_again: set[int]
    """waiting_claims ids read again tonight: resolved unless they wait again."""


def with_rows_read_again(
    engine: Engine, robot: Robot, ingested: IngestedClaims
) -> tuple[pd.DataFrame, IngestedClaims]:
    """Tonight's rows and, after them, the rows still waiting from earlier nights; each
    earlier file they came in becomes a night file of status 'waiting' (not moved, not
    recorded again), so names, lines and ledger ids carry through like tonight's."""
    with engine.connect() as connection:
        kept = case_records.open_waiting(connection=connection, robot=robot.name)
    if not len(kept):
        return ingested.frame, ingested
    rows = from_json_lines(kept["row_json"].tolist(), robot.claims)
    codes, earlier = pd.factorize(kept["source_file_id"].fillna(-1).astype("int64"))
    first = kept.groupby(codes).head(1)
    files = list(ingested.files)
    for (_, row), source_id in zip(first.iterrows(), earlier, strict=True):
        files.append(
            NightFile(
                Path(str(row["file_name"] or "(an earlier file)")),
                robot.claims.name,
                str(row["sha256"] or ""),
                status="waiting",
                reason="rows waiting for a register since an earlier night, read again",
                source_file_id=None if source_id < 0 else int(source_id),
                stored_path=Path(str(row["stored_path"])) if row["stored_path"] else None,
            )
        )
    rows[FILE] = len(ingested.files) + codes
    rows[LINE] = pd.to_numeric(kept["source_line"]).fillna(-1).astype("int64").to_numpy()
    rows[WAITING_ID] = kept["id"].astype("int64").to_numpy()
    rows[WAITING_SINCE] = pd.to_datetime(kept["since"]).astype("datetime64[s]").to_numpy()
    optional = {
        c.name for c in robot.claims.columns if c.optional_column and rows[c.name].notna().any()
    }
    frame = pd.concat([ingested.frame, rows], ignore_index=True)
    return frame, replace(
        ingested, files=files, optional_columns=ingested.optional_columns | optional
    )


def ids_read_again(frame: pd.DataFrame) -> set[int]:
    """The waiting rows read again tonight (by their waiting_claims id)."""
    if WAITING_ID not in frame:
        return set()
    return set(pd.to_numeric(frame[WAITING_ID]).dropna().astype("int64").tolist())


def record_waiting(
    connection: Connection,
    robot: Robot,
    run_id: str,
    night: date,
    waiting: Waiting,
    file_ids: dict[int, int | None],
) -> None:
    """Keep tonight's new waiting rows, mark rows read again and decided as resolved, and
    give every waiting row tonight's exception saying what it waits for."""
    rows = waiting.rows
    again = set(pd.to_numeric(rows[WAITING_ID]).dropna().astype("int64").tolist())
    case_records.resolve_waiting(
        connection=connection, ids=waiting.read_again - again, run_id=run_id
    )
    if not len(rows):
        return
    first_time = rows[rows[WAITING_ID].isna()]
    case_records.park_waiting(
        connection=connection,
        rows=pd.DataFrame(
            {
                "robot": robot.name,
                "claim_ref": first_time[robot.claim_id_column].astype("string").str.slice(0, 64),
                "source_file_id": first_time[FILE].map(file_ids).astype("Int64"),
                "source_line": pd.to_numeric(first_time[LINE]).astype("Int64"),
                "row_json": as_json_lines(first_time, robot.claims),
                "waits_for": first_time["registers"].astype("string"),
                "run_id": run_id,
                "since": pd.Timestamp(night),
            }
        ),
    )
    deadline = pd.to_datetime(rows[WAITING_SINCE]).fillna(pd.Timestamp(night)) + pd.Timedelta(
        days=max_wait_days()
    )
    doubt = {
        name: f"{state.doubt or 'none received'} (since {state.in_doubt_since or night})"
        for name, state in waiting.in_doubt.items()
    }
    insert_exceptions(
        connection=connection,
        run_id=run_id,
        robot=robot.name,
        frame=pd.DataFrame(
            {
                "claim_ref": rows[robot.claim_id_column],
                "file": rows[FILE],
                "line": rows[LINE],
                "rule_id": CLAIM_WAITS_FOR_REGISTER.id,
                "message": [
                    f"waits for the {registers} register ({rules} fired); in doubt: "
                    + "; ".join(doubt.get(r, "")[:240] for r in registers.split(","))
                    + f"; decided again when it is accepted, at the latest on {until:%Y-%m-%d}"
                    for registers, rules, until in zip(
                        rows["registers"], rows["rule_ids"], deadline, strict=True
                    )
                ],
            }
        ),
        file_ids=file_ids,
    )
