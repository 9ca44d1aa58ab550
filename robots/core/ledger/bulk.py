"""Reading and writing the ledger. Functions take the connection as a keyword argument,
so the caller decides the transaction (one per night's decisions, one per batch step).

Bulk paths never build ORM objects or per-row Python: a frame goes to the database as
Arrow columns, by COPY on PostgreSQL and by one `executemany` fed from a lazy zip of the
columns on SQLite. Inserts are plain: the pipeline has already set aside every key the
ledger knows, so a unique-key conflict means something is wrong (a second run, a bug),
and it must fail the night's transaction rather than skip a claim in silence. The
unique constraints stay the last line of defence: a claim key cannot enter twice.
"""

from __future__ import annotations

import gc
import io
import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Table, exc, text
from sqlalchemy.schema import CreateIndex, DropIndex

from robots.core.ledger.schema import (
    Claim,
)
from robots.core.ledger.sqlite_staging import (
    STAGED_TABLE,
    attach_staged_rows,
    detach_finished_stages,
    room_to_attach,
)

BATCH_ROWS = 65_536
"""Rows turned into driver values at a time: memory stays flat whatever the night's size."""

PARALLEL_FROM_ROWS = 200_000
"""From this many rows a staged insert is written as two halves side by side (two cores):
a million claims' staging file took 1.2 s alone, 0.6 s as two halves (measured)."""

STAGE_FROM_ROWS = 20_000
"""From this many rows SQLite takes them from a staging file written in C (sqlite_staging):
below it the file, the driver and the attach cost more than binding saves."""


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _arrow_column(column: pd.Series) -> pa.Array:
    """A column as Arrow, dates as date32 (the ledger stores days, never times)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        days = column.to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
        return pa.array(days, type=pa.date32(), mask=column.isna().to_numpy())
    if column.dtype == object and column.isna().all():
        return pa.nulls(len(column), pa.string())
    return pa.array(column, from_pandas=True)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while millions of plain values are made.

    Values and tuples are not cycles, but each allocation burst triggers a scan of every
    tracked object; at a million rows those scans cost more than the insert itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _dates_as_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Dates as the ISO text SQLAlchemy stores on SQLite."""
    return pa.RecordBatch.from_arrays(
        [c.cast(pa.string()) if pa.types.is_date(c.type) else c for c in batch.columns],
        names=batch.schema.names,
    )


@contextmanager
def _as_sqlalchemy_error(connection: Connection, statement: str) -> Iterator[None]:
    """Driver errors raised as SQLAlchemy's (IntegrityError, ...), as on every other path."""
    base = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except base as error:
        raise exc.DBAPIError.instance(
            statement, None, error, base, dialect=connection.dialect
        ) from error


def _same_value_literal(column: pa.Array) -> str | None:
    """The SQL literal of a column holding one value in every row (None if it does not).

    Why: the driver binds every value of every row, and a night's rows repeat the run, the
    robot and empty keys a million times; written once into the statement instead, a
    million claims bind four columns fewer (measured: 4.9 -> 3.4 s of CPU). Only plain
    values qualify, and text is quoted the one way SQLite reads it (quotes doubled).
    """
    rows = len(column)
    if rows == 0:
        return None
    if column.null_count == rows:
        return "NULL"
    if column.null_count or not pc.all(pc.equal(column, column[0])).as_py():
        return None
    value = column[0].as_py()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _insert_sqlite(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    parts: Sequence[Iterable[pa.RecordBatch]],
    rows: int,
) -> None:
    """Many rows through staging files written in C (sqlite_staging), a few by executemany.

    Both routes end in the same ledger rows; the property test of the bulk paths holds
    them equal, value and storage class.
    """
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    if rows >= STAGE_FROM_ROWS:
        detach_finished_stages(driver)
        if room_to_attach(driver, len(parts)):
            _insert_sqlite_staged(connection, driver, table, columns, parts)
            return
    _insert_sqlite_bound(connection, table, columns, itertools.chain.from_iterable(parts))


def _insert_sqlite_staged(
    connection: Connection,
    driver: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    parts: Sequence[Iterable[pa.RecordBatch]],
) -> None:
    stages = attach_staged_rows(
        driver, columns, [(_dates_as_text(batch) for batch in part) for part in parts]
    )
    names = ", ".join(columns)
    # In the parts' order (a compound SELECT yields its members one after the other):
    # rows keep the order they came in, so reserved keys are appended in ascending order.
    selects = " UNION ALL ".join(f"SELECT {names} FROM {stage}.{STAGED_TABLE}" for stage in stages)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) {selects}")


def _insert_sqlite_bound(
    connection: Connection, table: str, columns: Sequence[str], batches: Iterable[pa.RecordBatch]
) -> None:
    """The plain route: the driver binds each row's values (what few rows need)."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES (...)"
    cursor = connection.connection.cursor()
    try:
        with _collector_paused(), _as_sqlalchemy_error(connection, sql):
            for batch in batches:
                batch = _dates_as_text(batch)
                literals = [_same_value_literal(column) for column in batch.columns]
                bound = [
                    c for c, literal in zip(batch.columns, literals, strict=True) if literal is None
                ]
                values = ", ".join("?" if literal is None else literal for literal in literals)
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"
                # A lazy zip: the driver binds one row tuple at a time and zip reuses it.
                rows = zip(*(column.to_pylist() for column in bound), strict=True)
                if bound:
                    cursor.executemany(sql, rows)  # type: ignore[arg-type]  # any iterable
                else:  # every column the same: the statement once per row
                    cursor.executemany(sql, [()] * batch.num_rows)
    finally:
        cursor.close()


def _copy_postgres(
    connection: Connection, table: str, columns: Sequence[str], batches: Iterable[pa.RecordBatch]
) -> None:
    """COPY in CSV written by Arrow: strings quoted, NULL as an empty unquoted field."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    options = pacsv.WriteOptions(include_header=False, batch_size=BATCH_ROWS)
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        with _as_sqlalchemy_error(connection, sql), cursor.copy(sql) as copy:
            for batch in batches:
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, options)
                copy.write(buffer.getbuffer())
    finally:
        cursor.close()


def _insert_batches(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    parts: Sequence[Iterable[pa.RecordBatch]],
    rows: int,
) -> None:
    """`parts`: the rows in order, in one or two consecutive parts (see `_halves`)."""
    if is_postgres(connection):
        _copy_postgres(connection, table, columns, itertools.chain.from_iterable(parts))
    else:
        _insert_sqlite(connection, table, columns, parts, rows)


def _halves(rows: int) -> list[tuple[int, int]]:
    """Row ranges a bulk insert is staged in: two from PARALLEL_FROM_ROWS (split on a
    slice boundary, so the halves convert in whole slices), else one."""
    if rows < PARALLEL_FROM_ROWS:
        return [(0, rows)]
    middle = -(-rows // 2 // BATCH_ROWS) * BATCH_ROWS
    return [(0, middle), (middle, rows)]


def _frame_batches(frame: pd.DataFrame) -> Iterator[pa.RecordBatch]:
    """The frame as Arrow a slice at a time: a whole million-row copy is never held."""
    for start in range(0, len(frame), BATCH_ROWS):
        part = frame.iloc[start : start + BATCH_ROWS]
        # A pyarrow-backed column comes out chunked: the slice as a table, in batches.
        yield from pa.table(
            {name: _arrow_column(column) for name, column in part.items()}
        ).to_batches()


def bulk_insert(*, connection: Connection, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of `frame` (column names = table columns) in one bulk statement.

    Any constraint the rows break fails the statement, and so the caller's transaction.
    """
    if frame.empty:
        return
    parts = [_frame_batches(frame.iloc[start:end]) for start, end in _halves(len(frame))]
    _insert_batches(connection, table, list(frame.columns), parts, len(frame))


def _hold_sqlite_write_lock(connection: Connection) -> None:
    """Make sure this SQLite transaction has begun and holds the single write lock.

    The driver begins a transaction only at the first INSERT/UPDATE/DELETE; DDL or reads
    before that would run on their own. A write that changes nothing begins it, and
    from then on no other writer can change the ledger until this transaction ends.
    """
    connection.exec_driver_sql("UPDATE claims SET id = id WHERE 1 = 0")


def reserve_claim_pks(*, connection: Connection, count: int) -> np.ndarray:
    """`count` new claim primary keys, in ascending order, taken before the insert.

    Knowing the keys up front links findings to their claims without reading a million
    keys back (see `_reserve_ids`).
    """
    return _reserve_ids(connection, "claims", count)


def reserve_transfer_ids(*, connection: Connection, count: int) -> np.ndarray:
    """`count` new payment transfer ids, in ascending order, taken before the insert.

    Knowing the ids up front links payment items to their transfers without reading a
    batch's transfers back (see `_reserve_ids`).
    """
    return _reserve_ids(connection, "payment_transfers", count)


def reserve_ids(*, connection: Connection, table: str, count: int) -> np.ndarray:
    """`count` new ids of any table keyed by an integer `id`, ascending (see `_reserve_ids`)."""
    return _reserve_ids(connection, table, count)


def _reserve_ids(connection: Connection, table: str, count: int) -> np.ndarray:
    """`count` new values of `table`'s integer primary key `id`, ascending.

    PostgreSQL takes them from the column's sequence (safe with concurrent writers);
    SQLite continues after the largest id, as it would itself, and holds its single write
    lock until the caller's transaction ends. `table` is one of ours, never input.
    """
    if count == 0:
        return np.empty(0, dtype=np.int64)
    if is_postgres(connection):
        # One row back, not a million: the range when the sequence gave one (no other
        # writer drew ids meanwhile), the ids themselves only when it did not.
        low, high, scattered = connection.exec_driver_sql(
            f"WITH r AS (SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS v "
            "FROM generate_series(1, %(count)s)) "
            "SELECT MIN(v), MAX(v), CASE WHEN MAX(v) - MIN(v) + 1 = COUNT(*) THEN NULL "
            "ELSE array_agg(v ORDER BY v) END FROM r",
            {"count": count},
        ).one()
        if scattered is not None:
            return np.asarray(scattered, dtype=np.int64)
        return np.arange(int(low), int(high) + 1, dtype=np.int64)
    _hold_sqlite_write_lock(connection)
    largest = connection.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar_one()
    return np.arange(int(largest) + 1, int(largest) + 1 + count, dtype=np.int64)


@contextmanager
def claim_lookup_index_deferred(*, connection: Connection, incoming: int) -> Iterator[None]:
    """On SQLite, build the fingerprint index once after a bulk insert that doubles the ledger.

    Fingerprints arrive in random order, and a random insert into a large B-tree index
    costs SQLite several times a sequential one: for a million claims, more than the rest
    of the insert. Sorting once (CREATE INDEX) is cheaper while the ledger holds no more
    claims than tonight adds; past that, keeping the index up to date wins, so it is left
    alone. DDL is transactional in SQLite: a failed or killed night restores the index
    with everything else. PostgreSQL keeps its index (dropping one would lock the table
    against readers until commit).
    """
    table: Table = Claim.__table__  # type: ignore[assignment]  # declarative: a Table
    index = next(i for i in table.indexes if i.name == "ix_claims_fingerprint")
    defer = not is_postgres(connection) and incoming > 0
    if defer:
        _hold_sqlite_write_lock(connection)
        held = connection.exec_driver_sql("SELECT COUNT(*) FROM claims").scalar_one()
        defer = int(held) <= incoming
    if not defer:
        yield
        return
    connection.execute(DropIndex(index))
    yield
    with _sorted_in_small_runs(connection):
        connection.execute(CreateIndex(index))


SORT_RUN_KIB = 4096
"""SQLite's page cache while CREATE INDEX sorts, in KiB: its sorter sorts runs as large as
the cache and merges them. Runs of 4 MB fit the processor's cache and go to the sorter's
helper threads; with the ledger's 256 MB the whole night was one run (the fingerprint
index of 910,000 claims: 0.7 s against 1.3 s, measured; 1 to 8 MB alike)."""


@contextmanager
def _sorted_in_small_runs(connection: Connection) -> Iterator[None]:
    """The connection's page cache at SORT_RUN_KIB for the statements inside, then back."""
    size = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SORT_RUN_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(size)}")


def in_list(name: str, values: Sequence[Any], *, empty: str = "NULL") -> tuple[str, dict[str, Any]]:
    """An `IN (...)` list of named parameters (`:name0, :name1, ...`) and their values;
    `empty` stands in the brackets when there are none (SQL has no empty list)."""
    marks = ", ".join(f":{name}{n}" for n in range(len(values))) or empty
    return marks, {f"{name}{n}": value for n, value in enumerate(values)}


def driver_query(
    connection: Connection, sql: str, params: Mapping[str, Any]
) -> tuple[str, Sequence[Any] | Mapping[str, Any]]:
    """SQL with `:name` parameters in the driver's own placeholder style, with its values."""
    compiled = text(sql).compile(dialect=connection.dialect)
    values = compiled.construct_params(dict(params))
    if compiled.positional:
        return compiled.string, tuple(values[name] for name in compiled.positiontup or ())
    return compiled.string, values


def read_frame(
    *,
    connection: Connection,
    sql: str,
    columns: Sequence[str],
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A query's rows as a frame, fetched as plain tuples through the driver's cursor.

    SQLAlchemy's Row objects cost more than the query itself at a million rows. Values
    go in as bound `:name` parameters, never into the SQL text.
    """
    statement, values = driver_query(connection, sql, params or {})
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement, values)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=list(columns))


def read_arrow(
    *,
    connection: Connection,
    columns: Mapping[str, tuple[str, pa.DataType]],
    source: str,
    params: Mapping[str, Any],
) -> pa.Table:
    """`SELECT <expressions> <source>` as an Arrow table, handed over as one CSV text.

    Why: fetching a million rows as Python tuples costs seconds; the database writes them
    as one text instead (PostgreSQL `COPY ... TO STDOUT`, SQLite `group_concat` of
    `quote()`d values) and Arrow's CSV reader (C) parses it. Every text value is quoted,
    so any content, newlines and separators included, comes back exactly; integer columns
    go unquoted on SQLite (quote() of 1.5 million numbers cost 0.2 s, and anything but a
    whole number there fails Arrow's int parse instead of passing). `columns` maps
    each output name to its SQL expression and Arrow type; `source` is the FROM/WHERE
    part with `:name` parameters. Expressions must not be NULL (SQLite drops such rows).
    """
    names = list(columns)
    types = {name: arrow_type for name, (_, arrow_type) in columns.items()}
    if connection.dialect.name == "postgresql":
        data, quote = _copy_out_postgres(connection, columns, source, params), '"'
        expected = None
    else:
        row = " || ',' || ".join(
            expr if pa.types.is_integer(arrow_type) else f"quote({expr})"
            for expr, arrow_type in columns.values()
        )
        expected, text_rows = connection.execute(
            text(f"SELECT COUNT(*), group_concat({row}, char(10)) {source}"), dict(params)
        ).one()
        data, quote = (text_rows or "").encode("utf-8"), "'"
    if not data:
        return pa.table({n: pa.array([], type=t) for n, t in types.items()})
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(
            quote_char=quote, double_quote=True, escape_char=False, newlines_in_values=True
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    if expected is not None and table.num_rows != int(expected):
        raise RuntimeError(
            f"read {table.num_rows} rows from the ledger where it holds {expected}; "
            "nothing was changed, run again"
        )
    return table


def _copy_out_postgres(
    connection: Connection,
    columns: Mapping[str, tuple[str, pa.DataType]],
    source: str,
    params: Mapping[str, Any],
) -> bytes:
    select_list = ", ".join(f"{expr} AS {name}" for name, (expr, _) in columns.items())
    query = str(text(f"SELECT {select_list} {source}").compile(dialect=connection.dialect))
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", dict(params)) as copy:
            return b"".join(bytes(block) for block in copy)
    finally:
        cursor.close()


def insert_arrow(*, connection: Connection, table: str, data: pa.Table) -> None:
    """Insert every row of `data` (column names = table columns) in one bulk operation:
    COPY on PostgreSQL, staged or bound on SQLite (the paths `bulk_insert` uses)."""
    if data.num_rows == 0:
        return
    parts = [
        data.slice(start, end - start).to_batches(max_chunksize=BATCH_ROWS)
        for start, end in _halves(data.num_rows)
    ]
    _insert_batches(connection, table, data.column_names, parts, data.num_rows)


# Lookups name the small key table first with CROSS JOIN: SQLite then loops over tonight's
# keys and probes the claims index, instead of walking a robot's whole index (3.3 s against
# 0.5 s CPU at a million claims, measured); PostgreSQL plans a CROSS JOIN with a WHERE like
# any inner join.
def temp_table(*, connection: Connection, name: str, frame: pd.DataFrame, key: str) -> None:
    """A temporary table (made afresh) of whole numbers and short texts, keyed by `key`,
    filled in bulk: what a set-based statement joins against instead of literals."""
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    columns = ", ".join(
        f"{c} {'BIGINT' if pd.api.types.is_integer_dtype(frame[c]) else 'VARCHAR(400)'}"
        f"{' PRIMARY KEY' if c == key else ''}"
        for c in frame.columns
    )
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({columns})")
    bulk_insert(connection=connection, table=name, frame=frame)
    if is_postgres(connection):
        # Autovacuum never analyses a temporary table: without this the planner guesses
        # a few thousand rows, whatever was copied in, and plans the joins by the guess.
        connection.exec_driver_sql(f"ANALYZE {name}")


def lookup_via_temp_table(
    *,
    connection: Connection,
    values: Iterable[str],
    query: str,
    columns: Sequence[str],
    params: Mapping[str, Any] | None = None,
    candidates: str | None = None,
) -> pd.DataFrame:
    """Join a set of keys against the ledger through a temporary table (one round trip).

    `candidates` selects a row if the ledger holds anything the query could find; when it
    holds nothing (a first night, a robot's first claims) no key is sent at all: a million
    keys cost ~1 s to send for nothing.

    The keys go in distinct and sorted, so the ledger's index is probed in key order.
    On SQLite the temporary table has no primary key: the `CROSS JOIN` makes it the
    outer loop, so its index would never be read, and building it cost ~1 s of the
    ~1.6 s a million keys took (measured). PostgreSQL keeps it (cheap there under COPY,
    and it tells the planner the keys are unique).
    """
    if candidates is not None:
        statement, bound = driver_query(connection, candidates, params or {})
        if connection.exec_driver_sql(statement, bound).first() is None:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    connection.exec_driver_sql("DROP TABLE IF EXISTS tmp_lookup")
    key = "PRIMARY KEY" if is_postgres(connection) else ""
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE tmp_lookup (k VARCHAR(120) {key})")
    bulk_insert(
        connection=connection, table="tmp_lookup", frame=pd.DataFrame({"k": distinct(values)})
    )
    found = read_frame(connection=connection, sql=query, columns=columns, params=params)
    connection.exec_driver_sql("DROP TABLE tmp_lookup")
    return found


def distinct(values: Iterable[str]) -> pd.Series:
    """The values without missing ones and repeats, sorted, hashed and sorted by Arrow.

    pandas' `drop_duplicates` on Arrow strings factorizes through its own hash table,
    about twice what Arrow's `unique` costs for a million keys.
    """
    array = pa.array(pd.Series(values, dtype="string[pyarrow]").array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    unique = pc.unique(array.drop_null())
    return pd.Series(pd.array(unique.take(pc.array_sort_indices(unique)), dtype="string"))


def chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
