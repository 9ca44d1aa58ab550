"""What `robots status` tells about the unattended nights: each scheduled robot's last and
next run, the periods that failed and are not yet made good, and what waits for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from robots.core.ledger import bank_answer_records, cases, periods, run_records
from robots.core.ledger.schema import PeriodStatus
from robots.operations.due import last_finished_of
from robots.operations.schedule_config import Schedule
from robots.operations.scheduler import finished_periods, job_label, trigger_of


@dataclass(frozen=True)
class JobStatus:
    label: str
    last_finished: str | None
    last_run: Any
    next_start: datetime
    failed: list[str]


@dataclass(frozen=True)
class OperationsStatus:
    jobs: list[JobStatus]
    open_cases: int
    open_cases_oere: int
    bank_rejections: int
    unmatched_answers: int


def operations_status(engine: Engine, schedule: Schedule, now: datetime) -> OperationsStatus:
    with engine.connect() as connection:
        jobs = []
        for job in schedule.jobs:
            next_start = trigger_of(job, schedule).get_next_fire_time(None, now)
            assert next_start is not None
            last = last_finished_of(job, finished_periods(connection, job.robot))
            failed = [
                str(p["period"])
                for p in periods.periods_of(
                    connection=connection, robot=job.robot, statuses=[PeriodStatus.FAILED]
                )
            ]
            jobs.append(
                JobStatus(
                    label=job_label(job),
                    last_finished=last,
                    last_run=run_records.last_run_of(connection=connection, robot=job.robot),
                    next_start=next_start,
                    failed=failed,
                )
            )
        open_count, open_oere = cases.open_totals(connection=connection)
        bank_count, _ = cases.open_totals(connection=connection, kanal="bank")
        unmatched = bank_answer_records.unmatched_count(connection=connection)
    return OperationsStatus(jobs, open_count, open_oere, bank_count, unmatched)
