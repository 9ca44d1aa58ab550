"""Exceptions and the claims that wait for a register.

Part of the ledger's API (see robots/core/ledger/__init__.py): functions take the
connection as a keyword argument, so the caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import Connection, func, select, update

from robots.core.ledger import bulk
from robots.core.ledger.schema import (
    ClaimException,
    WaitingClaim,
)


def exceptions_per_rule(*, connection: Connection, run_ids: Sequence[str]) -> dict[str, int]:
    """How many exceptions the runs recorded, per rule."""
    rows = connection.execute(
        select(ClaimException.rule_id, func.count())
        .where(ClaimException.run_id.in_(list(run_ids)))
        .group_by(ClaimException.rule_id)
        .order_by(ClaimException.rule_id)
    ).all()
    return {rule_id: int(count) for rule_id, count in rows}


def row_exceptions_of_run(
    *, connection: Connection, run_id: str, robot: str, about_earlier_claims: Sequence[str]
) -> pd.DataFrame:
    """A run's exceptions about rows that did not become its claims: rows it could not
    take (no claim), and rows that were an earlier claim again (`about_earlier_claims`)."""
    rules = list(about_earlier_claims)
    marks, rule_params = bulk.in_list("rule", rules, empty="''")
    return bulk.read_frame(
        connection=connection,
        sql=(
            "SELECT e.claim_ref, e.rule_id, e.message, f.file_name, e.source_line "
            "FROM exceptions e LEFT JOIN source_files f ON f.id = e.source_file_id "
            "WHERE e.run_id = :run_id AND e.robot = :robot AND e.source_line IS NOT NULL "
            f"AND (e.claim_pk IS NULL OR e.rule_id IN ({marks}))"
        ),
        columns=["claim_ref", "rule_id", "message", "file_name", "source_line"],
        params={
            "run_id": run_id,
            "robot": robot,
            **rule_params,
        },
    )


def open_waiting(*, connection: Connection, robot: str) -> pd.DataFrame:
    """The robot's claim rows still waiting for a register, with the file they came in."""
    return bulk.read_frame(
        connection=connection,
        sql=(
            "SELECT w.id, w.claim_ref, w.source_file_id, w.source_line, w.row_json, "
            "w.waits_for, w.since, f.file_name, f.stored_path, f.sha256, f.dataset "
            "FROM waiting_claims w LEFT JOIN source_files f ON f.id = w.source_file_id "
            "WHERE w.robot = :robot AND w.resolved_run_id IS NULL ORDER BY w.id"
        ),
        columns=[
            "id",
            "claim_ref",
            "source_file_id",
            "source_line",
            "row_json",
            "waits_for",
            "since",
            "file_name",
            "stored_path",
            "sha256",
            "dataset",
        ],
        params={"robot": robot},
    )


def park_waiting(*, connection: Connection, rows: pd.DataFrame) -> None:
    """Keep claim rows that wait for a register (columns of waiting_claims but id)."""
    if len(rows):
        bulk.bulk_insert(connection=connection, table="waiting_claims", frame=rows)


def resolve_waiting(*, connection: Connection, ids: Iterable[int], run_id: str) -> None:
    """Mark waiting rows decided by `run_id` (they are no longer read again)."""
    for chunk in bulk.chunks(sorted({int(i) for i in ids}), 1000):
        connection.execute(
            update(WaitingClaim)
            .where(WaitingClaim.id.in_(chunk), WaitingClaim.resolved_run_id.is_(None))
            .values(resolved_run_id=run_id)
        )
