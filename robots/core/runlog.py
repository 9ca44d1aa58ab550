"""The one place robocorp is used from `robots.core`: running a robot as a robocorp task.

robocorp-log records function arguments and local variables by default. Our packages are
excluded from that automatic logging in pyproject.toml ([tool.robocorp.log]); on top, CPR
is registered as a sensitive name, and the task logs only masked, aggregate figures.
`tests/robots/core/test_runlog.py` reads the plain .robolog to prove no CPR gets through.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from robocorp import log

from robots.core import dates
from robots.core.cpr import mask_text
from robots.core.failures import classify, write_failure
from robots.core.pipeline.nightly import STAGES, NightRun, run_night
from robots.core.robot import Robot
from robots.core.settings import Settings, get_settings

NIGHT_VARIABLE = "ROBOTS_NIGHT"
LOG_DIR_VARIABLE = "ROBOTS_LOG_DIR"
RUN_ID_VARIABLE = "ROBOTS_RUN_ID"
"""Set by `robots run`, so the command can report the very run it started."""
INBOX_DATASETS_VARIABLE = "ROBOTS_INBOX_DATASETS"
"""Set by `robots run`: every inbox folder some robot of the suite reads (comma-separated),
so a run reports only files no robot reads as not read. Unset: the robot's own folders."""


_SUPPRESSED = ExitStack()
"""Holds robocorp's variable suppression open until the process ends (see _protect_log)."""


def _protect_log() -> None:
    for name in ("cpr", "payee_id", "cpr_number", "personnummer"):
        log.add_sensitive_variable_name(name)
    # robocorp ends every run with a process snapshot that dumps each live frame's local
    # variables, sensitive names not applied: a memory size in bytes there (vms=2201927680)
    # already read like a CPR number, and a frame holding claims would show them. With
    # variables suppressed for the rest of the process (one task per process), the
    # snapshot lists frames only; our own packages are excluded from variable logging
    # anyway (pyproject.toml), so nothing of ours is lost.
    _SUPPRESSED.enter_context(log.suppress_variables())


def run_robot_task(robot: Robot) -> None:
    """The body of each robot's @task: one night, with a masked summary in log.html."""
    _protect_log()
    night_text = os.environ.get(NIGHT_VARIABLE)
    night = dates.parse_night(night_text) if night_text else dates.today()
    settings = get_settings()
    log.info(f"{robot.title}: night {night}, mode {settings.mode}, data {settings.data_dir}")

    marks = os.environ.get("ROBOTS_STAGE_MARKS") == "1"

    def stage(name: str) -> None:
        log.info(f"stage {STAGES.index(name) + 1}/{len(STAGES)}: {name}")
        out = sys.__stdout__
        if marks and out is not None:  # read by the `robots` command to draw its progress bar
            out.write(f"::stage {name}\n")
            out.flush()

    log_dir = os.environ.get(LOG_DIR_VARIABLE)
    try:
        result = _run_night(robot, settings, night, stage, log_dir)
    except BaseException as error:
        if log_dir and not isinstance(error, KeyboardInterrupt):
            write_failure(Path(log_dir), classify(error))
        raise
    counts = result.outcomes["outcome"].value_counts().to_dict() if len(result.outcomes) else {}
    log.info(
        mask_text(
            f"run {result.run_id}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
    )
    for batch in result.batches:
        log.info(f"batch {batch.batch_id}: {batch.transfers} transfers, {batch.claims} claims")
    log.info(f"report: {result.report_path}")


def _run_night(
    robot: Robot, settings: Settings, night: date, stage: Callable[[str], None], log_dir: str | None
) -> NightRun:
    return run_night(
        robot,
        settings=settings,
        night=night,
        progress=stage,
        log_dir=Path(log_dir) if log_dir else None,
        run_id=os.environ.get(RUN_ID_VARIABLE) or None,
        inbox_datasets=frozenset(
            filter(None, os.environ.get(INBOX_DATASETS_VARIABLE, "").split(","))
        )
        or None,
        period=os.environ.get("ROBOTS_PERIOD") or None,
        month_alone=os.environ.get("ROBOTS_MONTH_ALONE", "1") == "1",
    )
