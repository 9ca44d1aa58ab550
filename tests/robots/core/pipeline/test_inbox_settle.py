"""The inbox takes a file only once it has stopped changing: one still being copied in is
left for the next run and named in the report, never read half-written."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from nightdata import CARL, NIGHT_CLAIMS, PAID_OERE, PROVIDER, write_inbox

from robots.core.pipeline import ingest
from robots.core.pipeline.inbox import DataFolders, files_waiting, folders_of_run, not_read
from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.settings import Settings
from robots.helbredstillaeg.robot import ROBOT

NIGHT = date(2026, 11, 23)
SETTLE = 60
HEADER, C1, *_, C4 = NIGHT_CLAIMS.splitlines(keepends=True)
C5 = f"C5,{CARL},fysioterapi,{PROVIDER},2026-10-04,33.00,2026-10-05,\n"


def _settling(settings: Settings) -> Settings:
    """The settings as production has them: a file must lie still SETTLE seconds."""
    inbox = settings.inbox.model_copy(update={"settle_seconds": SETTLE})
    return settings.model_copy(update={"inbox": inbox})


def _changed(path: Path, seconds_ago: float) -> None:
    at = time.time() - seconds_ago
    os.utime(path, (at, at))


def _all_changed(folder: Path, seconds_ago: float) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            _changed(path, seconds_ago)


def _paid(result: NightRun) -> int:
    return sum(b.total_oere for b in result.batches)


def _left_in_claims(result: NightRun) -> list[tuple[Path, str]]:
    """What the report names as left in the claims' folder (the other robot's register,
    which this robot does not read, is named too)."""
    return [(path, why) for path, why in result.not_read if "health_claims" in path.parts]


def test_a_file_still_being_written_is_left_and_reported_then_read_once_still(
    settings_for,
) -> None:
    settings = _settling(settings_for())
    write_inbox(settings.data_dir)
    inbox = settings.data_dir / "inbox"
    _all_changed(inbox, 3600)
    claims = inbox / "health_claims" / "claims.csv"
    _changed(claims, 12)

    result = run_night(ROBOT, settings=settings, night=NIGHT)

    assert claims.exists(), "left in the inbox, untouched"
    assert not (inbox / "citizens" / "citizens.csv").exists(), "the settled registers were read"
    assert result.claim_files == [] and _paid(result) == 0
    [(path, reason)] = _left_in_claims(result)
    assert path == Path("inbox/health_claims/claims.csv")
    assert reason.startswith("still being written (changed 1") and reason.endswith(
        " s ago); left for the next run"
    )
    report = result.report_path.read_text(encoding="utf-8")
    assert "inbox/health_claims/claims.csv  -- still being written (changed" in report

    _changed(claims, SETTLE + 1)
    result = run_night(ROBOT, settings=settings, night=NIGHT + timedelta(days=1))

    assert not claims.exists() and _left_in_claims(result) == []
    assert _paid(result) == PAID_OERE


def test_a_file_that_grows_between_listing_and_reading_is_left(
    settings_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy slow but not idle: quiet for longer than the settle time, then written to
    again after the inbox was listed and before the file was read."""
    settings = _settling(settings_for())
    write_inbox(settings.data_dir, claims=HEADER + C1, name="a.csv")
    growing = settings.data_dir / "inbox" / "health_claims" / "b.csv"
    growing.write_text(HEADER + C4, encoding="utf-8")
    _all_changed(settings.data_dir / "inbox", 3600)
    hash_of = ingest.sha256_of

    def hash_while_b_grows(path: Path) -> str:
        if path.name == "a.csv":  # b.csv is listed by now, and not yet read
            with growing.open("a", encoding="utf-8") as more:
                more.write(C5)
        return hash_of(path)

    monkeypatch.setattr(ingest, "sha256_of", hash_while_b_grows)
    result = run_night(ROBOT, settings=settings, night=NIGHT)

    assert [f.path.name for f in result.claim_files] == ["a.csv"]
    assert _paid(result) == 2869, "a.csv's C1 only"
    assert growing.read_text(encoding="utf-8") == HEADER + C4 + C5, "left whole, untouched"
    [(path, reason)] = _left_in_claims(result)
    assert path == Path("inbox/health_claims/b.csv") and reason.startswith("still being written")

    monkeypatch.setattr(ingest, "sha256_of", hash_of)
    _changed(growing, SETTLE + 1)
    result = run_night(ROBOT, settings=settings, night=NIGHT + timedelta(days=1))

    assert [f.path.name for f in result.claim_files] == ["b.csv"]
    assert set(result.outcomes["claim_id"]) == {"C4", "C5"}


def _write(folder: Path, name: str, seconds_ago: float) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + C1, encoding="utf-8")
    _changed(path, seconds_ago)
    return path


def test_the_listing_draws_one_line_for_the_run(tmp_path: Path) -> None:
    old = _write(tmp_path / "inbox" / "health_claims", "old.csv", SETTLE + 5)
    new = _write(tmp_path / "inbox" / "health_claims", "new.csv", SETTLE - 5)
    folders = folders_of_run(tmp_path, settle_seconds=SETTLE)

    assert list(files_waiting(folders, "health_claims")) == [old]
    [(path, reason)] = not_read(folders, {"health_claims"})
    assert path == new and "still being written" in reason
    # Settling off (a tool looking at the folders, or settle_seconds = 0): every file.
    assert list(files_waiting(DataFolders(tmp_path), "health_claims")) == [new, old]
    assert list(files_waiting(folders_of_run(tmp_path, settle_seconds=0), "health_claims")) == [
        new,
        old,
    ]
    assert not_read(DataFolders(tmp_path), {"health_claims"}) == []


def test_a_folder_the_robot_writes_itself_is_not_waited_for(tmp_path: Path) -> None:
    """A robot that lists its own claims writes the list whole and reads it at once."""
    listed = _write(tmp_path / "inbox" / "flex_months", "2026-11_run.csv", 0)
    folders = folders_of_run(tmp_path, settle_seconds=SETTLE, written_here=["flex_months"])

    assert list(files_waiting(folders, "flex_months")) == [listed]
    assert not_read(folders, {"flex_months"}) == []


def test_a_file_gone_or_replaced_after_the_listing_is_not_handed_over(tmp_path: Path) -> None:
    folder = tmp_path / "inbox" / "health_claims"
    first = _write(folder, "a.csv", SETTLE + 5)
    gone = _write(folder, "b.csv", SETTLE + 5)
    replaced = _write(folder, "c.csv", SETTLE + 5)
    waiting = files_waiting(folders_of_run(tmp_path, settle_seconds=SETTLE), "health_claims")

    assert next(waiting) == first
    gone.unlink()
    swap = _write(folder, ".c.csv.tmp", SETTLE + 5)
    os.replace(swap, replaced)  # same size and time, another file
    assert list(waiting) == []
