"""The fault suite: the nightly robots under the faults an unattended night meets, each
driven through the scheduler's own logic (NightOperations: real `robots` child processes,
real retries) and each ending with the ledger audited (tests/faultkit.py): nothing lost,
nothing paid twice, the payment files equal to the ledger. On SQLite, and on PostgreSQL
in CI.

The faults: a run killed (SIGKILL) at a step and retried; the database unreachable at
start and lost mid-run (PostgreSQL behind a proxy that refuses and cuts connections, which
is what its driver sees when the server stops and starts); the disk full while the payment
file is written; a truncated file and a file still being copied in; the same file twice;
two schedulers at once; the daylight-saving nights; a machine down for three nights.
Killing at every one of the nine steps is tests/robots/core/pipeline/test_kill_and_rerun.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from faultkit import DatabaseProxy, audit_ledger
from nightdata import CLAIMS_HEADER, NIGHT_CLAIMS, PAID_OERE, write_inbox
from sqlalchemy import create_engine, text

from robots.core.failures import FailureKind
from robots.core.settings import Settings, clear_settings_cache
from robots.operations.due import Due
from robots.operations.launching import Launched, launch_run
from robots.operations.schedule_config import Schedule
from robots.operations.scheduler import NightOperations

pytestmark = pytest.mark.slow

CPH = ZoneInfo("Europe/Copenhagen")
NIGHT = date(2026, 11, 23)


def _schedule() -> Schedule:
    return Schedule.model_validate(
        {
            "jobs": [{"robot": "helbredstillaeg", "every": "night", "at": "01:00"}],
            "retry": {"pauses_minutes": [0, 0], "run_timeout_minutes": 5},
        }
    )


def _settings(tmp_path: Path, url: str | None) -> Settings:
    clear_settings_cache()
    return Settings(
        data_dir=tmp_path / "data", mode="demo", database_url=url, logs_dir=tmp_path / "logs"
    )


def _ledger_url(settings: Settings) -> str:
    return settings.ledger_url.replace("postgresql+psycopg://", "postgresql://", 1)


class _Launches:
    """The real launcher, with something done before each attempt (a fault set or lifted)."""

    def __init__(self, before: Callable[[int], None] | None = None) -> None:
        self.before = before
        self.attempts: list[Launched] = []

    def __call__(self, name: str, **options: object) -> Launched:
        if self.before is not None:
            self.before(len(self.attempts))
        launched = launch_run(name, **options)  # type: ignore[arg-type]
        self.attempts.append(launched)
        return launched


def _operations(
    settings: Settings, launches: Callable[..., Launched], now: datetime | None = None
) -> NightOperations:
    moment = now or datetime.combine(NIGHT, datetime.min.time().replace(hour=1), tzinfo=CPH)
    return NightOperations(
        settings=settings, schedule=_schedule(), launcher=launches, now=lambda: moment
    )


def _due(night: date = NIGHT) -> Due:
    return Due(
        datetime.combine(night, datetime.min.time().replace(hour=1), tzinfo=CPH),
        "helbredstillaeg",
        night,
        night.isoformat(),
    )


def _paid(settings: Settings) -> dict[str, int]:
    figures = audit_ledger(_ledger_url(settings), settings.data_dir)
    assert figures["oere"] == PAID_OERE and figures["claims_paid"] == 2, figures
    return figures


@pytest.fixture
def env() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# --- killed and retried --------------------------------------------------------------


@pytest.mark.parametrize(
    "point", ["after_ledger_commit", "after_batch_prepared", "after_payment_file"]
)
def test_a_run_killed_is_retried_by_the_scheduler_and_pays_once(
    point: str, ledger_url: str, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, ledger_url if "postgres" in ledger_url else None)
    write_inbox(settings.data_dir)

    def kill_first(attempt: int) -> None:
        if attempt == 0:
            env.setenv("ROBOTS_KILL_AT", point)
        else:
            env.delenv("ROBOTS_KILL_AT", raising=False)

    launches = _Launches(kill_first)
    attempts = _operations(settings, launches).run_period(_due())
    assert [a.ok for a in attempts] == [False, True]
    assert attempts[0].failure is not None
    assert attempts[0].failure.kind is FailureKind.TECHNICAL
    _paid(settings)


# --- the database -----------------------------------------------------------------------


def test_a_sqlite_ledger_that_cannot_be_opened_at_start_is_retried(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, None)
    write_inbox(settings.data_dir)
    blocker = settings.data_dir / "ledger.sqlite"
    blocker.mkdir(parents=True)  # a folder where the database file should be

    def lift(attempt: int) -> None:
        if attempt == 1:
            blocker.rmdir()

    attempts = _operations(settings, _Launches(lift)).run_period(_due())
    assert [a.ok for a in attempts] == [False, True]
    assert attempts[0].failure is not None
    assert attempts[0].failure.kind is FailureKind.TECHNICAL
    _paid(settings)


@pytest.mark.postgres
def test_postgresql_down_at_start_is_retried_until_it_is_back(
    postgres_url: str, tmp_path: Path
) -> None:
    proxy = DatabaseProxy(postgres_url)
    settings = _settings(tmp_path, proxy.url)
    write_inbox(settings.data_dir)

    def start_server_before_third(attempt: int) -> None:
        if attempt == 2:
            proxy.open()

    try:
        attempts = _operations(settings, _Launches(start_server_before_third)).run_period(_due())
    finally:
        proxy.cut()
    assert [a.ok for a in attempts] == [False, False, True]
    assert all(a.failure and a.failure.kind is FailureKind.TECHNICAL for a in attempts[:2])
    _paid(_settings(tmp_path, postgres_url))


@pytest.mark.postgres
@pytest.mark.parametrize("stage", ["ledger", "payment file"])
def test_postgresql_lost_mid_run_is_retried_and_pays_once(
    stage: str, postgres_url: str, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    proxy = DatabaseProxy(postgres_url)
    proxy.open()
    settings = _settings(tmp_path, proxy.url)
    write_inbox(settings.data_dir)
    cut_once: list[bool] = []

    def launcher(name: str, **options: object) -> Launched:
        def watch(line: str) -> None:
            if line.strip() == f"::stage {stage}" and not cut_once:
                cut_once.append(True)
                proxy.cut()
                time.sleep(0.5)
                proxy.open()  # back a moment later: the run's connections are gone

        options.setdefault("on_line", watch)
        return launch_run(name, **options)  # type: ignore[arg-type]

    try:
        attempts = _operations(settings, launcher).run_period(_due())
    finally:
        proxy.cut()
    assert cut_once
    assert attempts[-1].ok
    assert len(attempts) in (1, 2)  # a pool may reconnect on its own before the next query
    _paid(_settings(tmp_path, postgres_url))


# --- the disk ------------------------------------------------------------------------


def test_the_disk_full_while_writing_the_payment_file_is_retried_and_pays_once(
    ledger_url: str, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, ledger_url if "postgres" in ledger_url else None)
    write_inbox(settings.data_dir)

    def disk_full_first(attempt: int) -> None:
        if attempt == 0:
            env.setenv("ROBOTS_DISK_FULL_AT", "writing_payment_file")
        else:
            env.delenv("ROBOTS_DISK_FULL_AT", raising=False)

    attempts = _operations(settings, _Launches(disk_full_first)).run_period(_due())
    assert [a.ok for a in attempts] == [False, True]
    assert attempts[0].failure is not None
    assert attempts[0].failure.kind is FailureKind.TECHNICAL
    assert "No space left" in attempts[0].failure.reason
    _paid(settings)


# --- the inbox -----------------------------------------------------------------------


def test_a_truncated_file_pays_its_whole_rows_and_names_the_cut_one(tmp_path: Path) -> None:
    settings = _settings(tmp_path, None)
    cut = NIGHT_CLAIMS[: NIGHT_CLAIMS.rindex("fysioterapi") + 5]  # C4 cut mid-row
    write_inbox(settings.data_dir, claims=cut)
    attempts = _operations(settings, _Launches()).run_period(_due())
    assert attempts[-1].ok and len(attempts) == 1
    figures = audit_ledger(_ledger_url(settings), settings.data_dir)
    assert figures["claims_paid"] == 1 and figures["oere"] == 2869  # C1 only
    outcomes = list((settings.data_dir / "outputs" / "runs").glob("*/outcomes.csv"))
    assert any(
        "data_error" in line and ",6," in line
        for path in outcomes
        for line in path.read_text(encoding="utf-8").splitlines()
    ), "the cut row is named as a data error (file and line)"


def test_a_file_still_being_copied_in_waits_for_the_next_run(
    tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    env.setenv("ROBOTS_INBOX__SETTLE_SECONDS", "300")
    settings = _settings(tmp_path, None)
    write_inbox(settings.data_dir)
    claims = settings.data_dir / "inbox" / "health_claims" / "claims.csv"
    registers = [p for p in (settings.data_dir / "inbox").rglob("*.csv") if p != claims]
    for path in registers:  # the registers lie still; the claims file is being written
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    operations = _operations(settings, _Launches())
    assert operations.run_period(_due())[-1].ok
    assert claims.exists(), "a file still changing is not read"
    os.utime(claims, (time.time() - 3600, time.time() - 3600))  # the copy is done
    assert operations.run_period(_due(NIGHT + timedelta(days=1)))[-1].ok
    _paid(settings)


def test_the_same_file_twice_pays_nothing_more(tmp_path: Path) -> None:
    settings = _settings(tmp_path, None)
    write_inbox(settings.data_dir)
    operations = _operations(settings, _Launches())
    assert operations.run_period(_due())[-1].ok
    write_inbox(settings.data_dir, name="claims_again.csv", registers=False)
    assert operations.run_period(_due(NIGHT + timedelta(days=1)))[-1].ok
    write_inbox(
        settings.data_dir,
        claims=CLAIMS_HEADER + NIGHT_CLAIMS.split("\n", 1)[1],
        name="claims_third.csv",
        registers=False,
    )
    assert operations.run_period(_due(NIGHT + timedelta(days=2)))[-1].ok
    _paid(settings)


# --- schedulers and clocks --------------------------------------------------------------


def _scheduler(tmp_path: Path, url: str | None, data: str) -> subprocess.Popen[str]:
    config = tmp_path / "config"
    if not config.exists():
        import shutil

        shutil.copytree(Path(__file__).parents[3] / "config", config)
        (config / "schedule.toml").write_text('jobs = []\nsummary_at = "06:30"\n', encoding="utf-8")
    environment = {**os.environ, "ROBOTS_CONFIG_DIR": str(config)}
    if url:
        environment["DATABASE_URL"] = url
    return subprocess.Popen(
        [sys.executable, "-m", "robots.cli", "schedule", "--data-dir", str(tmp_path / data)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_second_scheduler_on_the_same_ledger_is_refused(ledger_url: str, tmp_path: Path) -> None:
    url = ledger_url if "postgres" in ledger_url else None
    first = _scheduler(tmp_path, url, "data")
    try:
        assert first.stdout is not None
        started = ""
        deadline = time.monotonic() + 60
        while "scheduler started" not in started and time.monotonic() < deadline:
            started += first.stdout.readline()
        assert "scheduler started" in started, started
        # On PostgreSQL the second scheduler works in another data folder: the ledger's
        # advisory lock refuses it all the same.
        second = _scheduler(tmp_path, url, "data" if url is None else "elsewhere")
        out, _ = second.communicate(timeout=60)
        assert second.returncode != 0
        assert "scheduler is already running" in out
        assert "Traceback" not in out
    finally:
        first.terminate()
        first.wait(timeout=60)


@pytest.mark.parametrize("night", [date(2026, 3, 29), date(2026, 10, 25)], ids=["spring", "autumn"])
def test_the_daylight_saving_nights_run_each_period_once(night: date, tmp_path: Path) -> None:
    """The jobs' clock on the night the clocks change: the night before, the night itself
    and the night after each run once, under their own period, and pay once."""
    settings = _settings(tmp_path, None)
    write_inbox(settings.data_dir)
    for day in (night - timedelta(days=1), night, night + timedelta(days=1)):
        moment = datetime.combine(day, datetime.min.time().replace(hour=1), tzinfo=CPH)
        _operations(settings, _Launches(), now=moment).run_job("helbredstillaeg")
    engine = create_engine(settings.ledger_url)
    with engine.connect() as connection:
        periods = connection.execute(
            text("SELECT period, status, runs FROM periods ORDER BY period")
        ).all()
    engine.dispose()
    assert [tuple(p) for p in periods] == [
        ((night + timedelta(days=d)).isoformat(), "finished", 1) for d in (-1, 0, 1)
    ]
    figures = audit_ledger(_ledger_url(settings), settings.data_dir)
    # The night's claims were received in October: in March they are not yet due.
    assert figures["oere"] == (PAID_OERE if night.month == 10 else 0)


def test_a_machine_down_for_three_nights_catches_them_up_in_order(tmp_path: Path) -> None:
    settings = _settings(tmp_path, None)
    write_inbox(settings.data_dir)
    first = _operations(settings, _Launches())
    assert first.run_period(_due(NIGHT))[-1].ok  # the last night before the machine went down
    back = datetime.combine(NIGHT + timedelta(days=4), datetime.min.time(), tzinfo=CPH)
    back = back.replace(hour=0, minute=30)  # before that night's own 01:00
    operations = _operations(settings, _Launches(), now=back)
    assert [d.period for d in operations.owed()] == [
        (NIGHT + timedelta(days=d)).isoformat() for d in (1, 2, 3)
    ]
    launched = operations.catch_up()
    assert [run.night for run in launched] == [NIGHT + timedelta(days=d) for d in (1, 2, 3)]
    assert all(run.ok for run in launched)
    assert operations.owed() == []
    _paid(settings)
