"""SQLite's two bulk routes (robots/core/ledger/bulk.py): many rows go through a staging
file written in C and one INSERT ... SELECT, a few are bound by the driver. The staged
route is the fast twin of the bound one: the same rows, value for value and of the same
storage class, whatever the frame holds; it keeps the transaction whole and leaves no
copy of the rows on disk."""

from __future__ import annotations

import os
import string
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, exc

from robots.core.ledger import bulk, sqlite_staging
from robots.core.ledger.database import make_engine, open_ledger

COLUMNS = (
    "k INTEGER PRIMARY KEY, i BIGINT, n BIGINT, s VARCHAR(50), b BOOLEAN, d DATE, c TEXT, "
    "o BIGINT, t VARCHAR(20)"
)

texts = st.text(alphabet=string.printable + "æøåÆØÅ'\"\\;", max_size=12)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(min_value=1, max_value=40))
    ints = draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=rows, max_size=rows))
    maybe = draw(st.lists(st.none() | st.integers(-(10**15), 10**15), min_size=rows, max_size=rows))
    words = draw(st.lists(st.none() | texts, min_size=rows, max_size=rows))
    flags = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
    days = draw(st.lists(st.none() | st.dates(), min_size=rows, max_size=rows))
    kinds = draw(st.lists(st.sampled_from(["pay", "hold", "reject"]), min_size=rows, max_size=rows))
    # Object columns whose Arrow type is inferred slice by slice: a slice of only None
    # comes out as text, the next as integers (the ledger's optional keys and counts).
    loose = draw(st.lists(st.none() | st.integers(0, 10**12), min_size=rows, max_size=rows))
    notes = draw(st.lists(st.none() | texts, min_size=rows, max_size=rows))
    return pd.DataFrame(
        {
            "k": np.arange(1, rows + 1, dtype=np.int64),
            "i": np.array(ints, dtype=np.int64),
            "n": pd.array(maybe, dtype="Int64"),
            "s": pd.Series(
                words, dtype=draw(st.sampled_from(["object", "string", "string[pyarrow]"]))
            ),
            "b": np.array(flags),
            "d": pd.to_datetime(pd.Series(days, dtype="object")).astype("datetime64[s]"),
            "c": pd.Series(kinds, dtype="category"),
            "o": pd.Series(loose, dtype="object"),
            "t": pd.Series(notes, dtype="object"),
        }
    )


def _table_as_stored(engine: Engine, table: str) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.exec_driver_sql(
                f"SELECT k, typeof(i), i, typeof(n), n, typeof(s), s, typeof(b), b, "
                f"typeof(d), d, typeof(c), c, typeof(o), o, typeof(t), t FROM {table} ORDER BY k"
            )
        ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames())
def test_the_staged_route_stores_exactly_what_the_bound_route_stores(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twin.sqlite'}")
    with engine.begin() as connection:
        for table in ("staged", "bound"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            connection.exec_driver_sql(f"CREATE TABLE {table} ({COLUMNS})")
    monkeypatch.setattr(bulk, "BATCH_ROWS", 7)  # several slices, some of only None
    monkeypatch.setattr(bulk, "PARALLEL_FROM_ROWS", 10)  # and staged in two halves
    for table, from_rows in (("staged", 1), ("bound", 10**9)):
        monkeypatch.setattr(bulk, "STAGE_FROM_ROWS", from_rows)
        with engine.begin() as connection:
            bulk.bulk_insert(connection=connection, table=table, frame=frame)
    staged, bound = _table_as_stored(engine, "staged"), _table_as_stored(engine, "bound")
    engine.dispose()
    assert len(staged) == len(frame)
    assert staged == bound


def _staging_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A ledger file with one keyed table `t`, every bulk insert into it staged."""
    monkeypatch.setattr(bulk, "STAGE_FROM_ROWS", 1)
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT UNIQUE)")
    return engine


def _rows(count: int, start: int = 0) -> pd.DataFrame:
    keys = np.arange(start, start + count, dtype=np.int64)
    return pd.DataFrame({"k": keys, "v": [f"cpr-like-{k:010d}" for k in keys]})


def test_a_conflict_in_staged_rows_fails_the_whole_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "PARALLEL_FROM_ROWS", 50)
    engine = _staging_ledger(tmp_path, monkeypatch)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="t", frame=_rows(5))
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="t", frame=_rows(100, start=10))
        bulk.bulk_insert(connection=connection, table="t", frame=_rows(10, start=3))
    with engine.connect() as connection:
        kept = connection.exec_driver_sql("SELECT COUNT(*) FROM t").scalar_one()
    engine.dispose()
    assert kept == 5, "neither staged insert of the failed transaction is kept"


def test_no_copy_of_the_rows_stays_on_disk_and_the_stage_is_detached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _staging_ledger(tmp_path, monkeypatch)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="t", frame=_rows(1000))
        attached = [r[1] for r in connection.exec_driver_sql("PRAGMA database_list")]
        left_on_disk = sorted(p.name for p in tmp_path.iterdir())
    with engine.connect() as connection:  # the pooled connection, back from its checkin
        after = [r[1] for r in connection.exec_driver_sql("PRAGMA database_list")]
        stored = connection.exec_driver_sql("SELECT COUNT(*), MAX(v) FROM t").one()
    engine.dispose()
    assert any(name.startswith(sqlite_staging.STAGE_PREFIX) for name in attached)
    assert left_on_disk == ["ledger.sqlite", "ledger.sqlite-shm", "ledger.sqlite-wal"]
    assert after == ["main"] or after == ["main", "temp"]
    assert tuple(stored) == (1000, "cpr-like-0000000999")


def test_more_staged_inserts_in_one_transaction_than_sqlite_can_attach_all_arrive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite attaches ten databases at most; past that the rows are bound instead."""
    engine = _staging_ledger(tmp_path, monkeypatch)
    with engine.begin() as connection:
        for part in range(14):
            bulk.bulk_insert(connection=connection, table="t", frame=_rows(50, start=part * 50))
    with engine.connect() as connection:
        count, distinct = connection.exec_driver_sql(
            "SELECT COUNT(*), COUNT(DISTINCT v) FROM t"
        ).one()
    engine.dispose()
    assert (count, distinct) == (700, 700)


def test_a_night_sized_insert_through_the_ledger_takes_the_staged_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The threshold routes big inserts to the stage and small ones to the driver."""
    routes: list[str] = []
    staged, bound = bulk._insert_sqlite_staged, bulk._insert_sqlite_bound
    monkeypatch.setattr(
        bulk, "_insert_sqlite_staged", lambda *a: (routes.append("staged"), staged(*a))[1]
    )
    monkeypatch.setattr(
        bulk, "_insert_sqlite_bound", lambda *a: (routes.append("bound"), bound(*a))[1]
    )
    engine = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT UNIQUE)")
        bulk.bulk_insert(connection=connection, table="t", frame=_rows(bulk.STAGE_FROM_ROWS))
        bulk.bulk_insert(connection=connection, table="t", frame=_rows(10, start=10**7))
    engine.dispose()
    assert routes == ["staged", "bound"]


def test_a_staging_folder_left_by_a_killed_process_is_removed_by_the_next_insert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    abandoned = tmp_path / f"{sqlite_staging.STAGING_FOLDER_PREFIX}killed"
    recent = tmp_path / f"{sqlite_staging.STAGING_FOLDER_PREFIX}live"
    for folder in (abandoned, recent):
        folder.mkdir()
        (folder / "rows.sqlite").write_bytes(b"rows with personal data")
    two_hours_ago = time.time() - 7200
    os.utime(abandoned, (two_hours_ago, two_hours_ago))
    engine = _staging_ledger(tmp_path, monkeypatch)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="t", frame=_rows(10))
    engine.dispose()
    assert not abandoned.exists()
    assert (recent / "rows.sqlite").exists(), "a folder younger than any insert is left alone"


def test_rows_staged_in_two_halves_arrive_in_the_order_they_came(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The halves are written side by side but inserted one after the other: the ledger
    numbers the rows in the order of the frame (reserved keys stay ascending)."""
    monkeypatch.setattr(bulk, "STAGE_FROM_ROWS", 1)
    monkeypatch.setattr(bulk, "PARALLEL_FROM_ROWS", 100)
    monkeypatch.setattr(bulk, "BATCH_ROWS", 16)
    attached: list[int] = []
    attach = sqlite_staging.attach_staged_rows
    monkeypatch.setattr(
        bulk,
        "attach_staged_rows",
        lambda driver, columns, parts: (
            attached.append(len(parts)),
            attach(driver, columns, parts),
        )[1],
    )
    frame = _rows(1000).iloc[::-1].reset_index(drop=True)  # keys descending
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, k BIGINT, v TEXT)")
        bulk.bulk_insert(connection=connection, table="t", frame=frame)
        bulk.insert_arrow(
            connection=connection, table="t", data=pa.Table.from_pandas(frame, preserve_index=False)
        )
        stored = [k for (k,) in connection.exec_driver_sql("SELECT k FROM t ORDER BY n")]
    engine.dispose()
    assert attached == [2, 2]
    assert stored == list(frame["k"]) * 2
