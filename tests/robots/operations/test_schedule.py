"""The schedule: its config refused when unsafe, its jobs on the daylight-saving nights,
the periods a start catches up, and how a failed run is tried again (or not).

A fake clock and a fake launcher stand in for time and for the robots; the runs
themselves are the fault suite's (test_faults.py).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from robots.core.errors import ConfigError
from robots.core.failures import Failure, FailureKind
from robots.core.settings import Settings
from robots.operations.due import Due, catch_up_order, missed
from robots.operations.launching import Launched
from robots.operations.schedule_config import Job, Schedule, load_schedule
from robots.operations.scheduler import NightOperations, add_jobs, next_runs, trigger_of
from robots.registry import ROBOTS

CPH = ZoneInfo("Europe/Copenhagen")


def _schedule(**changes: object) -> Schedule:
    base: dict[str, object] = {
        "jobs": [
            {"robot": "helbredstillaeg", "every": "night", "at": "01:00"},
            {"robot": "laegeregninger", "every": "night", "at": "03:30"},
            {"robot": "fleksloentilskud", "every": "month", "day": 11, "at": "04:00"},
        ],
        "retry": {"pauses_minutes": [0, 0], "run_timeout_minutes": 5},
    }
    base.update(changes)
    return Schedule.model_validate(base)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_schedule_names_every_robot_once_and_loads() -> None:
    schedule = load_schedule(robots=frozenset(ROBOTS))
    assert sorted(job.robot for job in schedule.jobs) == sorted(ROBOTS)
    assert all(job.at.hour != 2 for job in schedule.jobs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[jobs]]\nrobot = "helbredstillaeg"\nevery = "night"\nat = "02:30"\n', "02:00 and 03:00"),
        ('[[jobs]]\nrobot = "helbredstillaeg"\nevery = "night"\nat = "2.30"\n', "not a time"),
        ('[[jobs]]\nrobot = "nobody"\nevery = "night"\nat = "01:00"\n', "no robot named 'nobody'"),
        ('[[jobs]]\nrobot = "helbredstillaeg"\nevery = "month"\nat = "01:00"\n', "needs day"),
        ('[[jobs]]\nrobot = "helbredstillaeg"\nevery = "week"\nat = "01:00"\n', "jobs.0.every"),
        ("jobs = [\n", "not valid TOML"),
        (
            '[[jobs]]\nrobot = "helbredstillaeg"\nevery = "night"\nat = "01:00"\n'
            '[[jobs]]\nrobot = "helbredstillaeg"\nevery = "night"\nat = "04:00"\n',
            "more than one job",
        ),
        ('timezone = "Europe/Kobenhavn"\njobs = []\n', "not a known time zone"),
    ],
)
def test_an_unsafe_or_wrong_schedule_is_refused_in_one_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_schedule(_write(tmp_path, text), robots=frozenset(ROBOTS))
    assert str(tmp_path / "schedule.toml") in info.value.message
    assert "\n" not in info.value.message


def _fires(job: Job, schedule: Schedule, start: datetime, count: int) -> list[datetime]:
    trigger = trigger_of(job, schedule)
    fires: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire)
        previous, now = fire, fire + timedelta(microseconds=1)
    return fires


@pytest.mark.parametrize(
    ("night", "gap_hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)],
    ids=["spring", "autumn"],
)
def test_on_the_daylight_saving_nights_each_job_fires_once_at_its_own_time(
    night: date, gap_hours: int
) -> None:
    """The nights the clocks go forward and back: a job before and one after the hour that
    is skipped or repeated each fire exactly once, at their wall-clock time."""
    schedule = _schedule()
    start = datetime.combine(night - timedelta(days=1), time(12), tzinfo=CPH)
    for job in schedule.jobs[:2]:
        fires = _fires(job, schedule, start, 3)
        local = [f.astimezone(CPH) for f in fires]
        assert [f.date() for f in local] == [night + timedelta(days=n) for n in range(3)]
        assert {(f.hour, f.minute) for f in local} == {(job.at.hour, job.at.minute)}
        gaps = {(b - a) / timedelta(hours=1) for a, b in itertools.pairwise(fires)}
        # The night before to the night itself (01:00) is a normal day; across 02:00-03:00
        # the day is 23 or 25 hours: for the 03:30 job the shift falls in its first gap.
        assert gaps <= {24.0, float(gap_hours)}


def test_the_jobs_carry_coalescing_one_instance_and_an_explicit_misfire_grace() -> None:
    schedule = _schedule(misfire_grace_minutes=90)
    scheduler = BackgroundScheduler(timezone=CPH)
    operations = NightOperations(settings=Settings(), schedule=schedule)
    add_jobs(scheduler, operations)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"helbredstillaeg", "laegeregninger", "fleksloentilskud", "summary"}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == 90 * 60


def test_next_runs_lists_every_job_soonest_first() -> None:
    now = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 00:30 on the 7th in Copenhagen
    planned = next_runs(_schedule(), now)
    assert [p.name.split(" ")[0] for p in planned] == [
        "helbredstillaeg",
        "laegeregninger",
        "morning",
        "fleksloentilskud",
    ]
    assert planned[0].next_run == datetime(2026, 12, 7, 1, 0, tzinfo=CPH)
    assert planned[-1].next_run == datetime(2026, 12, 11, 4, 0, tzinfo=CPH)


def test_a_machine_down_for_three_nights_catches_them_up_in_order() -> None:
    schedule = _schedule()
    now = datetime(2026, 12, 10, 9, 0, tzinfo=CPH)
    owed = catch_up_order(
        [
            missed(schedule.jobs[0], schedule, now=now, last_finished="2026-12-06"),
            missed(schedule.jobs[1], schedule, now=now, last_finished="2026-12-06"),
        ]
    )
    assert [(d.robot, d.period) for d in owed] == [
        ("helbredstillaeg", "2026-12-07"),
        ("laegeregninger", "2026-12-07"),
        ("helbredstillaeg", "2026-12-08"),
        ("laegeregninger", "2026-12-08"),
        ("helbredstillaeg", "2026-12-09"),
        ("laegeregninger", "2026-12-09"),
        ("helbredstillaeg", "2026-12-10"),
        ("laegeregninger", "2026-12-10"),
    ]


def test_catch_up_keeps_to_its_look_back_its_skipped_nights_and_what_is_due() -> None:
    schedule = _schedule(
        catch_up={"nights_back": 2, "months_back": 1, "skip_nights": ["2026-12-09"]}
    )
    nightly, monthly = schedule.jobs[0], schedule.jobs[2]
    at_0030 = datetime(2026, 12, 10, 0, 30, tzinfo=CPH)  # before tonight's 01:00
    assert [
        d.period for d in missed(nightly, schedule, now=at_0030, last_finished="2026-11-01")
    ] == ["2026-12-08"]
    assert missed(nightly, schedule, now=at_0030, last_finished=None)[-1].period == "2026-12-08"
    assert len(missed(nightly, schedule, now=at_0030, last_finished=None)) == 1
    assert missed(nightly, schedule, now=at_0030, last_finished="2026-12-08") == []
    at_noon = datetime(2026, 12, 12, 12, 0, tzinfo=CPH)
    assert [d.period for d in missed(monthly, schedule, now=at_noon, last_finished="2026-10")] == [
        "2026-11",
        "2026-12",
    ]
    assert missed(monthly, schedule, now=at_noon, last_finished="2026-12") == []
    before = datetime(2026, 12, 11, 3, 59, tzinfo=CPH)
    assert [d.period for d in missed(monthly, schedule, now=before, last_finished="2026-10")] == [
        "2026-11"
    ]


class _Launcher:
    """Answers each launch with the next outcome: 'ok', or a failure kind."""

    def __init__(self, outcomes: list[str]) -> None:
        self.outcomes = outcomes
        self.calls: list[dict[str, object]] = []

    def __call__(self, name: str, **options: object) -> Launched:
        self.calls.append({"robot": name, **options})
        outcome = self.outcomes.pop(0)
        failure = None if outcome == "ok" else Failure(FailureKind(outcome), f"{outcome} fault")
        night = options["night"]
        assert isinstance(night, date)
        return Launched(
            name,
            f"R{len(self.calls)}",
            night,
            None,
            0 if outcome == "ok" else 1,
            Path("l"),
            failure,
        )


def _operations(tmp_path: Path, launcher: _Launcher, schedule: Schedule) -> NightOperations:
    settings = Settings(data_dir=tmp_path / "data", logs_dir=tmp_path / "logs")
    return NightOperations(
        settings=settings,
        schedule=schedule,
        launcher=launcher,
        now=lambda: datetime(2026, 12, 7, 1, 0, tzinfo=CPH),
    )


def _alerts(tmp_path: Path) -> list[str]:
    folder = tmp_path / "logs" / "notifications"
    return sorted(p.read_text(encoding="utf-8") for p in folder.glob("*alert*"))


DUE = Due(
    datetime(2026, 12, 7, 1, 0, tzinfo=CPH), "helbredstillaeg", date(2026, 12, 7), "2026-12-07"
)


def test_a_technical_failure_is_tried_again_until_it_passes(tmp_path: Path) -> None:
    launcher = _Launcher(["technical", "technical", "ok"])
    attempts = _operations(tmp_path, launcher, _schedule()).run_period(DUE)
    assert [a.ok for a in attempts] == [False, False, True]
    assert all(call["night"] == date(2026, 12, 7) for call in launcher.calls)
    alerts = _alerts(tmp_path)
    assert len(alerts) == 2 and all("retried" in a.lower() for a in alerts)


def test_retries_used_up_leave_the_period_failed_and_say_so(tmp_path: Path) -> None:
    launcher = _Launcher(["technical"] * 3)
    attempts = _operations(tmp_path, launcher, _schedule()).run_period(DUE)
    assert len(attempts) == 3 and not attempts[-1].ok
    assert launcher.outcomes == []
    alerts = _alerts(tmp_path)
    assert len(alerts) == 3
    assert sum("retried at" in a for a in alerts) == 2
    assert any("retries" in a.lower() and "retried at" not in a for a in alerts)


def test_a_failure_that_needs_a_person_is_not_retried(tmp_path: Path) -> None:
    launcher = _Launcher(["needs_person", "ok"])
    attempts = _operations(tmp_path, launcher, _schedule()).run_period(DUE)
    assert len(attempts) == 1 and launcher.outcomes == ["ok"]
    assert len(_alerts(tmp_path)) == 1


def test_a_robot_already_running_elsewhere_is_left_to_that_run(tmp_path: Path) -> None:
    launcher = _Launcher(["locked", "ok"])
    attempts = _operations(tmp_path, launcher, _schedule()).run_period(DUE)
    assert len(attempts) == 1 and _alerts(tmp_path) == []


def test_a_monthly_job_runs_as_its_month_with_corrections_and_a_nightly_one_as_its_night(
    tmp_path: Path,
) -> None:
    launcher = _Launcher(["ok", "ok"])
    operations = _operations(tmp_path, launcher, _schedule())
    operations.run_job("fleksloentilskud")
    operations.run_job("helbredstillaeg")
    assert launcher.calls[0]["period"] == "2026-12" and launcher.calls[0]["month_alone"] is False
    assert launcher.calls[1]["period"] is None and launcher.calls[1]["night"] == date(2026, 12, 7)
