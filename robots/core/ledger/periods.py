"""The periods each robot works on (a night, a month) and how far each one got.

A run is of one robot for one period. The first run of a period opens it, a run that ends
well finishes it, a run that fails marks it failed; a run killed outright leaves it
'running' until the next run of that period takes it up. So the ledger answers "which
periods ran, which finished, which failed" without reading the runs' reports, and the
scheduler (which catches missed periods up) asks it instead of guessing from dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select, update

from robots.core.ledger.schema import Period, PeriodStatus, Run


def night_period(night: date) -> str:
    """The period of a nightly robot's run: its night (`2026-11-23`)."""
    return night.isoformat()


def is_month(period: str) -> bool:
    """Whether a period is a month (`YYYY-MM`), not a night (`YYYY-MM-DD`)."""
    return (
        len(period) == 7
        and period[4] == "-"
        and period[:4].isdigit()
        and period[5:].isdigit()
        and 1 <= int(period[5:]) <= 12
    )


def begin_period(
    *, connection: Connection, robot: str, period: str, run_id: str, at: datetime
) -> None:
    """Record that `run_id` works on the robot's period (opening it, or taking it up again
    after a run that failed or was killed; a finished period run again is running again)."""
    connection.execute(update(Run).where(Run.id == run_id).values(period=period))
    known = connection.execute(
        update(Period)
        .where(Period.robot == robot, Period.period == period)
        .values(
            status=PeriodStatus.RUNNING,
            last_run_id=run_id,
            runs=Period.runs + 1,
            finished_at=None,
        )
    ).rowcount
    if not known:
        connection.execute(
            insert(Period).values(
                robot=robot,
                period=period,
                status=PeriodStatus.RUNNING,
                first_run_id=run_id,
                last_run_id=run_id,
                runs=1,
                started_at=at,
            )
        )


def end_period(
    *, connection: Connection, robot: str, period: str, run_id: str, ok: bool, at: datetime
) -> None:
    """The period finished (the run ended well) or failed; a run that no longer is the
    period's last (another took it up meanwhile) changes nothing."""
    connection.execute(
        update(Period)
        .where(Period.robot == robot, Period.period == period, Period.last_run_id == run_id)
        .values(status=PeriodStatus.FINISHED if ok else PeriodStatus.FAILED, finished_at=at)
    )


def periods_of(
    *, connection: Connection, robot: str, statuses: Sequence[PeriodStatus] | None = None
) -> list[dict[str, object]]:
    """The robot's periods, oldest first: period, status, first and last run, runs taken."""
    query = select(
        Period.period,
        Period.status,
        Period.first_run_id,
        Period.last_run_id,
        Period.runs,
        Period.started_at,
        Period.finished_at,
    ).where(Period.robot == robot)
    if statuses:
        query = query.where(Period.status.in_(list(statuses)))
    return [dict(row) for row in connection.execute(query.order_by(Period.period)).mappings()]


def last_finished(*, connection: Connection, robot: str) -> str | None:
    """The robot's latest finished period, or None."""
    return connection.execute(
        select(func.max(Period.period)).where(
            Period.robot == robot, Period.status == PeriodStatus.FINISHED
        )
    ).scalar_one_or_none()
