"""One robot run in a child process through robocorp: what `robots run` and the scheduler
both start.

One process per run, so a run that is killed, hangs or runs out of memory cannot take the
command or the scheduler down with it. The run id is made here and handed to the task, so
the caller reports the very run it started and finds its log folder (and the failure kind
the run left there, robots/core/failures.py) by it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from robots.core.failures import Failure, FailureKind, read_failure
from robots.core.pipeline.nightly import new_run_id
from robots.core.runlog import INBOX_DATASETS_VARIABLE, RUN_ID_VARIABLE
from robots.core.settings import Settings
from robots.registry import ROBOTS, inbox_datasets, tasks_file

STAGE_MARK = "::stage "
"""A line the task prints as it enters a stage (robots/core/runlog.py)."""


@dataclass(frozen=True)
class Launched:
    """How a run in its child process ended."""

    robot: str
    run_id: str
    night: date
    period: str | None
    exit_code: int
    log_dir: Path
    failure: Failure | None
    """None when the run ended well; else what the run said of its failure, or (killed,
    timed out, no word left) a technical failure."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def launch_run(
    name: str,
    *,
    settings: Settings,
    night: date,
    period: str | None = None,
    month_alone: bool = True,
    on_line: Callable[[str], None] | None = None,
    timeout_seconds: float | None = None,
) -> Launched:
    """Run robot `name` for `night` (and `period`, a month for a robot that pays by month)
    in a child process; hand each output line to `on_line`; wait for it to end."""
    robot = ROBOTS[name]
    run_id = new_run_id(robot, night)
    log_dir = settings.logs_dir / robot.name / run_id
    env = {
        **os.environ,
        "ROBOTS_DATA_DIR": str(settings.data_dir),
        "ROBOTS_MODE": settings.mode,
        "ROBOTS_NIGHT": night.isoformat(),
        "ROBOTS_PERIOD": period or "",
        "ROBOTS_MONTH_ALONE": "1" if month_alone else "0",
        "ROBOTS_LOG_DIR": str(log_dir),
        RUN_ID_VARIABLE: run_id,
        INBOX_DATASETS_VARIABLE: ",".join(sorted(inbox_datasets())),
        "ROBOTS_STAGE_MARKS": "1",
        "PYTHONUNBUFFERED": "1",
        # SQLite's sorter spills sorted runs (of the claims' fingerprints, CPR numbers among
        # them) to unlinked temp files; in the data folder they stay on the ledger's disk,
        # under its protection, instead of /var/tmp. An operator's own choice stands.
        "SQLITE_TMPDIR": os.environ.get("SQLITE_TMPDIR") or str(settings.data_dir),
    }
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    command = [
        sys.executable,
        "-m",
        "robocorp.tasks",
        "run",
        str(tasks_file(robot)),
        "-t",
        "nightly",
        "--output",
        str(log_dir),
        "--console-colors",
        "plain",
    ]
    child = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,  # a stop of the scheduler does not reach a run half-way
    )
    timer = _Deadline(child, timeout_seconds)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if on_line is not None:
                on_line(line)
        code = child.wait()
    finally:
        timer.cancel()
    failure = None
    if code != 0:
        failure = read_failure(log_dir) or Failure(
            FailureKind.TECHNICAL,
            f"timed out after {int(timeout_seconds or 0)} s and was stopped"
            if timer.fired
            else f"the run stopped without saying why (exit code {code}: killed?)",
        )
    return Launched(name, run_id, night, period, code, log_dir, failure)


class _Deadline:
    """Stops a run that takes longer than the schedule allows (a hung database call)."""

    def __init__(self, child: subprocess.Popen[str], seconds: float | None) -> None:
        self.fired = False
        self._timer: threading.Timer | None = None
        if seconds:
            self._timer = threading.Timer(seconds, self._stop, args=(child,))
            self._timer.daemon = True
            self._timer.start()

    def _stop(self, child: subprocess.Popen[str]) -> None:
        self.fired = True
        child.kill()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
