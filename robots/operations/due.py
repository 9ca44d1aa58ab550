"""Which periods a job owes: its fire times, and the missed ones a start must catch up.

Pure (dates in, periods out), so the daylight-saving nights and a machine down for days
are tested with a fake clock and no scheduler. A nightly job's period is its night, the
Copenhagen date it fires on (`2026-11-23`); a monthly job's is its month (`2026-11`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from robots.operations.schedule_config import Job, Schedule


@dataclass(frozen=True, order=True)
class Due:
    """One period of one job, and when it was (or is) meant to start."""

    fires_at: datetime
    robot: str
    night: date
    period: str


def last_finished_of(job: Job, finished: list[str]) -> str | None:
    """The job's latest finished period among the robot's finished ones: a monthly job
    counts only months (a night run by hand is not the month's run), a nightly one only
    nights."""
    own = [p for p in finished if (len(p) == 7) == (job.every == "month")]
    return max(own, default=None)


def period_of(job: Job, night: date) -> str:
    return night.isoformat() if job.every == "night" else f"{night:%Y-%m}"


def fire_time(job: Job, night: date, schedule: Schedule) -> datetime:
    """When the job fires on `night`, in the schedule's zone (never in the DST hour)."""
    return datetime.combine(night, job.at, tzinfo=schedule.zone)


def fires_between(job: Job, schedule: Schedule, start: date, now: datetime) -> list[Due]:
    """Every time the job was meant to fire from `start` up to `now`, oldest first."""
    nights: list[date] = []
    day = start
    while day <= now.astimezone(schedule.zone).date():
        if job.every == "night" or day.day == job.day:
            nights.append(day)
        day += timedelta(days=1)
    return [
        Due(fire_time(job, night, schedule), job.robot, night, period_of(job, night))
        for night in nights
        if fire_time(job, night, schedule) <= now
    ]


def missed(job: Job, schedule: Schedule, *, now: datetime, last_finished: str | None) -> list[Due]:
    """The periods to catch up on start, oldest first: each fire since the robot's last
    finished period, within the look-back of config/schedule.toml [catch_up], less the
    nights skipped on purpose. A robot that never finished a period owes only its latest
    fire (a new installation does not replay the week before it)."""
    today = now.astimezone(schedule.zone).date()
    if job.every == "night":
        start = today - timedelta(days=schedule.catch_up.nights_back)
    else:
        start = _months_before(today.replace(day=1), schedule.catch_up.months_back)
    fires = [
        due
        for due in fires_between(job, schedule, start, now)
        if due.night not in schedule.catch_up.skip_nights
    ]
    if last_finished is None:
        return fires[-1:]
    return [due for due in fires if due.period > last_finished]


def _months_before(first_of_month: date, months: int) -> date:
    year, month = divmod(first_of_month.year * 12 + first_of_month.month - 1 - months, 12)
    return date(year, month + 1, 1)


def catch_up_order(owed: list[list[Due]]) -> list[Due]:
    """Every job's missed periods in one list, in the order they were meant to run."""
    return sorted(due for dues in owed for due in dues)
