"""`robots schedule`: the robots run unattended, each period once, missed ones caught up.

One long-running process with APScheduler 3.x in Copenhagen time. Its job store is in
memory and its own (a store shared between two schedulers runs each job twice), and a
second scheduler on the same ledger is refused by a lock in the ledger itself (an advisory
lock on PostgreSQL, a file lock beside SQLite). Each job coalesces (a backlog runs once),
runs one instance at a time, and has an explicit misfire grace: APScheduler's default of
one second silently skips a job that starts late. No job starts in the hour daylight
saving skips or repeats (schedule_config refuses it).

Every run is a child process (launching.py). A technical failure is tried again after
each pause of [retry]; one that needs a person is not. Either way people are told, and the
morning summary tells what ran and what waits. A run is a period in the ledger, so a
start first catches up, in order, every period missed since each robot's last finished one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Connection

from robots.core import dates
from robots.core.failures import FailureKind
from robots.core.ledger import cases, periods, run_records
from robots.core.ledger.database import open_ledger
from robots.core.ledger.run_locks import robot_lock
from robots.core.ledger.schema import PeriodStatus
from robots.core.settings import Settings
from robots.operations.due import Due, catch_up_order, last_finished_of, missed, period_of
from robots.operations.launching import Launched, launch_run
from robots.operations.log_retention import prune_logs
from robots.operations.night_summary import RunLine, Waiting, alert_text, summary_text
from robots.operations.notify import send_alert, send_summary
from robots.operations.schedule_config import Job, Schedule

logger = logging.getLogger(__name__)

SCHEDULER_LOCK = "scheduler"
"""The name of the ledger lock one scheduler holds while it runs."""

Launcher = Callable[..., Launched]


@dataclass
class NightOperations:
    """What the scheduler does at each job's time, apart from APScheduler, so the tests
    drive it with a fake clock, a fake launcher and a real ledger."""

    settings: Settings
    schedule: Schedule
    launcher: Launcher = launch_run
    now: Callable[[], datetime] = dates.now
    stopping: threading.Event = field(default_factory=threading.Event)
    last_summary_at: datetime | None = None

    def run_period(self, due: Due) -> list[Launched]:
        """Run one robot's period; try a technical failure again after each pause."""
        job = self._job(due.robot)
        attempts: list[Launched] = []
        pauses = list(self.schedule.retry.pauses_minutes)
        while True:
            launched = self.launcher(
                due.robot,
                settings=self.settings,
                night=due.night,
                period=due.period if job.every == "month" else None,
                month_alone=False,
                timeout_seconds=self.schedule.retry.run_timeout_minutes * 60,
            )
            attempts.append(launched)
            failure = launched.failure
            if launched.ok or failure is None:
                return attempts
            if failure.kind is FailureKind.LOCKED:
                logger.warning("%s %s: %s", due.robot, due.period, failure.reason)
                return attempts
            retry_at = None
            if failure.kind is FailureKind.TECHNICAL and pauses:
                retry_at = self.now() + timedelta(minutes=pauses[0])
            subject, body = alert_text(
                due.robot,
                due.period,
                launched.run_id,
                "technical" if failure.kind is FailureKind.TECHNICAL else "business",
                f"{failure.reason} (attempt {len(attempts)}; log: {launched.log_dir})",
                retry_at=retry_at,
            )
            send_alert(self.settings, subject, body, now=self.now())
            if retry_at is None:
                return attempts
            if self.stopping.wait(pauses.pop(0) * 60):
                return attempts  # the scheduler is stopping: the next start catches up

    def run_job(self, robot: str) -> None:
        """APScheduler's job: the period of this moment, then anything it left behind."""
        job = self._job(robot)
        night = self.now().astimezone(self.schedule.zone).date()
        self.run_period(Due(self.now(), robot, night, period_of(job, night)))

    def owed(self) -> list[Due]:
        """Every period missed since each robot's last finished one, oldest first."""
        engine = open_ledger(self.settings.ledger_url)
        try:
            with engine.connect() as connection:
                last = {
                    job.robot: last_finished_of(job, finished_periods(connection, job.robot))
                    for job in self.schedule.jobs
                }
        finally:
            engine.dispose()
        now = self.now()
        return catch_up_order(
            [
                missed(job, self.schedule, now=now, last_finished=last[job.robot])
                for job in self.schedule.jobs
            ]
        )

    def catch_up(self) -> list[Launched]:
        """Run every missed period in order; a period that fails for good stops its own
        robot's catch-up (its later periods wait for it), not the other robots'."""
        stuck: set[str] = set()
        launched: list[Launched] = []
        for due in self.owed():
            if due.robot in stuck or self.stopping.is_set():
                continue
            attempts = self.run_period(due)
            launched += attempts
            if not attempts[-1].ok:
                stuck.add(due.robot)
        return launched

    def morning(self) -> None:
        """The summary of the runs since the last one, and old logs pruned."""
        now = self.now()
        since = self.last_summary_at or now - timedelta(days=1)
        runs, waiting = night_facts(self.settings, since)
        subject, body = summary_text(now.astimezone(self.schedule.zone).date(), runs, waiting)
        send_summary(self.settings, subject, body, now=now)
        self.last_summary_at = now
        prune_logs(self.settings.logs_dir, self.settings.logs_keep_days, now)

    def _job(self, robot: str) -> Job:
        return next(job for job in self.schedule.jobs if job.robot == robot)


def finished_periods(connection: Connection, robot: str) -> list[str]:
    return [
        str(p["period"])
        for p in periods.periods_of(
            connection=connection, robot=robot, statuses=[PeriodStatus.FINISHED]
        )
    ]


def night_facts(settings: Settings, since: datetime) -> tuple[list[RunLine], Waiting]:
    """The runs started since `since`, and what waits for people now, from the ledger."""
    engine = open_ledger(settings.ledger_url)
    try:
        with engine.connect() as connection:
            rows = run_records.runs_since(connection=connection, since=since)
            open_count, open_oere = cases.open_totals(connection=connection)
            bank_count, _ = cases.open_totals(connection=connection, kanal="bank")
    finally:
        engine.dispose()
    lines = []
    for row in rows:
        summary = run_records.summary_of_row(row)
        counts = summary.get("counts", {})
        lines.append(
            RunLine(
                robot=row.robot,
                period=row.period or row.night.isoformat(),
                run_id=row.id,
                status="finished" if row.status == "completed" else "failed",
                paid=int(counts.get("paid", 0)),
                held=int(counts.get("held", 0)),
                rejected=int(counts.get("rejected", 0)),
                data_errors=int(counts.get("data_error", 0)),
                paid_oere=int(summary.get("paid_oere", 0)),
            )
        )
    return lines, Waiting(open_count, open_oere, bank_count)


def trigger_of(job: Job, schedule: Schedule) -> CronTrigger:
    if job.every == "night":
        return CronTrigger(hour=job.at.hour, minute=job.at.minute, timezone=schedule.zone)
    return CronTrigger(day=job.day, hour=job.at.hour, minute=job.at.minute, timezone=schedule.zone)


def summary_trigger(schedule: Schedule) -> CronTrigger:
    return CronTrigger(
        hour=schedule.summary_at.hour, minute=schedule.summary_at.minute, timezone=schedule.zone
    )


def add_jobs(scheduler: BaseScheduler, operations: NightOperations) -> None:
    """Each robot's job and the morning summary, with the guards APScheduler needs."""
    options: dict[str, Any] = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": operations.schedule.misfire_grace_minutes * 60,
        "replace_existing": True,
    }
    for job in operations.schedule.jobs:
        scheduler.add_job(
            operations.run_job,
            trigger_of(job, operations.schedule),
            args=[job.robot],
            id=job.robot,
            name=job_label(job),
            **options,
        )
    scheduler.add_job(
        operations.morning,
        summary_trigger(operations.schedule),
        id="summary",
        name=f"morning summary and log pruning (at {operations.schedule.summary_at:%H:%M})",
        **options,
    )


def job_label(job: Job) -> str:
    """`helbredstillaeg (nightly at 01:00)`, `fleksloentilskud (monthly, day 11 at 03:30)`."""
    label = "nightly" if job.every == "night" else f"monthly, day {job.day}"
    return f"{job.robot} ({label} at {job.at:%H:%M})"


@dataclass(frozen=True)
class Planned:
    name: str
    next_run: datetime


def next_runs(schedule: Schedule, now: datetime) -> list[Planned]:
    """Every job with its next start after `now`, soonest first (`robots schedule --list`)."""
    planned = []
    for job in schedule.jobs:
        fire = trigger_of(job, schedule).get_next_fire_time(None, now)
        assert fire is not None
        planned.append(Planned(job_label(job), fire))
    fire = summary_trigger(schedule).get_next_fire_time(None, now)
    assert fire is not None
    planned.append(Planned(f"morning summary (at {schedule.summary_at:%H:%M})", fire))
    return sorted(planned, key=lambda p: p.next_run)


def serve(settings: Settings, schedule: Schedule, *, on_start: Callable[[str], None]) -> None:
    """Hold the scheduler lock, catch up, then run the jobs until stopped (SIGTERM/Ctrl-C).

    A stop waits for the run in progress to end (systemd's TimeoutStopSec allows for it);
    a run cut off anyway is safe: its period is taken up again at the next start.
    """
    engine = open_ledger(settings.ledger_url)
    try:
        with robot_lock(engine, SCHEDULER_LOCK):
            operations = NightOperations(settings=settings, schedule=schedule)
            scheduler = BlockingScheduler(
                timezone=schedule.zone,
                executors={"default": ThreadPoolExecutor(max_workers=1)},
            )
            add_jobs(scheduler, operations)
            owed = operations.owed()
            on_start(
                f"catching up {len(owed)} missed period(s): "
                + ", ".join(f"{d.robot} {d.period}" for d in owed)
                if owed
                else "nothing missed to catch up"
            )
            operations.catch_up()
            _stop_on_signals(scheduler, operations)
            on_start(
                "scheduler started; next: "
                + ", ".join(
                    f"{p.name} {p.next_run:%Y-%m-%d %H:%M}"
                    for p in next_runs(schedule, dates.now())[:3]
                )
            )
            scheduler.start()
    finally:
        engine.dispose()


def _stop_on_signals(scheduler: BlockingScheduler, operations: NightOperations) -> None:
    import signal

    def stop(signum: int, frame: object) -> None:
        operations.stopping.set()
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
