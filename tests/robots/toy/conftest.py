"""The toy robot's bank: a night paid, ready for answers (tests/robots/toy/banking.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from robots.core.ledger import staff
from tests.robots.toy.banking import OLGA, Bank
from tests.robots.toy.test_claim_life import CITIZENS, HEADER, NIGHT_ONE, Nights


@pytest.fixture
def bank(tmp_path: Path, ledger_url: str, toy_config: Path) -> Iterator[Bank]:
    data = tmp_path / "data"
    (data / "inbox" / "citizens").mkdir(parents=True)
    (data / "inbox" / "citizens" / "citizens.csv").write_text(CITIZENS, encoding="utf-8")
    nights = Nights(data, ledger_url, tmp_path / "logs")
    nights.run(
        NIGHT_ONE
        + HEADER.replace("claim_id,cpr,bought_date,price\n", "")
        + "B4,0101501233,2026-11-05,1400.00\n"
    )
    with nights.engine.begin() as connection:
        staff.add_staff(
            connection=connection,
            name=OLGA,
            role="finance",
            password="et langt kodeord",
            by="test",
        )
    yield Bank(nights, data)
    nights.engine.dispose()
