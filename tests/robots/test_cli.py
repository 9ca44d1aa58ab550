"""The `robots` command as a person types it: mistakes get one line and exit code 2, and a
run reports itself, not whichever run is newest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nightdata import run_robots_command, write_inbox
from sqlalchemy import create_engine, text

from robots.core import dates
from robots.core.settings import PROJECT_ROOT


def _robots(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "robots.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# A week ahead, not tomorrow: the parameters are made at collection, and a suite that runs
# across Copenhagen's midnight would find "tomorrow" had come (CI did, at 00:00).
TOMORROW = (dates.today() + timedelta(days=7)).isoformat()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "helbredstillaeg", "--date", "2026-13-40"], "not a day of the calendar"),
        (["run", "helbredstillaeg", "--date", "06-12-2026"], "YYYY-MM-DD"),
        (["run", "helbredstillaeg", "--date", TOMORROW], "has not come yet"),
        (["run", "helbredstillaeg", "--mode", "prodution"], "'production', 'demo'"),
        (["run", "helbredstilaeg"], "there is no robot 'helbredstilaeg'"),
        (["run", "all", "--data-dir", "{missing}"], "does not exist"),
        (["status", "--data-dir", "{missing}"], "does not exist"),
        (["status", "--data-dir", "{empty}"], "no ledger in"),
        (["run", "fleksloentilskud", "--month", "2026-13"], "is not a month; write YYYY-MM"),
        (["run", "fleksloentilskud", "--month", "11-2026"], "is not a month; write YYYY-MM"),
        (["run", "helbredstillaeg", "--month", "2026-11"], "for a robot that pays by month"),
        (["bogus"], "No such command"),
        (["demo", "--pensioners", "many"], "--pensioners"),
        (["review", "--data-dir", "{missing}"], "does not exist"),
        (["review", "--port", "0", "--data-dir", "{empty}"], "--port"),
        (["users", "add", "x", "--role", "boss", "--data-dir", "{empty}"], "'control_group'"),
        (["users", "unlock", "x", "--data-dir", "{missing}"], "does not exist"),
    ],
)
def test_a_typo_gets_one_line_exit_code_2_and_creates_nothing(
    tmp_path: Path, args: list[str], says: str
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = tmp_path / "missing"
    given = [a.format(missing=missing, empty=empty) for a in args]
    if "--data-dir" not in given and given[0] == "run":
        given += ["--data-dir", str(empty)]
    before = sorted(tmp_path.rglob("*"))

    done = _robots(*given, cwd=tmp_path)

    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("robots: "), done.stderr
    assert says in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    assert sorted(tmp_path.rglob("*")) == before, "nothing is created by a refused command"
    assert not missing.exists()


def test_run_all_prints_its_own_report_not_the_newest_run(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data)
    first = run_robots_command(data, tmp_path / "logs")
    assert first.returncode == 0, first.stdout + first.stderr
    # Another run, started later by someone else, that never wrote a report.
    engine = create_engine(f"sqlite:///{data / 'ledger.sqlite'}")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) "
                "VALUES ('HT-OTHER-RUN', 'helbredstillaeg', '2026-11-23', 'demo', 'running', :at)"
            ),
            {"at": datetime.now(UTC) + timedelta(hours=1)},
        )
    engine.dispose()
    write_inbox(data, name="more.csv", registers=False, claims=_one_more_claim())

    second = run_robots_command(data, tmp_path / "logs")

    assert second.returncode == 0, second.stdout + second.stderr
    assert "HT-OTHER-RUN" not in second.stdout
    run_line = next(line for line in second.stdout.splitlines() if line.startswith("Run HT-"))
    own_run = run_line.split()[1]
    assert own_run in second.stdout.split("Outcome file:")[1]
    # The log folder is named by the run, so two runs in one second never share one.
    assert (tmp_path / "logs" / "helbredstillaeg" / own_run / "log.html").exists()


def _one_more_claim() -> str:
    from nightdata import CLAIMS_HEADER, PROVIDER

    return CLAIMS_HEADER + f"C9,0303403457,medicin,{PROVIDER},2026-10-03,10.00,2026-10-05,\n"


def test_status_shows_whole_run_ids_and_who_reported_a_killed_run(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_inbox(data)
    killed = run_robots_command(data, tmp_path / "logs", kill_at="after_ledger_commit")
    assert killed.returncode != 0
    rerun = run_robots_command(data, tmp_path / "logs")
    own_run = next(line.split()[1] for line in rerun.stdout.splitlines() if line.startswith("Run "))

    done = _robots("status", "--data-dir", str(data), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert own_run in done.stdout, "a run id names its folders: it is never cut"
    assert "reported by" in done.stdout
    # The scheduled robots: the night's period finished, and what waits for people.
    job_line = next(line for line in done.stdout.splitlines() if "helbredstillaeg (nightly" in line)
    assert "2026-11-23" in job_line
    assert "Waiting for people:" in done.stdout

    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    schedule = config / "schedule.toml"
    schedule.write_text(
        schedule.read_text(encoding="utf-8").replace(
            "skip_nights = []", 'skip_nights = ["2026-12-24"]'
        ),
        encoding="utf-8",
    )
    skipped = _robots(
        "status", "--data-dir", str(data), cwd=tmp_path, env={"ROBOTS_CONFIG_DIR": str(config)}
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "skipped on purpose" in skipped.stdout and "2026-12-24" in skipped.stdout


def test_staff_accounts_from_the_command_line(tmp_path: Path) -> None:
    """Added, refused in one line (a short password, a name taken, an unknown name),
    listed; the password read from stdin never appears in the output."""
    data = tmp_path / "data"
    data.mkdir()

    def robots(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "robots.cli", *args, "--data-dir", str(data)],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    added = robots(
        "users",
        "add",
        "kontrol.kim",
        "--role",
        "control_group",
        "--password-stdin",
        stdin="et langt kodeord\n",
    )
    assert added.returncode == 0 and "kontrol.kim added as control_group" in added.stdout
    assert "et langt kodeord" not in added.stdout + added.stderr
    for args, stdin, says in (
        (
            ("users", "add", "kontrol.kim", "--role", "admin", "--password-stdin"),
            "et andet langt kodeord\n",
            "already a member of staff",
        ),
        (("users", "password", "kontrol.kim", "--password-stdin"), "kort\n", "at least 12"),
        (("users", "unlock", "kontrol.kom"), "", "no member of staff by that name"),
    ):
        refused = robots(*args, stdin=stdin)
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
        assert says in refused.stderr
    listed = robots("users", "list")
    assert "kontrol.kim" in listed.stdout and "control_group" in listed.stdout
