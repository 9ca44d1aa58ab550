"""A bulk insert's rows handed to SQLite by C code, not by the Python interpreter.

Why: Python's sqlite3 binds every value of every row through the interpreter. For a
night's 910,000 claims of 16 bound values that binding costs ~3 of the insert's 4 seconds;
SQLite's own work (the rows, the unique key) is under one (measured: `INSERT ... SELECT`
of the same rows from another file 0.9 s, `executemany` 4.0 s). ADBC's SQLite driver (the
Apache Arrow project's, C, its own SQLite built in) writes Arrow batches straight into a
private staging file; the ledger's own connection attaches that file and copies the rows
with one `INSERT ... SELECT`, inside the caller's transaction. So the night stays one
transaction, every constraint of the ledger still checks every row, and a failure rolls
back as before; only the route the values take changed.

The staging file lives in a fresh private folder (mode 0700) beside the ledger (the same
disk and the same protection as the personal data it holds) and is unlinked the moment
the ledger has attached it: no copy is left behind, whatever happens after. SQLite cannot
detach a database read in a transaction that is still open, so staging schemas are
detached later, at the next bulk insert or when the connection goes back to the pool;
the disk space of the unlinked file is returned then. A process killed while it wrote
a staging file leaves its folder; the next bulk insert beside the ledger removes it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import adbc_driver_manager as adbc
import adbc_driver_sqlite
import pyarrow as pa

STAGE_PREFIX = "bulk_stage_"
"""The schema names staging files are attached under (never a name of ours otherwise)."""

STAGED_TABLE = "rows"

STAGING_FOLDER_PREFIX = ".ledger-staging-"

ABANDONED_AFTER_SECONDS = 3600.0
"""A staging folder this old belongs to no live insert (a night's largest takes seconds)."""

_numbers = itertools.count(1)


def _plain_types(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Dictionary columns (pandas categories) as their values: what the ledger stores."""
    if not any(pa.types.is_dictionary(c.type) for c in batch.columns):
        return batch
    return pa.RecordBatch.from_arrays(
        [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in batch.columns],
        names=batch.schema.names,
    )


def _run(statement: Any, sql: str) -> None:
    statement.set_sql_query(sql)
    handle, _ = statement.execute_query()
    pa.RecordBatchReader.from_stream(handle).read_all()


def write_staging_file(
    path: Path, columns: Sequence[str], batches: Iterable[pa.RecordBatch]
) -> int:
    """Every batch (its columns named `columns`) into table `rows` of a new SQLite file at
    `path`; the number of rows.

    The table's columns have no declared type, so each value keeps the storage class its
    Arrow type gives (as a bound value would): a slice whose column held only None comes
    as text and the next as integers, and each is written as it is, a run of slices of
    one schema at a time. No journal and no sync: the file is a scratch copy, useless
    after a crash (the caller's transaction is gone too).
    """
    database = adbc_driver_sqlite.connect(str(path))
    try:
        connection = adbc.AdbcConnection(database)
        try:
            statement = adbc.AdbcStatement(connection)
            try:
                _run(statement, "PRAGMA journal_mode=OFF")
                _run(statement, "PRAGMA synchronous=OFF")
                names = ", ".join('"' + name.replace('"', '""') + '"' for name in columns)
                _run(statement, f"CREATE TABLE {STAGED_TABLE} ({names})")
                written = 0
                for schema, run in itertools.groupby(
                    (_plain_types(b) for b in batches), key=lambda b: b.schema
                ):
                    statement.set_options(
                        **{
                            adbc.INGEST_OPTION_TARGET_TABLE: STAGED_TABLE,
                            adbc.INGEST_OPTION_MODE: adbc.INGEST_OPTION_MODE_APPEND,
                        }
                    )
                    statement.bind_stream(pa.RecordBatchReader.from_batches(schema, run))
                    written += int(statement.execute_update())
                return written
            finally:
                statement.close()
        finally:
            connection.close()
    finally:
        database.close()


def _databases(driver: sqlite3.Connection) -> dict[str, str]:
    """The connection's databases (main, temp, attached) by name, each with its file."""
    return {name: file for _, name, file in driver.execute("PRAGMA database_list").fetchall()}


def _ledger_folder(driver: sqlite3.Connection) -> str | None:
    """The folder of the ledger's main file (None for an in-memory ledger)."""
    file = _databases(driver).get("main")
    return str(Path(file).parent) if file else None


def detach_finished_stages(driver: sqlite3.Connection) -> None:
    """Detach every staging schema no open transaction still reads (the rest stay)."""
    for name in [n for n in _databases(driver) if n.startswith(STAGE_PREFIX)]:
        try:
            driver.execute(f"DETACH DATABASE {name}")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise


def room_to_attach(driver: sqlite3.Connection, count: int) -> bool:
    """Whether `count` more databases can be attached (SQLite allows ten at a time)."""
    attached = [name for name in _databases(driver) if name not in ("main", "temp")]
    return len(attached) + count <= driver.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)


def remove_abandoned_staging(folder: str | None, *, older_than_seconds: float) -> None:
    """Staging folders a killed process left behind (a copy of some rows, personal data
    among them): removed once older than any bulk insert takes, so no live one is touched."""
    base = Path(folder or tempfile.gettempdir())
    now = time.time()
    for stale in base.glob(f"{STAGING_FOLDER_PREFIX}*"):
        with contextlib.suppress(OSError):  # another process removed it first
            if now - stale.stat().st_mtime > older_than_seconds:
                shutil.rmtree(stale)


def attach_staged_rows(
    driver: sqlite3.Connection,
    columns: Sequence[str],
    parts: Sequence[Iterable[pa.RecordBatch]],
) -> list[str]:
    """Write each part's batches to a staging file of its own, the parts side by side
    (ADBC writes without the interpreter's lock: two parts on two cores take half the
    time), attach them, unlink them; the schema names to read, in the parts' order."""
    ledger_folder = _ledger_folder(driver)
    remove_abandoned_staging(ledger_folder, older_than_seconds=ABANDONED_AFTER_SECONDS)
    folder = tempfile.mkdtemp(prefix=STAGING_FOLDER_PREFIX, dir=ledger_folder)
    try:
        paths = [Path(folder) / f"rows-{number}.sqlite" for number in range(len(parts))]
        with ThreadPoolExecutor(max_workers=len(parts)) as pool:
            for written in [
                pool.submit(write_staging_file, path, columns, part)
                for path, part in zip(paths, parts, strict=True)
            ]:
                written.result()
        names = []
        for path in paths:
            name = f"{STAGE_PREFIX}{os.getpid()}_{next(_numbers)}"
            driver.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
            names.append(name)
        return names
    finally:
        shutil.rmtree(folder, ignore_errors=True)
