from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.robots.review.workbench import Workbench, make_workbench


@pytest.fixture
def workbench(tmp_path: Path, ledger_url: str, toy_config: Path) -> Iterator[Workbench]:
    made = make_workbench(tmp_path, ledger_url)
    yield made
    made.nights.engine.dispose()
