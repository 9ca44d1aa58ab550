"""Shared fixtures: a ledger on SQLite and (in CI) PostgreSQL, and a small night's inbox.

PostgreSQL tests run when TEST_DATABASE_URL is set (.ci/run sets it and REQUIRE_POSTGRES=1,
which turns a missing database into a failure instead of a skip).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from robots.core.settings import PROJECT_ROOT, Settings, clear_settings_cache

SETTLE_VARIABLE = "ROBOTS_INBOX__SETTLE_SECONDS"


@pytest.fixture(autouse=True, scope="session")
def _inbox_files_taken_at_once() -> Iterator[None]:
    """Tests write a night's files and run at once: no file waits [inbox] settle_seconds
    to lie still (in this process, and in the `robots run` processes a test starts, which
    inherit the environment). tests/robots/core/pipeline/test_inbox_settle.py sets its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SETTLE_VARIABLE, "0")
        clear_settings_cache()
        yield
    clear_settings_cache()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _fresh_postgres() -> str:
    """The test PostgreSQL database, emptied; a skip (or, with REQUIRE_POSTGRES=1, a
    failure) where there is none."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (.ci/run sets it)")
    _reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty ledger database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    return _fresh_postgres()


@pytest.fixture
def postgres_url() -> str:
    """A fresh, empty PostgreSQL ledger alone, for what only a server has (a connection
    that can be refused or cut)."""
    return _fresh_postgres()


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


# The toy robot's config: the project's, with its account key added (in a temporary copy),
# as a municipality adding a benefit adds it to its own config (tests/robots/toy).
@pytest.fixture
def toy_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    with (config / "accounts.toml").open("a", encoding="utf-8") as accounts:
        accounts.write(
            '\n[cykeltilskud]\nfunction = "5.57.77"\nfunction_name = "Toy"\nart = "5.2"\n'
            'grouping = ""\nsource = "a test\'s made-up account"\n'
        )
    monkeypatch.setenv("ROBOTS_CONFIG_DIR", str(config))
    clear_settings_cache()
    return config
