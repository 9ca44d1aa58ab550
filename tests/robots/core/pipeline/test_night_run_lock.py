"""Two nights of one robot at once, from two data folders on one ledger (two machines, or
a person running it by hand beside the scheduler): the second is refused and does nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from nightdata import PAID_OERE, write_inbox
from sqlalchemy import create_engine, text

from robots.core.errors import ApplicationError, ReasonCode
from robots.core.pipeline.nightly import run_night
from robots.helbredstillaeg.robot import ROBOT

NIGHT = date(2026, 11, 23)


def _runs(url: str) -> list[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        runs = [row[0] for row in connection.execute(text("SELECT id FROM runs ORDER BY id"))]
    engine.dispose()
    return runs


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_second_night_of_the_robot_while_one_runs_is_refused_and_does_nothing(
    ledger_url: str, settings_for, tmp_path: Path
) -> None:
    first = settings_for(ledger_url)
    second = settings_for(ledger_url, data_dir=tmp_path / "by-hand")
    write_inbox(first.data_dir)
    write_inbox(second.data_dir)
    inbox_before = _files(second.data_dir / "inbox")
    refusals: list[ApplicationError] = []

    def start_the_second(stage: str) -> None:
        if stage == "read":  # the first night has started and holds its robot
            with pytest.raises(ApplicationError) as refused:
                run_night(ROBOT, settings=second, night=NIGHT, run_id="HT-BY-HAND")
            refusals.append(refused.value)

    result = run_night(ROBOT, settings=first, night=NIGHT, progress=start_the_second)

    [refusal] = refusals
    assert refusal.code is ReasonCode.RUN_LOCKED
    assert "helbredstillaeg is already running" in refusal.message
    assert _files(second.data_dir / "inbox") == inbox_before, "nothing read, moved or archived"
    assert not any((second.data_dir / "archive").rglob("*.csv"))
    assert _runs(ledger_url) == [result.run_id]
    assert sum(b.total_oere for b in result.batches) == PAID_OERE, "the first night went on"

    # Once the first has finished, the same run by hand goes through (and pays nothing
    # twice: its claims are the ones the first night paid).
    again = run_night(ROBOT, settings=second, night=NIGHT, run_id="HT-BY-HAND")
    assert again.batches == [] or sum(b.total_oere for b in again.batches) == 0
