"""Opening the ledger: the engine for SQLite or PostgreSQL, migrated to the latest schema."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

from robots.core.ledger.sqlite_staging import detach_finished_stages

MIGRATIONS = Path(__file__).with_name("migrations")

AUTOCHECKPOINT_PAGES = 1000
"""SQLite's own default: a commit that leaves more pages than this in the WAL copies them
into the ledger file before it returns."""


PAGE_SIZE = 16384
"""Bytes per page of a new SQLite ledger. A night appends a million rows to a few
B-trees: in 16 KiB pages SQLite splits, balances and logs a quarter as many pages as in
its default 4 KiB (a million claims' insert, index and commit 3.9 s against 5.1 s; 32
and 64 KiB were slower, and point lookups cost the same; measured)."""

CACHE_SIZE = -262144
"""SQLite's page cache per connection, in KiB (negative): 256 MB."""

SORTER_THREADS = 2
"""Helper threads SQLite's sorter may use (the night's machine has two cores)."""


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
            # Before anything is written: a new ledger file takes it, an existing one keeps
            # the page size it was made with.
            cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # SQLite's default page cache is 2 MB: a night of a million claims then spills
            # its unique-key index to disk and inserts slow down as the ledger grows.
            # 256 MB of cache keeps the bulk path linear.
            cursor.execute(f"PRAGMA cache_size={CACHE_SIZE}")
            # Temp storage stays SQLite's default (files, unlinked as they are opened):
            # with temp_store=MEMORY its sorter sorts everything in one list in memory,
            # and CREATE INDEX of a million fingerprints took 2.2 s against 1.3 s sorted
            # in runs on two threads (a night, measured); temporary tables inside a
            # transaction cost the same either way (a million keys: 0.55 s both).
            cursor.execute(f"PRAGMA threads={SORTER_THREADS}")
            cursor.close()

        @event.listens_for(engine, "checkin")
        def _staging_detached(dbapi_connection: Any, _record: Any) -> None:
            # The bulk path's staging files (already unlinked) give their space back once
            # detached; a connection back in the pool has no transaction left to read them.
            # Only cleanup: a connection that cannot even list its databases is closed soon.
            with contextlib.suppress(sqlite3.Error):
                detach_finished_stages(dbapi_connection)
                dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")

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


def defer_checkpoint(connection: Connection) -> None:
    """Let the transaction about to commit on `connection` skip SQLite's checkpoint.

    Why: the night's one large transaction leaves ~1.4 GB in the WAL at a million claims,
    and the checkpoint at its commit copied it into the ledger file on the night's critical
    path (0.5 to 0.7 s). The commit is durable without it (the WAL is synced at commit,
    [synchronous] FULL); `checkpoint_beside` copies it meanwhile. The connection's own
    automatic checkpoint comes back when it returns to the pool. Nothing on PostgreSQL.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")


def checkpoint_beside(engine: Engine) -> threading.Thread | None:
    """Copy the ledger's WAL into its file on a connection and thread of their own (a
    passive checkpoint: it never blocks the night's writes); join the thread before the run
    ends. None where there is nothing to do (PostgreSQL, an in-memory ledger)."""
    path = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:":
        return None

    def checkpoint() -> None:
        with contextlib.suppress(sqlite3.Error):
            connection = sqlite3.connect(path, timeout=60)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                connection.close()

    thread = threading.Thread(target=checkpoint, name="ledger-checkpoint", daemon=True)
    thread.start()
    return thread


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
