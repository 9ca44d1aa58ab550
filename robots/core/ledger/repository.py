"""Reading and writing the ledger. Functions take the connection as a keyword argument,
so the caller decides the transaction (one per night's decisions, one per batch step).

Bulk paths go straight to the driver's `executemany` with plain tuples: a million claims
are one statement, not a million ORM objects. `ON CONFLICT (idempotency_key) DO NOTHING`
is spelled the same on SQLite and PostgreSQL, and is the last line of defence: even if
every check above it failed, a claim key cannot enter the ledger twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select, text, update

from robots.core.ledger.schema import (
    AuditEvent,
    Run,
    RunStatus,
    SourceFile,
)


def _placeholders(connection: Connection, count: int) -> str:
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def _native(column: pd.Series) -> list[Any]:
    """A column as Python values the DB drivers accept (no numpy scalars, NA -> None)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        text = column.dt.strftime("%Y-%m-%d").astype(object)
        return text.where(column.notna(), None).tolist()
    if pd.api.types.is_bool_dtype(column):
        return [bool(v) for v in column.to_numpy()]
    if pd.api.types.is_integer_dtype(column):
        values = column.astype(object).where(column.notna(), None).tolist()
        return [None if v is None else int(v) for v in values]
    return column.astype(object).where(column.notna(), None).tolist()


def bulk_insert(
    *,
    connection: Connection,
    table: str,
    frame: pd.DataFrame,
    on_conflict_do_nothing: Sequence[str] = (),
) -> None:
    """Insert every row of `frame` (column names = table columns) in one executemany."""
    if frame.empty:
        return
    columns = list(frame.columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_placeholders(connection, len(columns))})"
    if on_conflict_do_nothing:
        sql += f" ON CONFLICT ({', '.join(on_conflict_do_nothing)}) DO NOTHING"
    rows = list(zip(*(_native(frame[c]) for c in columns), strict=True))
    connection.exec_driver_sql(sql, rows)


def read_frame(*, connection: Connection, sql: str, columns: Sequence[str]) -> pd.DataFrame:
    """A query's rows as a frame, fetched as plain tuples through the driver's cursor.

    SQLAlchemy's Row objects cost more than the query itself at a million rows.
    """
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=list(columns))


def _lookup_via_temp_table(
    *, connection: Connection, values: Iterable[str], query: str
) -> list[tuple[Any, ...]]:
    """Join a set of keys against the ledger through a temporary table (one round trip)."""
    connection.exec_driver_sql("DROP TABLE IF EXISTS tmp_lookup")
    connection.exec_driver_sql("CREATE TEMPORARY TABLE tmp_lookup (k VARCHAR(120) PRIMARY KEY)")
    distinct = sorted(set(values))
    if distinct:
        connection.exec_driver_sql(
            f"INSERT INTO tmp_lookup (k) VALUES ({_placeholders(connection, 1)})",
            [(v,) for v in distinct],
        )
    rows = [tuple(r) for r in connection.exec_driver_sql(query).fetchall()]
    connection.exec_driver_sql("DROP TABLE tmp_lookup")
    return rows


def claims_already_known(*, connection: Connection, keys: Iterable[str]) -> pd.DataFrame:
    """Claims in the ledger with any of these idempotency keys."""
    rows = _lookup_via_temp_table(
        connection=connection,
        values=keys,
        query=(
            "SELECT c.idempotency_key, c.id, c.fingerprint, c.run_id, c.decision "
            "FROM claims c JOIN tmp_lookup t ON c.idempotency_key = t.k"
        ),
    )
    return pd.DataFrame(
        rows, columns=["idempotency_key", "claim_pk", "fingerprint", "run_id", "decision"]
    )


def bills_already_paid(
    *, connection: Connection, robot: str, fingerprints: Iterable[str]
) -> pd.DataFrame:
    """Claims decided for payment earlier with any of these fingerprints (the same bill)."""
    rows = _lookup_via_temp_table(
        connection=connection,
        values=fingerprints,
        query=(
            "SELECT c.fingerprint, MIN(c.claim_id), MIN(c.run_id) FROM claims c "
            "JOIN tmp_lookup t ON c.fingerprint = t.k "
            f"WHERE c.robot = '{robot}' AND c.decision = 'pay' GROUP BY c.fingerprint"
        ),
    )
    return pd.DataFrame(rows, columns=["fingerprint", "claim_id", "run_id"])


LOOKUP_COLUMNS = frozenset({"fingerprint", "bill_key", "document_key"})
"""Ledger columns a robot may look claims up by (names, never input, go into the SQL)."""


def paid_by_key(
    *, connection: Connection, robot: str, column: str, keys: Iterable[str]
) -> pd.DataFrame:
    """Per key: the first claim decided 'pay' with that value in `column`, and their sum."""
    if column not in LOOKUP_COLUMNS:
        raise ValueError(f"claims cannot be looked up by {column!r}")
    connection.exec_driver_sql("DROP TABLE IF EXISTS tmp_lookup")
    connection.exec_driver_sql("CREATE TEMPORARY TABLE tmp_lookup (k VARCHAR(120) PRIMARY KEY)")
    distinct = sorted({str(k) for k in keys})
    if distinct:
        connection.exec_driver_sql(
            f"INSERT INTO tmp_lookup (k) VALUES ({_placeholders(connection, 1)})",
            [(v,) for v in distinct],
        )
    rows = connection.execute(
        text(
            f"SELECT c.{column}, MIN(c.claim_id), SUM(c.amount_oere) FROM claims c "
            f"JOIN tmp_lookup t ON c.{column} = t.k "
            f"WHERE c.robot = :robot AND c.decision = 'pay' GROUP BY c.{column}"
        ),
        {"robot": robot},
    ).fetchall()
    connection.exec_driver_sql("DROP TABLE tmp_lookup")
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["key", "claim_id", "amount_oere"])
    frame["amount_oere"] = frame["amount_oere"].astype("Int64")
    return frame


def claim_pks(*, connection: Connection, keys: Iterable[str]) -> dict[str, int]:
    """Idempotency key -> claim primary key, for linking exceptions to claims."""
    rows = _lookup_via_temp_table(
        connection=connection,
        values=keys,
        query="SELECT c.idempotency_key, c.id FROM claims c JOIN tmp_lookup t ON c.idempotency_key = t.k",
    )
    return {k: int(v) for k, v in rows}


def start_run(
    *, connection: Connection, run_id: str, robot: str, night: date, mode: str, at: datetime
) -> None:
    """Record a run as started; any earlier run of the robot still 'running' was killed."""
    connection.execute(
        update(Run)
        .where(Run.robot == robot, Run.status == RunStatus.RUNNING)
        .values(status=RunStatus.INTERRUPTED, finished_at=at)
    )
    connection.execute(
        Run.__table__.insert().values(
            id=run_id, robot=robot, night=night, mode=mode, status=RunStatus.RUNNING, started_at=at
        )
    )


def finish_run(
    *,
    connection: Connection,
    run_id: str,
    status: RunStatus,
    at: datetime,
    report_path: str | None,
    summary: dict[str, Any] | None,
) -> None:
    """Close a run with its outcome and where its report is."""
    connection.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(
            status=status,
            finished_at=at,
            report_path=report_path,
            summary=json.dumps(summary, default=str) if summary is not None else None,
        )
    )


def file_is_known(*, connection: Connection, sha256: str) -> bool:
    """Whether a file with this content was processed or quarantined before."""
    return (
        connection.execute(select(SourceFile.id).where(SourceFile.sha256 == sha256)).first()
        is not None
    )


def known_files(*, connection: Connection, sha256s: Iterable[str]) -> set[str]:
    """Which of these contents were processed or quarantined before (one query)."""
    wanted = sorted(set(sha256s))
    if not wanted:
        return set()
    rows = connection.execute(
        select(SourceFile.sha256).where(SourceFile.sha256.in_(wanted))
    ).scalars()
    return set(rows)


def record_file(*, connection: Connection, **values: Any) -> int:
    """Record a source file and return its id."""
    result = connection.execute(SourceFile.__table__.insert().values(**values))
    return int(result.inserted_primary_key[0])


def robot_event(
    *,
    connection: Connection,
    robot: str,
    run_id: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: str | None = None,
) -> None:
    """An audit event written by a robot (now, by `robot:<name>`, in its run)."""
    from robots.core import dates

    audit(
        connection=connection,
        at=dates.now(),
        actor=f"robot:{robot}",
        action=action,
        entity=entity,
        entity_id=entity_id,
        run_id=run_id,
        detail=detail,
    )


def audit(
    *,
    connection: Connection,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    run_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one audit event (never updated, never deleted)."""
    connection.execute(
        AuditEvent.__table__.insert().values(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            run_id=run_id,
            detail=detail,
        )
    )
