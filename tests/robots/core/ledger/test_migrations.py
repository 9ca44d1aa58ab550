"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and the ledger's exactly-once constraints are really enforced by the database."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, exc, text

from robots.core.ledger import cases, history
from robots.core.ledger.database import alembic_config, make_engine, open_ledger
from robots.core.ledger.history import EventKind, State
from robots.core.ledger.schema import Base


def test_migrations_match_the_models(ledger_url: str) -> None:
    engine = open_ledger(ledger_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_migrating_twice_changes_nothing(ledger_url: str) -> None:
    open_ledger(ledger_url).dispose()
    engine = open_ledger(ledger_url)
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            == "0015"
        )
    engine.dispose()


def _claim(key: str) -> dict[str, object]:
    return {
        "idempotency_key": key,
        "robot": "helbredstillaeg",
        "claim_id": key,
        "run_id": "R1",
        "source_file_id": 1,
        "source_line": 2,
        "cpr": None,
        "payee_kind": "cpr",
        "payee_id": "0101501233",
        "category": "medicin",
        "counterparty": None,
        "service_date": "2026-10-01",
        "basis_oere": 100,
        "amount_oere": 85,
        "rate_year": 2026,
        "rate_provisional": False,
        "rule_basis": "x",
        "fingerprint": key,
        "decision": "pay",
        "rule_ids": "",
    }


def test_the_database_refuses_a_second_claim_key_and_a_second_payment(ledger_url: str) -> None:
    engine = open_ledger(ledger_url)
    insert_claim = text(
        "INSERT INTO claims ("
        + ", ".join(_claim("k"))
        + ") VALUES ("
        + ", ".join(f":{c}" for c in _claim("k"))
        + ")"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) VALUES ('R1', "
                "'helbredstillaeg', '2026-11-23', 'demo', 'running', '2026-11-23 22:00:00+00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO source_files (sha256, dataset, file_name, stored_path, run_id, "
                "status, rows_read, rows_rejected) VALUES ('h', 'health_claims', 'f', 'p', 'R1', "
                "'processed', 1, 0)"
            )
        )
        connection.execute(insert_claim, _claim("helbredstillaeg:C1"))
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(insert_claim, _claim("helbredstillaeg:C1"))
    with engine.begin() as connection:
        pk = connection.execute(text("SELECT id FROM claims")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO payment_batches (id, robot, run_id, status, created_at, "
                "execution_date, transfers, total_oere) VALUES ('B1', 'helbredstillaeg', 'R1', "
                "'prepared', '2026-11-23 22:00:00+00', '2026-11-24', 1, 85)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO payment_transfers (batch_id, end_to_end_id, payee_kind, payee_id, "
                "amount_oere, claims) VALUES ('B1', 'B1-1', 'cpr', '0101501233', 85, 1)"
            )
        )
        transfer = connection.execute(text("SELECT id FROM payment_transfers")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO payment_items (claim_pk, transfer_id, batch_id, amount_oere) VALUES "
                "(:c, :t, 'B1', 85)"
            ),
            {"c": pk, "t": transfer},
        )
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO payment_items (claim_pk, transfer_id, batch_id, amount_oere) VALUES "
                "(:c, :t, 'B1', 85)"
            ),
            {"c": pk, "t": transfer},
        )
    engine.dispose()


def test_the_database_refuses_two_transfers_to_one_payee_in_a_batch(ledger_url: str) -> None:
    engine = open_ledger(ledger_url)
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
                "INSERT INTO payment_batches (id, robot, run_id, status, created_at, "
                "execution_date, transfers, total_oere) VALUES ('B1', 'helbredstillaeg', 'R1', "
                "'prepared', "
                "'2026-11-23 22:00:00+00', '2026-11-24', 2, 170)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO payment_transfers (batch_id, end_to_end_id, payee_kind, payee_id, "
                "amount_oere, claims) VALUES ('B1', 'B1-1', 'cpr', '0101501233', 85, 1)"
            )
        )
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO payment_transfers (batch_id, end_to_end_id, payee_kind, payee_id, "
                "amount_oere, claims) VALUES ('B1', 'B1-2', 'cpr', '0101501233', 85, 1)"
            )
        )
    engine.dispose()


def _migrate_to(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _item(connection: Connection, claim_pk: int, transfer_id: int) -> None:
    connection.execute(
        text(
            "INSERT INTO payment_items (claim_pk, transfer_id, batch_id, amount_oere) "
            "VALUES (:c, :t, 'B1', 85)"
        ),
        {"c": claim_pk, "t": transfer_id},
    )


def test_0008_keeps_paid_items_and_the_once_only_keys(ledger_url: str) -> None:
    """0008 drops the per-row transfer check (SQLite by copying the table): the items a
    ledger holds survive it both ways, and a claim can still be paid only once."""
    engine = make_engine(ledger_url)
    _migrate_to(engine, "0007")
    insert_claim = text(
        f"INSERT INTO claims ({', '.join(_claim('k'))}) "
        f"VALUES ({', '.join(f':{c}' for c in _claim('k'))})"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) VALUES ('R1', "
                "'helbredstillaeg', '2026-11-23', 'demo', 'running', '2026-11-23 22:00:00+00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO source_files (sha256, dataset, file_name, stored_path, run_id, "
                "status, rows_read, rows_rejected) VALUES "
                "('h', 'health_claims', 'f', 'p', 'R1', 'processed', 1, 0)"
            )
        )
        for key in ("helbredstillaeg:C1", "helbredstillaeg:C2"):
            connection.execute(insert_claim, _claim(key))
        connection.execute(
            text(
                "INSERT INTO payment_batches (id, robot, run_id, status, created_at, "
                "execution_date, transfers, total_oere) VALUES ('B1', 'helbredstillaeg', 'R1', "
                "'prepared', '2026-11-23 22:00:00+00', '2026-11-24', 1, 85)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO payment_transfers (batch_id, end_to_end_id, payee_kind, payee_id, "
                "amount_oere, claims) VALUES ('B1', 'B1-1', 'cpr', '0101501233', 85, 1)"
            )
        )
        first, second = connection.execute(text("SELECT id FROM claims ORDER BY id")).scalars()
        transfer = connection.execute(text("SELECT id FROM payment_transfers")).scalar_one()
        _item(connection, first, transfer)
    paid = "SELECT claim_pk, transfer_id, batch_id, amount_oere FROM payment_items"
    with engine.connect() as connection:
        before = connection.execute(text(paid)).all()

    _migrate_to(engine, "head")
    with engine.connect() as connection:
        assert connection.execute(text(paid)).all() == before
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        _item(connection, first, transfer)  # the same claim again
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        _item(connection, second + 1000, transfer)  # a claim that does not exist

    _migrate_to(engine, "0007", down=True)
    with engine.connect() as connection:
        assert connection.execute(text(paid)).all() == before
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        _item(connection, second, transfer + 1000)  # the per-row check is back
    engine.dispose()


def test_0010_keeps_a_ledger_made_before_it_and_gives_its_claims_a_life(ledger_url: str) -> None:
    """A ledger as main wrote it before claim histories (0009): its claims, payments and
    exceptions come through 0010 unchanged, each payment as attempt 1, each claim version
    1, and its claims can then be released or returned like any other."""
    engine = make_engine(ledger_url)
    _migrate_to(engine, "0009")
    insert_claim = text(
        f"INSERT INTO claims ({', '.join(_claim('k'))}) "
        f"VALUES ({', '.join(f':{c}' for c in _claim('k'))})"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) VALUES ('R1', "
                "'helbredstillaeg', '2026-11-23', 'demo', 'completed', '2026-11-23 22:00:00+00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO source_files (sha256, dataset, file_name, stored_path, run_id, "
                "status, rows_read, rows_rejected) VALUES "
                "('h', 'health_claims', 'f', 'p', 'R1', 'processed', 2, 0)"
            )
        )
        connection.execute(insert_claim, _claim("helbredstillaeg:C1"))
        connection.execute(insert_claim, {**_claim("helbredstillaeg:C2"), "decision": "hold"})
        paid, held = connection.execute(text("SELECT id FROM claims ORDER BY id")).scalars()
        connection.execute(
            text(
                "INSERT INTO exceptions (run_id, robot, claim_pk, claim_ref, rule_id, kind, "
                "severity, message, status) VALUES ('R1', 'helbredstillaeg', :c, 'C2', "
                "'HT-STALE', 'suspected_error', 'hold', 'old bill', 'open')"
            ),
            {"c": held},
        )
        connection.execute(
            text(
                "INSERT INTO payment_batches (id, robot, run_id, status, created_at, "
                "execution_date, transfers, total_oere) VALUES ('B1', 'helbredstillaeg', 'R1', "
                "'released', '2026-11-23 22:00:00+00', '2026-11-24', 1, 85)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO payment_transfers (batch_id, end_to_end_id, payee_kind, payee_id, "
                "amount_oere, claims) VALUES ('B1', 'B1-1', 'cpr', '0101501233', 85, 1)"
            )
        )
        transfer = connection.execute(text("SELECT id FROM payment_transfers")).scalar_one()
        _item(connection, paid, transfer)
    tables = ("claims", "exceptions", "payment_batches", "payment_transfers", "payment_items")
    with engine.connect() as connection:
        before = {
            t: connection.execute(text(f"SELECT * FROM {t}")).mappings().all() for t in tables
        }

    _migrate_to(engine, "head")
    with engine.connect() as connection:
        after = {t: connection.execute(text(f"SELECT * FROM {t}")).mappings().all() for t in tables}
        for table in tables:  # every column it had, every value it held
            kept = [{k: row[k] for k in before[table][0]} for row in after[table]]
            assert kept == [dict(row) for row in before[table]], table
        assert [(r["attempt"], r["approved_by_event_id"]) for r in after["payment_items"]] == [
            (1, None)
        ]
        assert [(r["version"], r["supersedes_pk"]) for r in after["claims"]] == [(1, None)] * 2
    with engine.begin() as connection:
        assert history.life_of(connection=connection, claim_pk=held).state is State.HELD
        history.append_event(
            connection=connection,
            claim_pk=held,
            kind=EventKind.RELEASED,
            actor="kontrol.kirsten",
            reason="receipt found",
        )
        history.append_event(
            connection=connection,
            claim_pk=paid,
            kind=EventKind.RETURNED,
            actor="bank",
            reason="no NemKonto",
        )
        assert history.life_of(connection=connection, claim_pk=held).state is State.TO_PAY
        assert history.life_of(connection=connection, claim_pk=paid).state is State.RETURNED
        assert history.exactly_once_violations(connection=connection) == []
    engine.dispose()


def test_0013_opens_a_case_for_every_claim_held_and_not_yet_decided(ledger_url: str) -> None:
    """A ledger as main wrote it before the workbench (0012): a claim held and never
    decided, one released, one released and then held again (its copy was paid), and one
    paid. After 0013 the first and the third are open cases in the queue, nothing else,
    and every row the ledger had is kept."""
    engine = make_engine(ledger_url)
    _migrate_to(engine, "0012")
    insert_claim = text(
        f"INSERT INTO claims ({', '.join(_claim('k'))}) "
        f"VALUES ({', '.join(f':{c}' for c in _claim('k'))})"
    )
    event = text(
        "INSERT INTO claim_events (claim_pk, seq, kind, at, actor, reason) "
        "VALUES (:c, :s, :k, '2026-11-24 08:00:00+00', 'kontrol.kirsten', 'x')"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) VALUES ('R1', "
                "'helbredstillaeg', '2026-11-23', 'demo', 'completed', '2026-11-23 22:00:00+00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO source_files (sha256, dataset, file_name, stored_path, run_id, "
                "status, rows_read, rows_rejected) VALUES "
                "('h', 'health_claims', 'f', 'p', 'R1', 'processed', 4, 0)"
            )
        )
        for key, decision in (("C1", "hold"), ("C2", "hold"), ("C3", "hold"), ("C4", "pay")):
            connection.execute(
                insert_claim, {**_claim(f"helbredstillaeg:{key}"), "decision": decision}
            )
        held, released, again, _ = connection.execute(
            text("SELECT id FROM claims ORDER BY id")
        ).scalars()
        connection.execute(event, {"c": released, "s": 1, "k": "released"})
        connection.execute(event, {"c": again, "s": 1, "k": "released"})
        connection.execute(event, {"c": again, "s": 2, "k": "held_again"})
    with engine.connect() as connection:
        claims_before = connection.execute(text("SELECT * FROM claims")).mappings().all()
    _migrate_to(engine, "head")
    with engine.connect() as connection:
        page = cases.queue_page(connection=connection, queue_filter=cases.QueueFilter())
        claims_after = connection.execute(text("SELECT * FROM claims")).mappings().all()
    assert sorted(r["claim_pk"] for r in page.rows) == [held, again]
    assert {r["status"] for r in page.rows} == {"open"}
    assert [{k: r[k] for k in claims_before[0]} for r in claims_after] == [
        dict(r) for r in claims_before
    ]
    engine.dispose()


def test_0015_keeps_every_claim_and_gives_it_no_last_day(ledger_url: str) -> None:
    """A ledger as main wrote it before claims kept their last day (0014): every claim
    comes through 0015 with every value it held and `service_end` NULL (it covers its
    service_date only), a new claim can keep a last day, and going back drops the column
    and keeps the claims."""
    engine = make_engine(ledger_url)
    _migrate_to(engine, "0014")
    insert_claim = text(
        f"INSERT INTO claims ({', '.join(_claim('k'))}) "
        f"VALUES ({', '.join(f':{c}' for c in _claim('k'))})"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) VALUES ('R1', "
                "'helbredstillaeg', '2026-11-23', 'demo', 'completed', '2026-11-23 22:00:00+00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO source_files (sha256, dataset, file_name, stored_path, run_id, "
                "status, rows_read, rows_rejected) VALUES "
                "('h', 'health_claims', 'f', 'p', 'R1', 'processed', 2, 0)"
            )
        )
        connection.execute(insert_claim, _claim("helbredstillaeg:C1"))
        connection.execute(insert_claim, {**_claim("helbredstillaeg:C2"), "decision": "hold"})
    read = text("SELECT * FROM claims ORDER BY id")
    with engine.connect() as connection:
        before = [dict(row) for row in connection.execute(read).mappings()]

    _migrate_to(engine, "0015")
    with engine.begin() as connection:
        after = [dict(row) for row in connection.execute(read).mappings()]
        connection.execute(
            text(
                f"INSERT INTO claims ({', '.join(_claim('k'))}, service_end) "
                f"VALUES ({', '.join(f':{c}' for c in _claim('k'))}, '2026-10-31')"
            ),
            _claim("helbredstillaeg:C3"),
        )
        last_days = connection.execute(
            text("SELECT claim_id, service_end FROM claims ORDER BY id")
        ).all()
    assert [{k: row[k] for k in before[0]} for row in after] == before
    assert [row["service_end"] for row in after] == [None, None]
    assert [(claim, None if end is None else str(end)) for claim, end in last_days] == [
        ("helbredstillaeg:C1", None),
        ("helbredstillaeg:C2", None),
        ("helbredstillaeg:C3", "2026-10-31"),
    ]

    _migrate_to(engine, "0014", down=True)
    with engine.connect() as connection:
        back = [dict(row) for row in connection.execute(read).mappings()]
    assert back[:2] == before
    assert "service_end" not in back[0]
    engine.dispose()
