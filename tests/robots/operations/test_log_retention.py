"""Log retention: run logs and notifications older than keep_days go, everything else and
everything a link points at stays."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from robots.core.dates import COPENHAGEN
from robots.operations.log_retention import prune_logs

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=COPENHAGEN)
DAY = 24 * 60 * 60


def _aged(path: Path, days: float) -> Path:
    """Give `path` and everything under it a modification time `days` before NOW."""
    moment = NOW.timestamp() - days * DAY
    for inner in sorted(path.rglob("*"), reverse=True) if path.is_dir() else []:
        os.utime(inner, (moment, moment), follow_symlinks=False)
    os.utime(path, (moment, moment), follow_symlinks=False)
    return path


def _run_folder(logs: Path, robot: str, run_id: str, days: float) -> Path:
    folder = logs / robot / run_id
    folder.mkdir(parents=True)
    (folder / "log.html").write_text("<html/>", encoding="utf-8")
    (folder / "output.robolog").write_text("{}", encoding="utf-8")
    return _aged(folder, days)


def _file(path: Path, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x", encoding="utf-8")
    return _aged(path, days)


def test_old_run_logs_and_notifications_go_and_recent_ones_stay(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    old_run = _run_folder(logs, "helbredstillaeg", "HT-20260801T221503-rab12", days=91)
    older_format = _run_folder(logs, "laegeregninger", "LR-20260701-221503-ab12", days=200)
    recent_run = _run_folder(logs, "helbredstillaeg", "HT-20261101T221503-r0c1d", days=89)
    old_note = _file(logs / "notifications" / "2026-08-01T061500-summary.txt", days=91)
    old_second = _file(logs / "notifications" / "2026-08-01T061500-alert-2.txt", days=91)
    recent_note = _file(logs / "notifications" / "2026-11-01T061500-alert.txt", days=10)

    removed = prune_logs(logs, keep_days=90, now=NOW)

    assert removed == sorted(p.resolve() for p in (old_run, older_format, old_note, old_second))
    for gone in (old_run, older_format, old_note, old_second):
        assert not gone.exists()
    for kept in (recent_run, recent_run / "log.html", recent_note):
        assert kept.exists()
    assert (logs / "helbredstillaeg").is_dir()  # the robot's folder itself stays


def test_only_what_the_robots_write_is_removed(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    screenshot = _file(logs / "browser" / "queue.png", days=400)
    _run_folder(logs, "helbredstillaeg", "HT-20260801T221503-rab12", days=400)
    notes = logs / "helbredstillaeg" / "not-a-run"
    notes.mkdir()
    _aged(notes, 400)
    stray = _file(logs / "notifications" / "my notes.txt", days=400)
    top_file = _file(logs / "README.txt", days=400)

    removed = prune_logs(logs, keep_days=90, now=NOW)

    assert [p.name for p in removed] == ["HT-20260801T221503-rab12"]
    for kept in (screenshot, notes, stray, top_file):
        assert kept.exists()


def test_a_run_folder_still_being_written_is_not_old(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    run = _run_folder(logs, "fleksloentilskud", "FL-20260801T221503-rab12", days=120)
    _file(run / "sub" / "late.txt", days=1)
    for folder in (run / "sub", run):  # the folders' own times are old, a file deep inside new
        moment = NOW.timestamp() - 120 * DAY
        os.utime(folder, (moment, moment))

    assert prune_logs(logs, keep_days=90, now=NOW) == []
    assert (run / "sub" / "late.txt").exists()


def test_links_out_of_the_logs_are_never_followed(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    outside = tmp_path / "elsewhere"
    precious = _file(outside / "HT-20260101T010101-r0000" / "ledger-backup.sql", days=500)
    _aged(outside, 500)
    # A robot folder that is a link, a run folder that is a link, and a link inside a run.
    (logs / "helbredstillaeg").mkdir(parents=True)
    (logs / "linked-robot").symlink_to(outside, target_is_directory=True)
    _aged(logs / "linked-robot", 500)
    linked_run = logs / "helbredstillaeg" / "HT-20260201T010101-r1111"
    linked_run.symlink_to(outside / "HT-20260101T010101-r0000", target_is_directory=True)
    _aged(linked_run, 500)
    old_run = _run_folder(logs, "helbredstillaeg", "HT-20260301T010101-r2222", days=0)
    (old_run / "backup").symlink_to(outside, target_is_directory=True)
    _aged(old_run, 500)
    notes = logs / "notifications"
    notes.mkdir()
    (notes / "2026-01-01T010101-alert.txt").symlink_to(precious)
    _aged(notes / "2026-01-01T010101-alert.txt", 500)

    removed = prune_logs(logs, keep_days=90, now=NOW)

    assert removed == [old_run.resolve()]
    assert precious.read_text(encoding="utf-8") == "x"
    assert linked_run.is_symlink()
    assert (logs / "linked-robot").is_symlink()
    assert (notes / "2026-01-01T010101-alert.txt").is_symlink()


def test_a_missing_logs_folder_prunes_nothing(tmp_path: Path) -> None:
    assert prune_logs(tmp_path / "no-logs-yet", keep_days=90, now=NOW) == []


def test_a_naive_clock_or_no_days_kept_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        prune_logs(tmp_path, keep_days=90, now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="at least 1"):
        prune_logs(tmp_path, keep_days=0, now=NOW)
