"""The night's large commit leaves its checkpoint to a thread beside the later stages.

Why this matters: the commit must stay durable and the ledger file must end up holding
every page, while the connection the night commits on gets its automatic checkpoint back
(a WAL nobody checkpoints grows without end).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from robots.core.ledger.database import (
    AUTOCHECKPOINT_PAGES,
    checkpoint_beside,
    defer_checkpoint,
    open_ledger,
)


def _write_many_pages(engine: Engine, deferred: bool) -> None:
    with engine.begin() as connection:
        if deferred:
            defer_checkpoint(connection)
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (x TEXT)"))
        connection.execute(
            text("INSERT INTO filler (x) VALUES (:x)"),
            [{"x": "z" * 2000} for _ in range(3000)],  # ~1,500 pages: above the threshold
        )


def _wal_frames_not_in_file(engine: Engine) -> int:
    """WAL frames not yet copied into the ledger file (a passive checkpoint's figures,
    asked of a connection that checkpoints nothing it was not asked to)."""
    with engine.connect() as connection:
        _busy, logged, copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return int(logged) - int(copied)


def test_a_deferred_commit_is_checkpointed_beside_and_the_connection_gets_its_own_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite"
    engine = open_ledger(f"sqlite:///{path}")
    try:
        _write_many_pages(engine, deferred=True)
        with engine.connect() as connection:
            (pages,) = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").one()
            assert pages == AUTOCHECKPOINT_PAGES, "the pool gave back a connection left at 0"
            (frames,) = connection.exec_driver_sql(
                "SELECT COUNT(*) FROM filler"
            ).one()  # the commit is there, read through the WAL
        assert frames == 3000
        written = 3000 * 2000  # bytes of the rows: in the WAL, not yet in the file
        assert path.stat().st_size < written, "the commit checkpointed after all"

        thread = checkpoint_beside(engine)
        assert thread is not None
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert path.stat().st_size > written
        assert _wal_frames_not_in_file(engine) == 0
    finally:
        engine.dispose()


def test_without_deferring_the_commit_checkpoints_itself(tmp_path: Path) -> None:
    """The counterpart: the same commit, not deferred, leaves nothing to copy (so the test
    above sees the deferral, not SQLite's habit)."""
    path = tmp_path / "ledger.sqlite"
    engine = open_ledger(f"sqlite:///{path}")
    try:
        _write_many_pages(engine, deferred=False)
        with engine.connect() as connection:
            _busy, logged, copied = connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).one()
        # The commit's own checkpoint copied the WAL: this one found it done already.
        assert int(logged) == int(copied)
    finally:
        engine.dispose()


def test_on_postgresql_there_is_nothing_to_checkpoint(ledger_url: str) -> None:
    engine = open_ledger(ledger_url)
    try:
        with engine.begin() as connection:
            defer_checkpoint(connection)  # a no-op there, and no error
        is_sqlite = ledger_url.startswith("sqlite")
        thread = checkpoint_beside(engine)
        assert (thread is None) != is_sqlite
        if thread is not None:
            thread.join(timeout=60)
    finally:
        engine.dispose()
