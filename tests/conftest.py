"""Shared fixtures: a ledger on SQLite and (in CI) PostgreSQL, and a small night's inbox.

PostgreSQL tests run when TEST_DATABASE_URL is set (.ci/run sets it and REQUIRE_POSTGRES=1,
which turns a missing database into a failure instead of a skip).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from robots.core.settings import Settings, clear_settings_cache


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty ledger database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (.ci/run sets it)")
    _reset_postgres(url)
    return url


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    """Settings pointing at a temporary data folder (and the given ledger)."""
    clear_settings_cache()

    def make(
        ledger_url: str | None = None, mode: str = "demo", data_dir: Path | None = None
    ) -> Settings:
        return Settings(
            data_dir=data_dir or tmp_path / "data",
            mode=mode,
            database_url=ledger_url,
            logs_dir=tmp_path / "logs",
        )

    return make
