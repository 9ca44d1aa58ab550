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
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Table, exc, func, insert, select, text, update
from sqlalchemy.schema import CreateIndex, DropIndex

from robots.core.ledger.schema import (
    AuditEvent,
    Claim,
    ClaimException,
    Run,
    RunStatus,
    SourceFile,
    WaitingClaim,
)

_BATCH_ROWS = 65_536
"""Rows turned into driver values at a time: memory stays flat whatever the night's size."""


def _is_postgres(connection: Connection) -> bool:
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
    connection: Connection, table: str, columns: Sequence[str], batches: Iterable[pa.RecordBatch]
) -> None:
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
    options = pacsv.WriteOptions(include_header=False, batch_size=_BATCH_ROWS)
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
    connection: Connection, table: str, columns: Sequence[str], batches: Iterable[pa.RecordBatch]
) -> None:
    if _is_postgres(connection):
        _copy_postgres(connection, table, columns, batches)
    else:
        _insert_sqlite(connection, table, columns, batches)


def _frame_batches(frame: pd.DataFrame) -> Iterator[pa.RecordBatch]:
    """The frame as Arrow a slice at a time: a whole million-row copy is never held."""
    for start in range(0, len(frame), _BATCH_ROWS):
        part = frame.iloc[start : start + _BATCH_ROWS]
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
    _insert_batches(connection, table, list(frame.columns), _frame_batches(frame))


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


def _reserve_ids(connection: Connection, table: str, count: int) -> np.ndarray:
    """`count` new values of `table`'s integer primary key `id`, ascending.

    PostgreSQL takes them from the column's sequence (safe with concurrent writers);
    SQLite continues after the largest id, as it would itself, and holds its single write
    lock until the caller's transaction ends. `table` is one of ours, never input.
    """
    if count == 0:
        return np.empty(0, dtype=np.int64)
    if _is_postgres(connection):
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
    defer = not _is_postgres(connection) and incoming > 0
    if defer:
        _hold_sqlite_write_lock(connection)
        held = connection.exec_driver_sql("SELECT COUNT(*) FROM claims").scalar_one()
        defer = int(held) <= incoming
    if not defer:
        yield
        return
    connection.execute(DropIndex(index))
    yield
    connection.execute(CreateIndex(index))


def _driver_query(
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
    statement, values = _driver_query(connection, sql, params or {})
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
    COPY on PostgreSQL, batched executemany on SQLite (the paths `bulk_insert` uses)."""
    if data.num_rows == 0:
        return
    _insert_batches(
        connection, table, data.column_names, data.to_batches(max_chunksize=_BATCH_ROWS)
    )


_TRANSFER_COLUMNS = {
    "end_to_end_id": ("t.end_to_end_id", pa.string()),
    "payee_kind": ("t.payee_kind", pa.string()),
    "payee_id": ("t.payee_id", pa.string()),
    "amount_oere": ("t.amount_oere", pa.int64()),
    "claims": ("t.claims", pa.int64()),
    "remittance": ("t.remittance", pa.string()),
}


def payable_claims(*, connection: Connection, robot: str, with_source_ids: bool = True) -> pa.Table:
    """A robot's claims decided 'pay' that are in no payment yet and have no history after
    the night (in no particular order), with the sender's own id of each (unless the robot
    has none but the claim id: then a million such ids are not read twice). Claims that a
    person's decision makes payable are `claims_due_again`."""
    source_id = "COALESCE(c.source_id, c.claim_id)" if with_source_ids else None
    # Asked only when some claim has a history: a million lookups in an empty table cost.
    no_history = (
        " AND NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_pk = c.id)"
        if connection.execute(text("SELECT 1 FROM claim_events LIMIT 1")).first()
        else ""
    )
    return read_arrow(
        connection=connection,
        columns={
            "claim_pk": ("c.id", pa.int64()),
            "claim_id": ("c.claim_id", pa.string()),
            **({"source_id": (source_id, pa.string())} if source_id else {}),
            "payee_kind": ("c.payee_kind", pa.string()),
            "payee_id": ("c.payee_id", pa.string()),
            "amount_oere": ("c.amount_oere", pa.int64()),
        },
        source="FROM claims c WHERE c.robot = :robot AND c.decision = 'pay' "
        "AND NOT EXISTS (SELECT 1 FROM payment_items i WHERE i.claim_pk = c.id)" + no_history,
        params={"robot": robot},
    )


def claims_due_again(*, connection: Connection, robot: str) -> pa.Table:
    """Claims a person's latest decision makes payable and that are not paid for it: a held
    claim released (or its hold a false alarm), attempt 1; a returned one approved to be
    paid again, as the attempt the approval names (`approved_by_event_id`, else 0)."""
    return read_arrow(
        connection=connection,
        columns={
            "claim_pk": ("c.id", pa.int64()),
            "claim_id": ("c.claim_id", pa.string()),
            "source_id": ("COALESCE(c.source_id, c.claim_id)", pa.string()),
            "payee_kind": ("c.payee_kind", pa.string()),
            "payee_id": ("c.payee_id", pa.string()),
            "amount_oere": ("c.amount_oere", pa.int64()),
            "attempt": ("COALESCE(e.attempt, 1)", pa.int64()),
            # 0: none (read_arrow reads no NULL); a first attempt names no approval.
            "approved_by_event_id": (
                "CASE WHEN e.kind = 'repay_approved' THEN e.id ELSE 0 END",
                pa.int64(),
            ),
        },
        source="FROM claim_events e JOIN claims c ON c.id = e.claim_pk "
        "WHERE c.robot = :robot AND e.kind IN ('released', 'false_alarm', 'repay_approved') "
        "AND e.seq = (SELECT MAX(x.seq) FROM claim_events x WHERE x.claim_pk = e.claim_pk) "
        "AND NOT EXISTS (SELECT 1 FROM payment_items i "
        "WHERE i.claim_pk = c.id AND i.attempt = COALESCE(e.attempt, 1))",
        params={"robot": robot},
    )


def bill_keys(
    *, connection: Connection, claim_pks: list[int]
) -> list[tuple[int, str, str, str | None]]:
    """claim_pk, claim_id, fingerprint and bill_key of the given claims (a few: released)."""
    if not claim_pks:
        return []
    placeholders = ", ".join(f":c{n}" for n in range(len(claim_pks)))
    rows = connection.execute(
        text(
            "SELECT id, claim_id, fingerprint, bill_key FROM claims "
            f"WHERE id IN ({placeholders}) ORDER BY id"
        ),
        {f"c{n}": pk for n, pk in enumerate(claim_pks)},
    ).all()
    return [(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]


def copies_paid_since_held(*, connection: Connection, claim_pks: list[int]) -> dict[int, str]:
    """For released claims, a copy of each (same bill, or the same request) paid in a batch
    made after the claim was held (its run, or the robot's last hold of it again): the
    claim id of that copy. What a person released must not be paid a second time."""
    if not claim_pks:
        return {}
    placeholders = ", ".join(f":c{n}" for n in range(len(claim_pks)))
    rows = connection.execute(
        text(
            "SELECT c.id, MIN(o.claim_id) FROM claims c "
            "JOIN runs r ON r.id = c.run_id "
            "JOIN claims o ON o.robot = c.robot AND o.id <> c.id AND (o.fingerprint = "
            "c.fingerprint OR (c.bill_key IS NOT NULL AND o.bill_key = c.bill_key)) "
            "JOIN payment_items i ON i.claim_pk = o.id "
            "JOIN payment_batches b ON b.id = i.batch_id "
            # By the paying run's start (to the microsecond), not the batch's whole second.
            "JOIN runs paying ON paying.id = b.run_id "
            f"WHERE c.id IN ({placeholders}) "
            "AND paying.started_at > COALESCE((SELECT MAX(h.at) FROM claim_events h "
            "WHERE h.claim_pk = c.id AND h.kind = 'held_again'), r.started_at) "
            "AND NOT EXISTS (SELECT 1 FROM claim_events x WHERE x.claim_pk = o.id "
            "AND x.kind = 'returned' AND x.attempt = i.attempt) "
            "GROUP BY c.id"
        ),
        {f"c{n}": pk for n, pk in enumerate(claim_pks)},
    ).all()
    return {int(pk): str(other) for pk, other in rows}


def batch_transfers(*, connection: Connection, batch_id: str) -> pa.Table:
    """A batch's transfers as prepared, in the order they were written (end-to-end order)."""
    rows = read_arrow(
        connection=connection,
        columns={"id": ("t.id", pa.int64()), **_TRANSFER_COLUMNS},
        source="FROM payment_transfers t WHERE t.batch_id = :batch",
        params={"batch": batch_id},
    )
    return rows.sort_by("id").drop_columns(["id"])


def batch_claims(*, connection: Connection, batch_id: str) -> pa.Table:
    """The claims a batch pays, with the amount of each payment item (in no particular order)."""
    return read_arrow(
        connection=connection,
        columns={
            "claim_pk": ("c.id", pa.int64()),
            "claim_id": ("c.claim_id", pa.string()),
            "payee_kind": ("c.payee_kind", pa.string()),
            "payee_id": ("c.payee_id", pa.string()),
            "amount_oere": ("i.amount_oere", pa.int64()),
        },
        source="FROM payment_items i JOIN claims c ON c.id = i.claim_pk WHERE i.batch_id = :batch",
        params={"batch": batch_id},
    )


@dataclass(frozen=True)
class RowsSummary:
    """How many rows, their total in øre, and the smallest and largest id they hold
    (a transfer's own id, an item's transfer id); None for no rows."""

    rows: int
    total_oere: int
    lowest_id: int | None
    highest_id: int | None


def _summary(connection: Connection, sql: str, batch_id: str) -> RowsSummary:
    rows, total, lowest, highest = connection.execute(text(sql), {"batch": batch_id}).one()
    return RowsSummary(
        rows=int(rows),
        total_oere=int(total),
        lowest_id=None if lowest is None else int(lowest),
        highest_id=None if highest is None else int(highest),
    )


def batch_transfer_summary(*, connection: Connection, batch_id: str) -> RowsSummary:
    """A batch's transfers: how many, their total, their lowest and highest id."""
    return _summary(
        connection,
        "SELECT COUNT(*), COALESCE(SUM(amount_oere), 0), MIN(id), MAX(id) "
        "FROM payment_transfers WHERE batch_id = :batch",
        batch_id,
    )


def batch_item_summary(*, connection: Connection, batch_id: str) -> RowsSummary:
    """A batch's payment items: how many, their total, the lowest and highest transfer id."""
    return _summary(
        connection,
        "SELECT COUNT(*), COALESCE(SUM(amount_oere), 0), MIN(transfer_id), MAX(transfer_id) "
        "FROM payment_items WHERE batch_id = :batch",
        batch_id,
    )


def batch_items_in_own_transfers(*, connection: Connection, batch_id: str) -> int:
    """How many of a batch's payment items point at a transfer of that same batch.

    One lookup per item: for when a batch's transfer ids are not one unbroken range.
    """
    count = connection.execute(
        text(
            "SELECT COUNT(*) FROM payment_items i JOIN payment_transfers t "
            "ON t.id = i.transfer_id WHERE i.batch_id = :batch AND t.batch_id = :batch"
        ),
        {"batch": batch_id},
    ).scalar_one()
    return int(count)


# Lookups name the small key table first with CROSS JOIN: SQLite then loops over tonight's
# keys and probes the claims index, instead of walking a robot's whole index (3.3 s against
# 0.5 s CPU at a million claims, measured); PostgreSQL plans a CROSS JOIN with a WHERE like
# any inner join.
def _lookup_via_temp_table(
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
        statement, bound = _driver_query(connection, candidates, params or {})
        if connection.exec_driver_sql(statement, bound).first() is None:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    connection.exec_driver_sql("DROP TABLE IF EXISTS tmp_lookup")
    key = "PRIMARY KEY" if _is_postgres(connection) else ""
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE tmp_lookup (k VARCHAR(120) {key})")
    bulk_insert(
        connection=connection, table="tmp_lookup", frame=pd.DataFrame({"k": _distinct(values)})
    )
    found = read_frame(connection=connection, sql=query, columns=columns, params=params)
    connection.exec_driver_sql("DROP TABLE tmp_lookup")
    return found


def _distinct(values: Iterable[str]) -> pd.Series:
    """The values without missing ones and repeats, sorted, hashed and sorted by Arrow.

    pandas' `drop_duplicates` on Arrow strings factorizes through its own hash table,
    about twice what Arrow's `unique` costs for a million keys.
    """
    array = pa.array(pd.Series(values, dtype="string[pyarrow]").array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    unique = pc.unique(array.drop_null())
    return pd.Series(pd.array(unique.take(pc.array_sort_indices(unique)), dtype="string"))


def claims_already_known(*, connection: Connection, keys: Iterable[str]) -> pd.DataFrame:
    """Claims in the ledger with any of these idempotency keys."""
    return _lookup_via_temp_table(
        connection=connection,
        values=keys,
        query=(
            "SELECT c.idempotency_key, c.id, c.fingerprint, c.run_id, c.decision, c.version "
            "FROM tmp_lookup t CROSS JOIN claims c WHERE c.idempotency_key = t.k"
        ),
        columns=["idempotency_key", "claim_pk", "fingerprint", "run_id", "decision", "version"],
        candidates="SELECT 1 FROM claims LIMIT 1",
    )


STANDING_DECISIONS = ("pay", "hold")
"""Decisions that still stand for a bill: paid (or approved) or held for the control group.
A copy of either must not be paid: the held original may be released."""


def earlier_bills(
    *, connection: Connection, robot: str, fingerprints: Iterable[str]
) -> pd.DataFrame:
    """Claims decided earlier, paid or held (not rejected) and not superseded by a newer
    version, with any of these fingerprints (the same bill): per fingerprint and decision,
    the first claim id and its run. A superseded version stands no more: a correction
    back to its content is the claim's next version, not a copy of a bill."""
    return _lookup_via_temp_table(
        connection=connection,
        values=fingerprints,
        query=(
            "SELECT c.fingerprint, c.decision, MIN(c.claim_id), MIN(c.run_id) "
            "FROM tmp_lookup t CROSS JOIN claims c "
            "WHERE c.robot = :robot AND c.fingerprint = t.k AND c.decision IN ('pay', 'hold') "
            "AND NOT EXISTS (SELECT 1 FROM claim_events e "
            "WHERE e.claim_pk = c.id AND e.kind = 'superseded') "
            "GROUP BY c.fingerprint, c.decision"
        ),
        columns=["fingerprint", "decision", "claim_id", "run_id"],
        params={"robot": robot},
        candidates=(
            "SELECT 1 FROM claims WHERE robot = :robot AND decision IN ('pay', 'hold') LIMIT 1"
        ),
    )


LOOKUP_COLUMNS = frozenset({"fingerprint", "bill_key", "document_key"})
"""Ledger columns a robot may look claims up by (names, never input, go into the SQL)."""


def claims_by_key(
    *,
    connection: Connection,
    robot: str,
    column: str,
    keys: Iterable[str],
    decision: str = "pay",
) -> pd.DataFrame:
    """Per key: the first claim decided `decision` with that value in `column`, and the sum
    of their amounts."""
    if column not in LOOKUP_COLUMNS:
        raise ValueError(f"claims cannot be looked up by {column!r}")
    if decision not in STANDING_DECISIONS:
        raise ValueError(f"claims are not looked up by the decision {decision!r}")
    frame = _lookup_via_temp_table(
        connection=connection,
        values=[str(k) for k in keys],
        query=(
            f"SELECT c.{column}, MIN(c.claim_id), SUM(c.amount_oere) "
            "FROM tmp_lookup t CROSS JOIN claims c "
            f"WHERE c.robot = :robot AND c.{column} = t.k AND c.decision = :decision "
            f"GROUP BY c.{column}"
        ),
        columns=["key", "claim_id", "amount_oere"],
        params={"robot": robot, "decision": decision},
        candidates=(
            f"SELECT 1 FROM claims WHERE robot = :robot AND decision = :decision "
            f"AND {column} IS NOT NULL LIMIT 1"
        ),
    )
    frame["amount_oere"] = pd.to_numeric(frame["amount_oere"]).astype("Int64")
    return frame


def paid_by_key(
    *, connection: Connection, robot: str, column: str, keys: Iterable[str]
) -> pd.DataFrame:
    """Per key: the first claim decided 'pay' with that value in `column`, and their sum."""
    return claims_by_key(connection=connection, robot=robot, column=column, keys=keys)


def recent_amounts(*, connection: Connection, robot: str, limit: int) -> pd.DataFrame:
    """The category and claimed amount of the robot's `limit` most recent claims: what a
    usual bill of each kind looks like."""
    return read_frame(
        connection=connection,
        sql=(
            "SELECT category, basis_oere FROM claims WHERE robot = :robot "
            "ORDER BY id DESC LIMIT :limit"
        ),
        columns=["category", "basis_oere"],
        params={"robot": robot, "limit": int(limit)},
    ).astype({"category": "string", "basis_oere": "int64"})


def approved_not_paid(*, connection: Connection, run_id: str) -> pd.Series:
    """Idempotency keys of a run's claims decided 'pay' that are in no payment."""
    return read_frame(
        connection=connection,
        sql="SELECT c.idempotency_key FROM claims c "
        "LEFT JOIN payment_items i ON i.claim_pk = c.id "
        "WHERE c.run_id = :run_id AND c.decision = 'pay' AND i.claim_pk IS NULL",
        columns=["idempotency_key"],
        params={"run_id": run_id},
    )["idempotency_key"]


def exceptions_per_rule(*, connection: Connection, run_ids: Sequence[str]) -> dict[str, int]:
    """How many exceptions the runs recorded, per rule."""
    rows = connection.execute(
        select(ClaimException.rule_id, func.count())
        .where(ClaimException.run_id.in_(list(run_ids)))
        .group_by(ClaimException.rule_id)
        .order_by(ClaimException.rule_id)
    ).all()
    return {rule_id: int(count) for rule_id, count in rows}


def unreported_runs(*, connection: Connection, robot: str, besides: str) -> list[str]:
    """Runs of the robot that ended without a report (killed, or failed) after recording
    decisions, and that no later run has reported yet: oldest first."""
    rows = connection.execute(
        text(
            "SELECT r.id FROM runs r WHERE r.robot = :robot AND r.id <> :besides "
            "AND r.status IN ('interrupted', 'failed') AND r.report_path IS NULL "
            "AND r.finished_by IS NULL AND ("
            "EXISTS (SELECT 1 FROM claims c WHERE c.run_id = r.id) OR "
            "EXISTS (SELECT 1 FROM exceptions e WHERE e.run_id = r.id AND e.robot = :robot)"
            ") ORDER BY r.started_at"
        ),
        {"robot": robot, "besides": besides},
    ).scalars()
    return list(rows)


def mark_finished_by(*, connection: Connection, run_ids: Iterable[str], by: str) -> None:
    """Name the run that reported these runs' decisions (they are not reported again)."""
    ids = list(run_ids)
    if ids:
        connection.execute(update(Run).where(Run.id.in_(ids)).values(finished_by=by))


def claims_of_run(*, connection: Connection, run_id: str) -> pd.DataFrame:
    """Every claim a run decided, with its file's name and whether it is in a payment."""
    return read_frame(
        connection=connection,
        sql=(
            "SELECT c.claim_id, c.source_id, c.decision, c.basis_oere, c.amount_oere, "
            "c.rule_ids, f.file_name, c.source_line, "
            "CASE WHEN i.claim_pk IS NULL THEN 0 ELSE 1 END "
            "FROM claims c LEFT JOIN source_files f ON f.id = c.source_file_id "
            "LEFT JOIN payment_items i ON i.claim_pk = c.id WHERE c.run_id = :run_id"
        ),
        columns=[
            "claim_id",
            "source_id",
            "decision",
            "basis_oere",
            "amount_oere",
            "rule_ids",
            "file_name",
            "source_line",
            "in_payment",
        ],
        params={"run_id": run_id},
    )


def row_exceptions_of_run(
    *, connection: Connection, run_id: str, robot: str, about_earlier_claims: Sequence[str]
) -> pd.DataFrame:
    """A run's exceptions about rows that did not become its claims: rows it could not
    take (no claim), and rows that were an earlier claim again (`about_earlier_claims`)."""
    rules = list(about_earlier_claims)
    marks = ", ".join(f":rule{n}" for n in range(len(rules))) or "''"
    return read_frame(
        connection=connection,
        sql=(
            "SELECT e.claim_ref, e.rule_id, e.message, f.file_name, e.source_line "
            "FROM exceptions e LEFT JOIN source_files f ON f.id = e.source_file_id "
            "WHERE e.run_id = :run_id AND e.robot = :robot AND e.source_line IS NOT NULL "
            f"AND (e.claim_pk IS NULL OR e.rule_id IN ({marks}))"
        ),
        columns=["claim_ref", "rule_id", "message", "file_name", "source_line"],
        params={
            "run_id": run_id,
            "robot": robot,
            **{f"rule{n}": rule for n, rule in enumerate(rules)},
        },
    )


def open_waiting(*, connection: Connection, robot: str) -> pd.DataFrame:
    """The robot's claim rows still waiting for a register, with the file they came in."""
    return read_frame(
        connection=connection,
        sql=(
            "SELECT w.id, w.claim_ref, w.source_file_id, w.source_line, w.row_json, "
            "w.waits_for, w.since, f.file_name, f.stored_path, f.sha256, f.dataset "
            "FROM waiting_claims w LEFT JOIN source_files f ON f.id = w.source_file_id "
            "WHERE w.robot = :robot AND w.resolved_run_id IS NULL ORDER BY w.id"
        ),
        columns=[
            "id",
            "claim_ref",
            "source_file_id",
            "source_line",
            "row_json",
            "waits_for",
            "since",
            "file_name",
            "stored_path",
            "sha256",
            "dataset",
        ],
        params={"robot": robot},
    )


def park_waiting(*, connection: Connection, rows: pd.DataFrame) -> None:
    """Keep claim rows that wait for a register (columns of waiting_claims but id)."""
    if len(rows):
        bulk_insert(connection=connection, table="waiting_claims", frame=rows)


def resolve_waiting(*, connection: Connection, ids: Iterable[int], run_id: str) -> None:
    """Mark waiting rows decided by `run_id` (they are no longer read again)."""
    for chunk in _chunks(sorted({int(i) for i in ids}), 1000):
        connection.execute(
            update(WaitingClaim)
            .where(WaitingClaim.id.in_(chunk), WaitingClaim.resolved_run_id.is_(None))
            .values(resolved_run_id=run_id)
        )


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def start_run(
    *, connection: Connection, run_id: str, robot: str, night: date, mode: str, at: datetime
) -> None:
    """Record a run as started; any earlier run of the robot still 'running' was killed."""
    connection.execute(
        update(Run)
        .where(Run.robot == robot, Run.status == RunStatus.RUNNING)
        .values(status=RunStatus.INTERRUPTED, finished_at=at)
    )
    connection.execute(
        insert(Run).values(
            id=run_id, robot=robot, night=night, mode=mode, status=RunStatus.RUNNING, started_at=at
        )
    )


def run_by_id(*, connection: Connection, run_id: str) -> Any:
    """One run's row (id, robot, night, status, report_path, ...), or None."""
    return connection.execute(select(Run.__table__).where(Run.id == run_id)).first()


def finish_run(
    *,
    connection: Connection,
    run_id: str,
    status: RunStatus,
    at: datetime,
    report_path: str | None,
    summary: dict[str, Any] | None,
) -> None:
    """Close a run with its outcome and where its report is."""
    connection.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(
            status=status,
            finished_at=at,
            report_path=report_path,
            summary=json.dumps(summary, default=str) if summary is not None else None,
        )
    )


def file_is_known(*, connection: Connection, sha256: str) -> bool:
    """Whether a file with this content was processed or quarantined before."""
    return (
        connection.execute(select(SourceFile.id).where(SourceFile.sha256 == sha256)).first()
        is not None
    )


def known_files(*, connection: Connection, sha256s: Iterable[str]) -> set[str]:
    """Which of these contents were processed or quarantined before (one query)."""
    wanted = sorted(set(sha256s))
    if not wanted:
        return set()
    rows = connection.execute(
        select(SourceFile.sha256).where(SourceFile.sha256.in_(wanted))
    ).scalars()
    return set(rows)


def record_file(*, connection: Connection, **values: Any) -> int:
    """Record a source file and return its id."""
    result = connection.execute(insert(SourceFile).values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def robot_event(
    *,
    connection: Connection,
    robot: str,
    run_id: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: str | None = None,
) -> None:
    """An audit event written by a robot (now, by `robot:<name>`, in its run)."""
    from robots.core import dates

    audit(
        connection=connection,
        at=dates.now(),
        actor=f"robot:{robot}",
        action=action,
        entity=entity,
        entity_id=entity_id,
        run_id=run_id,
        detail=detail,
    )


def audit(
    *,
    connection: Connection,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    run_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one audit event (never updated, never deleted)."""
    connection.execute(
        insert(AuditEvent).values(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            run_id=run_id,
            detail=detail,
        )
    )
