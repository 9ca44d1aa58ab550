"""Keeping `logs/` tidy: run logs and notifications older than `logs_keep_days` go.

A night's run log (robocorp's log.html and .robolog) is what one reads when a run
failed; after a few months the ledger and the report say all that is still asked, and
the folders only fill the disk the robots need for payment files. The scheduler prunes
once a night.

Only what the robots themselves write here is removed: folders named like a run id two
levels down (`<robot>/<run_id>/`) and notification files (`notifications/<stamp>-<kind>.txt`).
Anything else in the folder (screenshots, a person's notes) is left alone, and a symbolic
link is never followed: a link to somewhere else is not ours to empty.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from robots.operations.notify import NOTIFICATIONS_FOLDER

logger = logging.getLogger(__name__)

RUN_FOLDER = re.compile(r"^[A-Za-z0-9]+-\d{8}[T-]\d{6}-[A-Za-z0-9]+$")
"""`HT-20261123T221503-rab12` (and the older `HT-20261123-221503-ab12`)."""
NOTIFICATION_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}-[a-z]+(-\d+)?\.txt$")
"""`2026-11-24T061500-summary.txt`, or `...-alert-2.txt` for a second one in that second."""


def prune_logs(logs_dir: Path, keep_days: int, now: datetime) -> list[Path]:
    """Delete run-log folders and notification files last changed more than `keep_days`
    before `now`, and return what was removed (sorted).

    A run folder's age is its newest entry's: a folder whose log was still being
    written is not old. A folder that cannot be removed is logged and skipped, so a
    permission problem never stops the night.

    Raises:
        ValueError: `keep_days` below 1, or a naive `now` (its instant is unknown).
    """
    if keep_days < 1:
        raise ValueError(f"keep_days must be at least 1, not {keep_days}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be time-zone aware")
    cutoff = (now - timedelta(days=keep_days)).timestamp()
    root = logs_dir.resolve()
    if not root.is_dir():
        return []
    removed: list[Path] = []
    for robot in _entries(root):
        if not robot.is_dir(follow_symlinks=False):
            continue
        if robot.name == NOTIFICATIONS_FOLDER:
            removed += _prune_notifications(Path(robot.path), cutoff)
            continue
        for run in _entries(Path(robot.path)):
            if not (run.is_dir(follow_symlinks=False) and RUN_FOLDER.match(run.name)):
                continue
            if _older_than(Path(run.path), cutoff) and _remove_tree(Path(run.path)):
                removed.append(Path(run.path))
    return sorted(removed)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError as error:
        logger.warning("log retention: cannot read %s: %s", folder, error)
        return []


def _prune_notifications(folder: Path, cutoff: float) -> list[Path]:
    removed: list[Path] = []
    for entry in _entries(folder):
        if not (entry.is_file(follow_symlinks=False) and NOTIFICATION_FILE.match(entry.name)):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError as error:
            logger.warning("log retention: cannot remove %s: %s", entry.path, error)
    return removed


def _older_than(folder: Path, cutoff: float) -> bool:
    try:
        return _newest_mtime(folder) < cutoff
    except OSError as error:  # an entry came or went while we looked: not idle, keep it
        logger.warning("log retention: cannot read %s: %s", folder, error)
        return False


def _newest_mtime(folder: Path) -> float:
    """The newest modification time in the tree, links not followed (their own time)."""
    newest = folder.lstat().st_mtime
    with os.scandir(folder) as entries:
        listed = list(entries)
    for entry in listed:
        if entry.is_dir(follow_symlinks=False):
            newest = max(newest, _newest_mtime(Path(entry.path)))
        else:
            newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return newest


def _remove_tree(folder: Path) -> bool:
    # rmtree removes a link inside the tree, never what it points at, and refuses a
    # folder that is itself a link (checked above, too).
    try:
        shutil.rmtree(folder)
    except OSError as error:
        logger.warning("log retention: cannot remove %s: %s", folder, error)
        return False
    return True
