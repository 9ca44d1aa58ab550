"""Opening the ledger: the engine for SQLite or PostgreSQL, migrated to the latest schema."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from robots.core.ledger.sqlite_staging import detach_finished_stages

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    """An engine with the settings each database needs for safe, durable commits."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL keeps readers (status, review) off the writer's back; FULL sync makes a
            # commit survive a killed process and a power cut alike.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # SQLite's default page cache is 2 MB: a night of a million claims then spills
            # its unique-key index to disk and inserts slow down as the ledger grows.
            # 256 MB of cache and in-memory temp tables keep the bulk path linear.
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        @event.listens_for(engine, "checkin")
        def _staging_detached(dbapi_connection: Any, _record: Any) -> None:
            # The bulk path's staging files (already unlinked) give their space back once
            # detached; a connection back in the pool has no transaction left to read them.
            # Only cleanup: a connection that cannot even list its databases is closed soon.
            with contextlib.suppress(sqlite3.Error):
                detach_finished_stages(dbapi_connection)

        return engine
    # A server that cannot be reached fails the run in seconds (a technical failure the
    # scheduler retries) instead of hanging; TCP keepalives let the server see a machine
    # that lost power or network within minutes, and free the robot's advisory lock
    # (run_locks.py), where Linux's default would hold it for two hours.
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": 10,
            "keepalives": 1,
            "keepalives_idle": 60,
            "keepalives_interval": 10,
            "keepalives_count": 6,
        },
    )


def alembic_config(url: str) -> Config:
    """Alembic pointed at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the ledger to the newest schema (creating it on first use)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_ledger(url: str) -> Engine:
    """The engine of a migrated ledger."""
    engine = make_engine(url)
    migrate(engine)
    return engine
