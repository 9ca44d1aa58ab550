"""The ledger's bulk paths (robots/core/ledger/bulk.py), on SQLite and PostgreSQL:
values survive the trip exactly, a known claim key fails the whole transaction, and
reserved claim keys never collide with keys drawn by anyone else."""

from __future__ import annotations

import sqlite3
from datetime import date

import numpy as np
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, exc, text

from robots.core.ledger import bulk, claim_records
from robots.core.ledger.database import CACHE_SIZE, PAGE_SIZE, SORTER_THREADS, open_ledger
from robots.core.ledger.schema import Base

AWKWARD_TEXT = 'quote " semicolon ; comma , newline \n end \\N \\. ø'


def _start(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) VALUES "
                "('R1', 'helbredstillaeg', '2026-11-23', 'demo', 'running', "
                "'2026-11-23 22:00:00+00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO source_files (id, sha256, dataset, file_name, stored_path, run_id, "
                "status, rows_read, rows_rejected) VALUES (1, 'h', 'health_claims', 'f', 'p', "
                "'R1', 'processed', 1, 0)"
            )
        )


def _claims(keys: list[str], ids: np.ndarray | None = None) -> pd.DataFrame:
    count = len(keys)
    frame = pd.DataFrame(
        {
            "idempotency_key": pd.Series(keys, dtype="string"),
            "robot": "helbredstillaeg",
            "claim_id": pd.Series([k.split(":")[-1] for k in keys], dtype="string"),
            "run_id": "R1",
            "source_file_id": np.ones(count, dtype=np.int64),
            "source_line": np.arange(2, 2 + count, dtype=np.int64),
            "cpr": pd.Series([None] * count, dtype="string"),
            "payee_kind": "cvr",
            "payee_id": "29189846",
            "category": "medicin",
            "counterparty": pd.Series([""] + [None] * (count - 1), dtype="string"),
            "service_date": pd.to_datetime(["2026-10-01"] * count).astype("datetime64[s]"),
            "basis_oere": np.full(count, 9_007_199_254_740_993, dtype=np.int64),
            "amount_oere": pd.array([85] * count, dtype="Int64"),
            "rate_year": 2026,
            "rate_provisional": np.array([True] + [False] * (count - 1)),
            "rule_basis": AWKWARD_TEXT,
            "fingerprint": pd.Series(keys, dtype="string"),
            "decision": "pay",
            "rule_ids": "",
        }
    )
    if ids is not None:
        frame.insert(0, "id", ids)
    return frame


def test_values_come_back_exactly_as_inserted(ledger_url: str) -> None:
    engine = open_ledger(ledger_url)
    _start(engine)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="claims", frame=_claims(["h:C1", "h:C2"]))
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT claim_id, cpr, counterparty, service_date, basis_oere, amount_oere, "
                "rate_provisional, rule_basis, rule_ids FROM claims ORDER BY claim_id"
            )
        ).fetchall()
    engine.dispose()
    first, second = rows
    assert first.claim_id == "C1" and second.claim_id == "C2"
    # NULL stays NULL and the empty text stays empty text (the two differ in COPY's CSV).
    assert first.cpr is None and first.counterparty == "" and second.counterparty is None
    assert str(first.service_date) == str(date(2026, 10, 1))
    # Beyond a float's 2**53: money never went through a float on the way.
    assert first.basis_oere == 9_007_199_254_740_993 and first.amount_oere == 85
    assert bool(first.rate_provisional) is True and bool(second.rate_provisional) is False
    assert first.rule_basis == AWKWARD_TEXT and first.rule_ids == ""


def test_a_claim_key_already_in_the_ledger_fails_the_whole_transaction(ledger_url: str) -> None:
    engine = open_ledger(ledger_url)
    _start(engine)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="claims", frame=_claims(["h:C1"]))
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_events (at, actor, action, entity, entity_id) VALUES "
                "('2026-11-23 22:00:00+00', 'test', 'before', 'run', 'R1')"
            )
        )
        bulk.bulk_insert(
            connection=connection, table="claims", frame=_claims(["h:C2", "h:C1", "h:C3"])
        )
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT idempotency_key FROM claims")).scalars().all()
        events = connection.execute(text("SELECT COUNT(*) FROM audit_events")).scalar_one()
    engine.dispose()
    assert keys == ["h:C1"] and events == 0, "nothing of the failed transaction is kept"


def test_reserved_claim_keys_are_new_ascending_and_link_their_rows(ledger_url: str) -> None:
    engine = open_ledger(ledger_url)
    _start(engine)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="claims", frame=_claims(["h:C0"]))
    with engine.begin() as connection:
        pks = bulk.reserve_claim_pks(connection=connection, count=3)
        bulk.bulk_insert(
            connection=connection, table="claims", frame=_claims(["h:C1", "h:C2", "h:C3"], pks)
        )
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT id, claim_id FROM claims")).fetchall())
    engine.dispose()
    first = min(rows)
    assert list(pks) == sorted(pks) and min(pks) > first
    assert [rows[int(pk)] for pk in pks] == ["C1", "C2", "C3"]


def test_no_other_writer_can_take_a_reserved_claim_key(ledger_url: str, tmp_path) -> None:
    engine = open_ledger(ledger_url)
    _start(engine)
    other_claim = text(
        "INSERT INTO claims (idempotency_key, robot, claim_id, run_id, source_file_id, "
        "source_line, payee_kind, payee_id, category, service_date, basis_oere, amount_oere, "
        "rate_year, rate_provisional, rule_basis, fingerprint, decision, rule_ids) VALUES "
        "('h:X', 'helbredstillaeg', 'X', 'R1', 1, 9, 'cvr', '1', 'medicin', '2026-10-01', "
        "1, 1, 2026, false, 'x', 'x', 'pay', '')"
    )
    with engine.begin() as connection:
        pks = bulk.reserve_claim_pks(connection=connection, count=3)
        if ledger_url.startswith("sqlite"):
            # SQLite: the reservation holds the one write lock, so the other writer waits.
            other = create_engine(ledger_url, connect_args={"timeout": 0.2})
            with pytest.raises(exc.OperationalError, match="locked"), other.begin() as c:
                c.execute(other_claim)
            other.dispose()
        else:
            # PostgreSQL: the other writer goes on, with a key the sequence never gave us.
            with engine.begin() as other:
                other.execute(other_claim)
        bulk.bulk_insert(
            connection=connection, table="claims", frame=_claims(["h:C1", "h:C2", "h:C3"], pks)
        )
    with engine.connect() as connection:
        claims = connection.execute(text("SELECT COUNT(*) FROM claims")).scalar_one()
    engine.dispose()
    assert claims == (3 if ledger_url.startswith("sqlite") else 4)


def _schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_the_fingerprint_index_survives_a_bulk_night_and_a_failed_one(ledger_url: str) -> None:
    engine = open_ledger(ledger_url)
    _start(engine)
    with engine.begin() as connection:
        with bulk.claim_lookup_index_deferred(connection=connection, incoming=2):
            bulk.bulk_insert(connection=connection, table="claims", frame=_claims(["h:C1", "h:C2"]))
    assert _schema_differences(engine) == []
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        with bulk.claim_lookup_index_deferred(connection=connection, incoming=5):
            bulk.bulk_insert(connection=connection, table="claims", frame=_claims(["h:C3", "h:C1"]))
    differences = _schema_differences(engine)
    with engine.connect() as connection:
        found = (
            connection.execute(
                text(
                    "SELECT claim_id FROM claims "
                    "WHERE robot = 'helbredstillaeg' AND fingerprint = 'h:C2'"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert differences == [] and found == ["C2"]


def test_lookups_by_key_use_the_partial_indexes_and_find_keyed_claims(tmp_path) -> None:
    """Claims without a key are not indexed by it (migration 0007); lookups still use the index."""
    engine = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    _start(engine)
    frame = _claims(["h:C1", "h:C2", "h:C3"]).assign(
        bill_key=pd.Series(["B1", None, "B1"], dtype="string"),
        document_key=pd.Series([None, "D2", None], dtype="string"),
    )
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="claims", frame=frame)
    with engine.connect() as connection:
        for column, key, first in (("bill_key", "B1", "C1"), ("document_key", "D2", "C2")):
            found = claim_records.paid_by_key(
                connection=connection, robot="helbredstillaeg", column=column, keys=[key, "none"]
            )
            assert found.to_dict("records") == [
                {"key": key, "claim_id": first, "amount_oere": 85 * (2 if key == "B1" else 1)}
            ]
            plan = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT c.id FROM claims c "
                f"WHERE c.robot = 'helbredstillaeg' AND c.{column} = ?",
                (key,),
            ).all()
            assert any(f"ix_claims_{column}" in str(row) for row in plan), plan
        definitions = dict(
            connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE name LIKE 'ix_claims_%_key'"
            ).all()
        )
    engine.dispose()
    assert definitions.keys() == {"ix_claims_bill_key", "ix_claims_document_key"}
    for name, sql in definitions.items():
        assert sql.endswith(f"WHERE {name.removeprefix('ix_claims_')} IS NOT NULL"), sql


def test_a_frame_larger_than_a_batch_with_arrow_strings_arrives_whole(ledger_url: str) -> None:
    """bulk_insert converts a slice at a time; Arrow-backed text comes out chunked."""
    count = bulk.BATCH_ROWS + 3
    keys = [f"h:C{i:06d}" for i in range(count)]
    frame = _claims(keys).astype(
        {"idempotency_key": "string[pyarrow]", "claim_id": "string[pyarrow]"}
    )
    engine = open_ledger(ledger_url)
    _start(engine)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="claims", frame=frame)
    with engine.connect() as connection:
        rows, distinct, total, last = connection.execute(
            text(
                "SELECT COUNT(*), COUNT(DISTINCT claim_id), SUM(amount_oere), MAX(claim_id) "
                "FROM claims"
            )
        ).one()
    engine.dispose()
    assert (rows, distinct, total, last) == (count, count, 85 * count, f"C{count - 1:06d}")


def test_a_value_repeated_in_every_row_arrives_exactly_even_when_it_looks_like_sql(
    ledger_url: str,
) -> None:
    """On SQLite a column with one value is written into the statement, not bound per row."""
    hostile = "x'); DROP TABLE claims; -- ' \" ø \n"
    frame = _claims(["h:C1", "h:C2", "h:C3"]).assign(
        rule_basis=hostile,
        rate_provisional=True,
        cpr=pd.Series([None] * 3, dtype="string"),
        rate_year=2026,
    )
    engine = open_ledger(ledger_url)
    _start(engine)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="claims", frame=frame)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT rule_basis, rate_provisional, cpr, rate_year, basis_oere "
                "FROM claims ORDER BY claim_id"
            )
        ).fetchall()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(hostile, True, None, 2026, 9_007_199_254_740_993)] * 3


def test_ledger_lookups_answer_each_known_key_once_however_often_it_is_asked(
    ledger_url: str,
) -> None:
    """Keys repeated, missing or unknown: each known claim comes back once (SQLite's lookup
    table has no primary key, so the keys must be made distinct before they go in)."""
    engine = open_ledger(ledger_url)
    _start(engine)
    with engine.begin() as connection:
        bulk.bulk_insert(connection=connection, table="claims", frame=_claims(["h:C1", "h:C2"]))
    asked = ["h:C2", None, "h:C2", "h:C9", "h:C1", "h:C1"]
    with engine.connect() as connection:
        known = claim_records.claims_already_known(
            connection=connection, keys=pd.Series(asked, dtype="string")
        )
        paid = claim_records.earlier_bills(
            connection=connection, robot="helbredstillaeg", fingerprints=asked
        )
    engine.dispose()
    assert sorted(known["idempotency_key"]) == ["h:C1", "h:C2"]
    assert sorted(paid["fingerprint"]) == ["h:C1", "h:C2"]


def test_lookups_send_no_keys_when_the_ledger_holds_nothing_to_find(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first night sends no million keys to an empty ledger; a rejected claim is no
    standing bill, so only the key lookup has anything to look for then, and a held one is."""
    engine = open_ledger(ledger_url)
    _start(engine)
    sent: list[str] = []
    real_bulk_insert = bulk.bulk_insert

    def counting_bulk_insert(*, connection: Connection, table: str, frame: pd.DataFrame) -> None:
        sent.append(table)
        real_bulk_insert(connection=connection, table=table, frame=frame)

    monkeypatch.setattr(bulk, "bulk_insert", counting_bulk_insert)
    keys = pd.Series(["h:C1", "h:C2"], dtype="string")
    with engine.connect() as connection:
        known = claim_records.claims_already_known(connection=connection, keys=keys)
        paid = claim_records.earlier_bills(
            connection=connection, robot="helbredstillaeg", fingerprints=keys
        )
    assert sent == [] and known.empty and paid.empty
    assert list(known.columns) == [
        "idempotency_key",
        "claim_pk",
        "fingerprint",
        "run_id",
        "decision",
        "version",
    ]
    rejected = _claims(["h:C1"]).assign(decision="reject")
    with engine.begin() as connection:
        real_bulk_insert(connection=connection, table="claims", frame=rejected)
    with engine.connect() as connection:
        known = claim_records.claims_already_known(connection=connection, keys=keys)
        paid = claim_records.earlier_bills(
            connection=connection, robot="helbredstillaeg", fingerprints=keys
        )
    assert sent == ["tmp_lookup"] and list(known["idempotency_key"]) == ["h:C1"] and paid.empty
    held = _claims(["h:C2"]).assign(decision="hold")
    with engine.begin() as connection:
        real_bulk_insert(connection=connection, table="claims", frame=held)
    with engine.connect() as connection:
        standing = claim_records.earlier_bills(
            connection=connection, robot="helbredstillaeg", fingerprints=keys
        )
    engine.dispose()
    assert standing[["fingerprint", "decision", "claim_id"]].to_dict("records") == [
        {"fingerprint": "h:C2", "decision": "hold", "claim_id": "C2"}
    ]


def test_a_new_sqlite_ledger_is_made_in_16_kib_pages_and_an_old_one_keeps_its_own(
    tmp_path,
) -> None:
    """Page size is fixed when a SQLite file is made: a new ledger gets the bulk path's
    16 KiB; a ledger made by an earlier version (4 KiB) is opened and migrated as it is."""
    old = tmp_path / "old.sqlite"
    made = sqlite3.connect(old)
    made.execute("PRAGMA journal_mode=WAL")
    made.execute("CREATE TABLE made_before (x)")  # the file is made, in 4 KiB pages
    made.execute("DROP TABLE made_before")
    made.close()
    engines = [open_ledger(f"sqlite:///{tmp_path / 'new.sqlite'}"), open_ledger(f"sqlite:///{old}")]
    try:
        pragmas = []
        for engine in engines:
            with engine.connect() as connection:
                pragmas.append(
                    [
                        connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                        for name in ("page_size", "temp_store", "threads", "cache_size")
                    ]
                )
        assert _schema_differences(engines[1]) == []
    finally:
        for engine in engines:
            engine.dispose()
    # temp_store 0: SQLite's default, files; its sorter then sorts in runs (see database).
    assert pragmas == [
        [PAGE_SIZE, 0, SORTER_THREADS, CACHE_SIZE],
        [4096, 0, SORTER_THREADS, CACHE_SIZE],
    ]


def test_the_fingerprint_index_is_rebuilt_in_small_sort_runs_and_the_cache_comes_back(
    tmp_path,
) -> None:
    engine = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    _start(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cu, sql, *_: statements.append(sql))
    try:
        with engine.begin() as connection:
            with bulk.claim_lookup_index_deferred(connection=connection, incoming=2):
                bulk.bulk_insert(
                    connection=connection, table="claims", frame=_claims(["h:C1", "h:C2"])
                )
            cache = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        assert _schema_differences(engine) == []
    finally:
        engine.dispose()
    creates = [n for n, sql in enumerate(statements) if sql.strip().startswith("CREATE INDEX")]
    assert len(creates) == 1
    assert statements[creates[0] - 1] == f"PRAGMA cache_size=-{bulk.SORT_RUN_KIB}"
    assert statements[creates[0] + 1] == f"PRAGMA cache_size={CACHE_SIZE}"
    assert cache == CACHE_SIZE
