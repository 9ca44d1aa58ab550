"""Kill the real `robots run fleksloentilskud` process (SIGKILL) at every named point of a
night that settles a corrected month, run it again, and check that each month is paid
once and the correction settled once: the listed months, the versions, the difference
paid and the recovery opened, whatever the point the night died at."""

from __future__ import annotations

from pathlib import Path

import pytest
from nightdata import run_robots_command
from sqlalchemy import create_engine, text

from robots.core.killpoints import POINTS
from robots.core.ledger import history
from robots.core.ledger.database import open_ledger

ANNA, BO = "0101501233", "0202602234"
EMPLOYER = "12345674"
REGISTERS = {
    "citizens": (
        "cpr;name;status;status_date;municipality_code;civil_status\n"
        f"{ANNA};Anna;active;;173;single\n{BO};Bo;active;;173;single\n"
    ),
    "companies": f"cvr;name;status;status_date;sector\n{EMPLOYER};Firma;active;;private\n",
    "flex_jobs": (
        "job_id;cpr;employer_cvr;start_date;end_date;weekly_hours;benefit_start_date\n"
        f"J-ANNA;{ANNA};{EMPLOYER};2026-10-01;;18;2025-11-01\n"
        f"J-BO;{BO};{EMPLOYER};2026-10-01;;18;2025-11-01\n"
    ),
    "other_benefits": "cpr;benefit;period_start;period_end;amount\n",
}
HEADER = "cpr;payer_cvr;period;income_type;amount;hours\n"


def _put(data_dir: Path, dataset: str, name: str, content: str) -> None:
    folder = data_dir / "inbox" / dataset
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(content, encoding="utf-8")


def _ledger(data_dir: Path, sql: str) -> list[tuple]:
    engine = create_engine(f"sqlite:///{data_dir / 'ledger.sqlite'}")
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(text(sql)).fetchall()]
    engine.dispose()
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_correction_night_killed_anywhere_settles_once(point: str, tmp_path: Path) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    for dataset, content in REGISTERS.items():
        _put(data, dataset, f"{dataset}.csv", content)
    # October's wage: November's subsidy (FL-1's month: 15.272 kr.) for both.
    _put(
        data,
        "incomes",
        "eindkomst_1.csv",
        HEADER + f"{ANNA};{EMPLOYER};2026-10;wage;15600,00;78\n"
        f"{BO};{EMPLOYER};2026-10;wage;15600,00;78\n",
    )
    first = run_robots_command(data, logs, robot="fleksloentilskud", night="2026-11-10")
    assert first.returncode == 0, first.stdout[-2000:]
    # eIndkomst corrects October: Anna 1.000 kr. more (300 kr. asked back), Bo 1.000 kr.
    # less (300 kr. paid on top). The night that settles it dies at `point`.
    _put(
        data,
        "incomes",
        "eindkomst_2_delta.csv",
        HEADER + f"{ANNA};{EMPLOYER};2026-10;wage;16600,00;78\n"
        f"{BO};{EMPLOYER};2026-10;wage;14600,00;78\n",
    )
    killed = run_robots_command(
        data, logs, robot="fleksloentilskud", night="2026-11-11", kill_at=point
    )
    assert killed.returncode != 0, f"the run was not killed at {point}:\n{killed.stdout[-2000:]}"
    for _ in range(2):  # the rerun, and once more: nothing may change
        again = run_robots_command(data, logs, robot="fleksloentilskud", night="2026-11-11")
        assert again.returncode == 0, again.stdout[-3000:]

    engine = open_ledger(f"sqlite:///{data / 'ledger.sqlite'}")
    with engine.connect() as connection:
        assert history.exactly_once_violations(connection=connection) == []
        money = history.money_of_periods(
            connection=connection, robot="fleksloentilskud", periods=["2026-11"]
        )
    engine.dispose()
    anna, bo = money[("J-ANNA", "2026-11")], money[("J-BO", "2026-11")]
    # 16.600: 723 kr. below the threshold x 30 % and 277 kr. above x 55 % more deducted.
    assert (anna["paid_oere"], anna["to_recover_oere"], anna["versions"]) == (
        1_527_200,
        36_925,
        2,
    )
    assert (bo["paid_oere"], bo["to_recover_oere"], bo["versions"]) == (1_527_200 + 30_000, 0, 2)
    assert _ledger(data, "SELECT COUNT(*) FROM payment_batches WHERE status <> 'released'") == [
        (0,)
    ]
    # Each month decided once per version: never a third version from a night run again.
    assert _ledger(
        data, "SELECT COUNT(*) FROM claims WHERE robot = 'fleksloentilskud' AND period = '2026-11'"
    ) == [(4,)]
