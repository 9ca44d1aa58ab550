"""Runs: started, finished, killed, and which run reported which.

Part of the ledger's API (see robots/core/ledger/__init__.py): functions take the
connection as a keyword argument, so the caller decides the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from robots.core.ledger.schema import (
    Run,
    RunStatus,
)


def unreported_runs(*, connection: Connection, robot: str, besides: str) -> list[str]:
    """Runs of the robot that ended without a report (killed, or failed) after recording
    decisions, and that no later run has reported yet: oldest first."""
    rows = connection.execute(
        text(
            "SELECT r.id FROM runs r WHERE r.robot = :robot AND r.id <> :besides "
            "AND r.status IN ('interrupted', 'failed') AND r.report_path IS NULL "
            "AND r.finished_by IS NULL AND ("
            "EXISTS (SELECT 1 FROM claims c WHERE c.run_id = r.id) OR "
            "EXISTS (SELECT 1 FROM exceptions e WHERE e.run_id = r.id AND e.robot = :robot)"
            ") ORDER BY r.started_at"
        ),
        {"robot": robot, "besides": besides},
    ).scalars()
    return list(rows)


def mark_finished_by(*, connection: Connection, run_ids: Iterable[str], by: str) -> None:
    """Name the run that reported these runs' decisions (they are not reported again)."""
    ids = list(run_ids)
    if ids:
        connection.execute(update(Run).where(Run.id.in_(ids)).values(finished_by=by))


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
        insert(Run).values(
            id=run_id, robot=robot, night=night, mode=mode, status=RunStatus.RUNNING, started_at=at
        )
    )


def run_by_id(*, connection: Connection, run_id: str) -> Any:
    """One run's row (id, robot, night, status, report_path, ...), or None."""
    return connection.execute(select(Run.__table__).where(Run.id == run_id)).first()


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


def recent_runs(*, connection: Connection, limit: int) -> list[Any]:
    """The latest runs of every robot, newest first (each row: id, robot, night, period,
    status, started_at, finished_at, report_path, summary, ...)."""
    return list(
        connection.execute(select(Run.__table__).order_by(Run.started_at.desc()).limit(limit)).all()
    )


def runs_since(*, connection: Connection, since: datetime) -> list[Any]:
    """The runs started at or after `since`, oldest first (what a night's summary tells)."""
    return list(
        connection.execute(
            select(Run.__table__).where(Run.started_at >= since).order_by(Run.started_at)
        ).all()
    )


def last_run_of(*, connection: Connection, robot: str) -> Any:
    """The robot's latest run (by start), or None."""
    return connection.execute(
        select(Run.__table__)
        .where(Run.robot == robot)
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    ).first()


def summary_of_row(row: Any) -> dict[str, Any]:
    """A run row's stored headline figures ({} for a run that failed before it had any)."""
    try:
        value = json.loads(row.summary) if row.summary else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
