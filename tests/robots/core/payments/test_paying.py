"""Paying a batch: what the ledger records and what the files say must be the same, however
the files are written (here or in the worker process) and however often (after a crash).

Why these tests matter: the night writes a batch's files from the plan it commits and,
after a crash, from the ledger alone. Both must give the same bytes, or the bank and the
accounts would see two versions of one payment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Connection, Engine, text

from robots.core.errors import ApplicationError
from robots.core.ledger import bulk, payment_records
from robots.core.ledger.database import open_ledger
from robots.core.ledger.schema import Claim
from robots.core.payments import filing, paying
from robots.core.payments.filing import staging_folder
from robots.core.payments.pain001 import PaymentFileError, validate_pain001
from robots.core.payments.planning import REMITTANCE_CHARS, plan_batch
from robots.core.pipeline.inbox import DataFolders
from robots.core.settings import Settings
from robots.helbredstillaeg.robot import ROBOT

NIGHT = date(2026, 11, 23)
CPRS = ["0101001234", "0202002345", "0303003456"]  # test CPR numbers (not real people)
CVR = "11715311"


class _Killed(Exception):
    """Stands in for SIGKILL at a kill point, inside one test process."""


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Engine]:
    engine = open_ledger(ledger_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (id, robot, night, mode, status, started_at) VALUES "
                "('R1', :robot, '2026-11-23', 'demo', 'running', '2026-11-23 22:00:00+00')"
            ),
            {"robot": ROBOT.name},
        )
        connection.execute(
            text(
                "INSERT INTO source_files (sha256, dataset, file_name, stored_path, run_id, "
                "status, rows_read, rows_rejected) VALUES "
                "('h', 'health_claims', 'f', 'p', 'R1', 'processed', 1, 0)"
            )
        )
    yield engine
    engine.dispose()


def _add_claims(engine: Engine, claims: list[tuple[str, str, str, int]]) -> None:
    """Claims decided 'pay': (claim_id, payee_kind, payee_id, amount_oere)."""
    rows = [
        {
            "idempotency_key": f"{ROBOT.name}:{claim_id}",
            "robot": ROBOT.name,
            "claim_id": claim_id,
            "run_id": "R1",
            "source_file_id": 1,
            "source_line": line,
            "cpr": None,
            "payee_kind": kind,
            "payee_id": payee,
            "category": "medicin",
            "counterparty": None,
            "service_date": date(2026, 11, 1),
            "basis_oere": amount,
            "amount_oere": amount,
            "rate_year": 2026,
            "rate_provisional": False,
            "rule_basis": "x",
            "fingerprint": claim_id,
            "decision": "pay",
            "rule_ids": "",
        }
        for line, (claim_id, kind, payee, amount) in enumerate(claims, start=2)
    ]
    with engine.begin() as connection:
        connection.execute(Claim.__table__.insert(), rows)


def _many_claims() -> list[tuple[str, str, str, int]]:
    """Three persons and a company; one person with more claims than the remittance shows."""
    claims = [(f"C{i:03d}", "cpr", CPRS[0], 100 + i) for i in range(40)]
    claims += [("D1", "cpr", CPRS[1], 2869), ("D2", "cvr", CVR, 2805), ("D3", "cpr", CPRS[2], 1)]
    return claims


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", mode="demo", logs_dir=tmp_path / "logs")


def _pay(engine: Engine, settings: Settings) -> list[paying.BatchResult]:
    return paying.pay_outstanding(
        engine=engine,
        robot=ROBOT,
        run_id="R1",
        night=NIGHT,
        settings=settings,
        folders=DataFolders(settings.data_dir),
    )


@pytest.fixture(params=["here", "worker"])
def writer_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Files written in this process, or (as for large batches) in the worker process."""
    if request.param == "worker":
        monkeypatch.setattr(paying, "WORKER_FROM_CLAIMS", 1)
    return str(request.param)


def test_a_batch_pays_each_claim_once_and_its_files_agree(
    ledger: Engine, tmp_path: Path, writer_mode: str
) -> None:
    claims = _many_claims()
    _add_claims(ledger, claims)
    settings = _settings(tmp_path)
    [batch] = _pay(ledger, settings)
    assert (batch.claims, batch.transfers) == (len(claims), 4)
    assert batch.total_oere == sum(c[3] for c in claims)
    validate_pain001(batch.payment_file)
    posting_lines = batch.posting_file.read_text(encoding="utf-8").splitlines()
    assert len(posting_lines) == 1 + len(claims) + 1  # header, one per claim, bank line
    with ledger.connect() as connection:
        items = payment_records.batch_item_summary(connection=connection, batch_id=batch.batch_id)
        # Each item points at the transfer of its own claim's payee in its own batch.
        linked = connection.execute(
            text(
                "SELECT COUNT(*) FROM payment_items i JOIN claims c ON c.id = i.claim_pk "
                "JOIN payment_transfers t ON t.id = i.transfer_id AND t.batch_id = i.batch_id "
                "AND t.payee_kind = c.payee_kind AND t.payee_id = c.payee_id"
            )
        ).scalar_one()
    assert (items.rows, items.total_oere) == (len(claims), batch.total_oere)
    assert linked == len(claims)
    assert _pay(ledger, settings) == [], "nothing is left to pay"
    assert not staging_folder(settings.data_dir / "outputs", ROBOT.name).exists()


def test_files_rewritten_from_the_ledger_after_a_crash_are_byte_identical(
    ledger: Engine, tmp_path: Path, writer_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed right after the batch was recorded: the next run writes the same bytes."""
    _add_claims(ledger, _many_claims())
    settings = _settings(tmp_path)

    def kill_after_prepare(name: str) -> None:
        if name == "after_batch_prepared":
            raise _Killed(name)

    monkeypatch.setattr(paying, "kill_point", kill_after_prepare)
    with pytest.raises(_Killed):
        _pay(ledger, settings)
    [staged] = staging_folder(settings.data_dir / "outputs", ROBOT.name).iterdir()
    first_payment = (staged / f"{staged.name}.pain.001.xml").read_bytes()
    first_postings = (staged / f"{staged.name}.postings.csv").read_bytes()
    assert not list((settings.data_dir / "outputs" / "payments").glob("*.xml"))

    monkeypatch.setattr(paying, "kill_point", lambda name: None)
    [batch] = _pay(ledger, settings)
    assert batch.completed_after_crash and batch.batch_id == staged.name
    assert batch.payment_file.read_bytes() == first_payment
    assert batch.posting_file.read_bytes() == first_postings


def test_a_posting_file_that_cannot_be_written_leaves_the_batch_prepared(
    ledger: Engine, tmp_path: Path, writer_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a worker, the posting file is written here while the worker validates: its
    failure still stops the release, and the next run completes the batch (written here,
    the files come before the batch is recorded, so nothing is)."""
    _add_claims(ledger, _many_claims())
    settings = _settings(tmp_path)
    write_postings = filing.write_postings

    def disk_full(**arguments: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(filing, "write_postings", disk_full)
    with pytest.raises(OSError, match="No space"):
        _pay(ledger, settings)
    with ledger.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM payment_batches")).scalars()
        assert list(statuses) == (["prepared"] if writer_mode == "worker" else [])
    assert not list((settings.data_dir / "outputs" / "payments").glob("*"))

    monkeypatch.setattr(filing, "write_postings", write_postings)
    [batch] = _pay(ledger, settings)
    assert batch.completed_after_crash == (writer_mode == "worker")
    assert batch.claims == len(_many_claims())
    assert len(batch.posting_file.read_text(encoding="utf-8").splitlines()) == batch.claims + 2


def test_a_refused_file_is_not_published_and_the_batch_stays_prepared(
    ledger: Engine, tmp_path: Path, writer_mode: str
) -> None:
    """A payee id the bank cannot take stops the batch before release, without the id."""
    _add_claims(ledger, [("C1", "cpr", CPRS[0], 100), ("C2", "cpr", "12345", 200)])
    settings = _settings(tmp_path)
    with pytest.raises(PaymentFileError, match="payee_id must be 10 digits") as info:
        _pay(ledger, settings)
    assert "12345" not in str(info.value)
    with ledger.connect() as connection:
        status = connection.execute(text("SELECT status FROM payment_batches")).scalar_one()
    assert status == "prepared"
    assert not list((settings.data_dir / "outputs" / "payments").glob("*"))
    assert not list((settings.data_dir / "outputs" / "postings").glob("*"))


def test_a_claim_paid_meanwhile_stops_the_whole_batch(ledger: Engine, tmp_path: Path) -> None:
    """Another run pays a claim between reading and recording: nothing of this batch stays."""
    _add_claims(ledger, _many_claims())
    with ledger.connect() as connection:
        claims = payment_records.payable_claims(connection=connection, robot=ROBOT.name)
    batch, plan = paying._plan(claims, ROBOT, "R1", NIGHT)
    first = _pay(ledger, _settings(tmp_path))  # the other run, paying everything
    with pytest.raises(ApplicationError, match="refused its payment items"):
        paying._record(ledger, ROBOT, [(batch, plan)])
    with ledger.connect() as connection:
        batches = connection.execute(text("SELECT id FROM payment_batches")).scalars().all()
        items = connection.execute(text("SELECT COUNT(*) FROM payment_items")).scalar_one()
    assert batches == [first[0].batch_id]
    assert items == first[0].claims


def _ids_with_a_gap(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Transfer ids reserved with a hole after the first, as PostgreSQL's sequence gives
    when another writer draws ids meanwhile; returns the hole once ids are reserved."""
    reserve, hole = bulk.reserve_transfer_ids, []

    def with_a_gap(*, connection: Connection, count: int) -> np.ndarray:
        ids = reserve(connection=connection, count=count + 1)
        hole.append(int(ids[1]))
        return np.delete(ids, 1)

    monkeypatch.setattr(bulk, "reserve_transfer_ids", with_a_gap)
    return hole


def _first_item_pointing_at(monkeypatch: pytest.MonkeyPatch, transfer_id: Callable[[], int]):
    """Payment items as planned, except the first, which points at `transfer_id()`."""
    items = paying._payment_items

    def tampered(claims: pa.Table, transfer_ids: np.ndarray, batch_id: str) -> pa.Table:
        table = items(claims, transfer_ids, batch_id)
        wrong = [transfer_id(), *table.column("transfer_id").to_pylist()[1:]]
        column = table.column_names.index("transfer_id")
        return table.set_column(column, "transfer_id", pa.array(wrong, type=pa.int64()))

    monkeypatch.setattr(paying, "_payment_items", tampered)


def _nothing_recorded(ledger: Engine) -> bool:
    with ledger.connect() as connection:
        return all(
            connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0
            for table in ("payment_batches", "payment_transfers", "payment_items")
        )


def test_transfer_ids_with_a_gap_still_link_every_item(
    ledger: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids that are no unbroken range (PostgreSQL, another writer) are checked item by item."""
    hole = _ids_with_a_gap(monkeypatch)
    _add_claims(ledger, _many_claims())
    [batch] = _pay(ledger, _settings(tmp_path))
    with ledger.connect() as connection:
        ids = connection.execute(text("SELECT id FROM payment_transfers ORDER BY id")).scalars()
        assert hole[0] not in list(ids)
        assert payment_records.batch_items_in_own_transfers(
            connection=connection, batch_id=batch.batch_id
        ) == len(_many_claims())


@pytest.mark.parametrize("where", ["past the last transfer", "into a gap between transfers"])
def test_an_item_pointing_at_no_transfer_of_its_batch_stops_the_batch(
    ledger: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The database does not check transfer_id per row (0008); paying checks it before commit."""
    if where == "past the last transfer":
        highest: list[int] = []
        reserve = bulk.reserve_transfer_ids

        def noted(*, connection: Connection, count: int) -> np.ndarray:
            ids = reserve(connection=connection, count=count)
            highest.append(int(ids[-1]))
            return ids

        monkeypatch.setattr(bulk, "reserve_transfer_ids", noted)
        _first_item_pointing_at(monkeypatch, lambda: highest[0] + 1)
    else:
        hole = _ids_with_a_gap(monkeypatch)
        _first_item_pointing_at(monkeypatch, lambda: hole[0])
    _add_claims(ledger, _many_claims())
    with pytest.raises(ApplicationError, match="nothing was paid"):
        _pay(ledger, _settings(tmp_path))
    assert _nothing_recorded(ledger)


def test_claim_ids_with_any_text_are_read_back_exactly(ledger: Engine) -> None:
    """Quotes, separators, line breaks and 'NULL' survive the ledger's bulk text export."""
    odd = ["it's", 'say "hi"', "a,b;c", "two\nlines", "NULL", "", "æøå €", "x'y\"z\r\n"]
    _add_claims(ledger, [(claim_id, "cpr", CPRS[0], 1) for claim_id in odd])
    with ledger.connect() as connection:
        claims = payment_records.payable_claims(connection=connection, robot=ROBOT.name)
    assert sorted(claims.column("claim_id").to_pylist()) == sorted(odd)
    assert claims.column("payee_id").to_pylist() == [CPRS[0]] * len(odd)


def test_bulk_insert_keeps_any_text(ledger: Engine) -> None:
    """What insert_arrow writes (COPY on PostgreSQL) reads back unchanged."""
    remittances = ['a "quoted" text', "semi;colon, comma", "line\nbreak", "", "\\N", "NULL"]
    transfers = pa.table(
        {
            "batch_id": ["B1"] * len(remittances),
            "end_to_end_id": [f"B1-{i:06d}" for i in range(1, len(remittances) + 1)],
            "payee_kind": ["cpr"] * len(remittances),
            "payee_id": [f"01010012{i:02d}" for i in range(len(remittances))],
            "amount_oere": pa.array(np.arange(1, len(remittances) + 1), type=pa.int64()),
            "claims": pa.array([1] * len(remittances), type=pa.int64()),
            "remittance": remittances,
        }
    )
    with ledger.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO payment_batches (id, robot, run_id, status, created_at, "
                "execution_date, transfers, total_oere) VALUES ('B1', :robot, 'R1', 'prepared', "
                "'2026-11-23 22:00:00+00', '2026-11-24', 6, 21)"
            ),
            {"robot": ROBOT.name},
        )
        bulk.insert_arrow(connection=connection, table="payment_transfers", data=transfers)
    with ledger.connect() as connection:
        stored = payment_records.batch_transfers(connection=connection, batch_id="B1")
    assert (
        stored.sort_by("end_to_end_id").to_pylist()
        == transfers.drop_columns(["batch_id"]).to_pylist()
    )


def _remittance(title: str, label: str, documents: list[tuple[str, int]]) -> str:
    """The remittance written the obvious way: every number if all fit, else numbers while
    they fit beside "m.fl. (N stk.)"."""
    head, count = f"{title}: {label} ", len(documents)
    names = [("KN " if amount < 0 else "") + own for own, amount in documents]
    if len(head + ", ".join(names)) <= REMITTANCE_CHARS:
        return head + ", ".join(names)
    tail = f" m.fl. ({count} stk.)"
    shown: list[str] = []
    for name in names:
        if len(head + ", ".join([*shown, name]) + tail) > REMITTANCE_CHARS:
            break
        shown.append(name)
    return head + ", ".join(shown) + tail if shown else f"{title}: {count} stk."


def test_plan_matches_a_plain_python_grouping() -> None:
    """The Arrow plan against a loop over payees written the obvious way: invoices of
    several lines named once, credit notes marked, as many numbers as fit in 140."""
    rng = np.random.default_rng(7)
    count = 900
    payees = [("cpr", f"{n:010d}") for n in rng.integers(0, 60, count)]
    payees = [("cvr", p[1][:8]) if i % 7 == 0 else p for i, p in enumerate(payees)]
    invoices = rng.integers(0, 400, count)
    lines = rng.integers(1, 3, count)
    credit = rng.random(count) < 0.1
    claims = pa.table(
        {
            "claim_pk": pa.array(rng.permutation(count) + 1, type=pa.int64()),
            "claim_id": [
                f"{p[1]}-{'CN-' if c else ''}F{n}-{ln}"
                for p, n, ln, c in zip(payees, invoices, lines, credit, strict=True)
            ],
            "source_id": [f"F{n}" for n in invoices],
            "payee_kind": [p[0] for p in payees],
            "payee_id": [p[1] for p in payees],
            "amount_oere": pa.array(
                np.where(credit, -1, 1) * rng.integers(1, 10**6, count), type=pa.int64()
            ),
        }
    )
    # A claim id twice makes two claims of one line: keep each claim id once.
    first = sorted({row["claim_id"]: i for i, row in enumerate(claims.to_pylist())}.values())
    claims = claims.take(first)
    plan = plan_batch(claims, batch_id="B9", title="Tillaeg", label="fakt.")

    expected: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for row in claims.to_pylist():
        key = (row["payee_kind"], row["payee_id"])
        expected.setdefault(key, []).append((row["claim_id"], row["source_id"], row["amount_oere"]))
    rows = []
    for number, key in enumerate(sorted(expected), start=1):
        claims_of = sorted(expected[key])
        documents: list[tuple[str, int]] = []
        for _, own, amount in claims_of:
            if not documents or documents[-1] != (own, amount < 0):
                documents.append((own, amount < 0))
        total = sum(a for _, _, a in claims_of)
        rows.append(
            {
                "end_to_end_id": f"B9-{number:06d}",
                "payee_kind": key[0],
                "payee_id": key[1],
                "amount_oere": total,
                "claims": len(claims_of),
                "remittance": _remittance(
                    "Tillaeg", "fakt.", [(o, -1 if c else 1) for o, c in documents]
                ),
            }
        )
    assert plan.transfers.to_pylist() == rows
    assert all(len(r["remittance"]) <= REMITTANCE_CHARS for r in rows)
    assert any(" m.fl. (" in r["remittance"] for r in rows)
    assert any(", KN F" in r["remittance"] or ": fakt. KN F" in r["remittance"] for r in rows)
    assert plan.total_oere == sum(claims.column("amount_oere").to_pylist())
    transfer_of = {
        row["claim_id"]: (row["payee_kind"], row["payee_id"]) for row in claims.to_pylist()
    }
    for claim in plan.claims.to_pylist():
        planned = rows[claim["transfer"]]
        assert (planned["payee_kind"], planned["payee_id"]) == transfer_of[claim["claim_id"]]


def test_the_posting_file_is_on_disk_before_it_gets_its_name(
    ledger: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once its batch is released, nothing writes a posting file again: it is fsynced
    under its temporary name, before the rename that makes it the batch's file."""
    synced: list[str] = []
    fsync = os.fsync

    def noting(descriptor: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        fsync(descriptor)

    monkeypatch.setattr(os, "fsync", noting)
    _add_claims(ledger, _many_claims())
    [batch] = _pay(ledger, _settings(tmp_path))
    assert any(name.endswith(".postings.csv.tmp") for name in synced)
    assert batch.posting_file.exists()


def _bundled(tmp_path: Path, max_transfers: int) -> Settings:
    settings = _settings(tmp_path)
    bank = settings.bank.model_copy(update={"max_transfers_per_file": max_transfers})
    return settings.model_copy(update={"bank": bank})


def _spread_claims() -> list[tuple[str, str, str, int]]:
    """Nine payees; the third has three claims, so a bundle boundary could fall inside it."""
    cprs = [f"{day:02d}0101{day:04d}" for day in range(1, 10)]
    claims = [(f"S{i}", "cpr", cpr, 1000 + i) for i, cpr in enumerate(cprs)]
    claims += [("S2b", "cpr", cprs[2], 7), ("S2c", "cpr", cprs[2], 9)]
    return claims


def test_a_night_larger_than_a_bundle_is_paid_in_several_files_each_claim_once(
    ledger: Engine, tmp_path: Path, writer_mode: str
) -> None:
    """[bank] max_transfers_per_file 4 and nine payees: three batches of 4, 4 and 1
    transfers, each its own valid file whose control sum is its own; no payee split."""
    claims = _spread_claims()
    _add_claims(ledger, claims)
    settings = _bundled(tmp_path, 4)
    batches = _pay(ledger, settings)
    assert [b.transfers for b in batches] == [4, 4, 1]
    assert len({b.batch_id for b in batches}) == 3
    assert sum(b.claims for b in batches) == len(claims)
    assert sum(b.total_oere for b in batches) == sum(c[3] for c in claims)
    end_to_end: list[str] = []
    for batch in batches:
        validate_pain001(batch.payment_file)
        text_of_file = batch.payment_file.read_text(encoding="utf-8")
        assert f"<NbOfTxs>{batch.transfers}</NbOfTxs>" in text_of_file
        assert f"<CtrlSum>{Decimal(batch.total_oere) / 100:.2f}</CtrlSum>" in text_of_file
        end_to_end += [e.split("<")[0] for e in text_of_file.split("<EndToEndId>")[1:]]
    assert len(end_to_end) == 9 == len(set(end_to_end))
    with ledger.connect() as connection:
        per_payee = connection.execute(
            text(
                "SELECT c.payee_id, COUNT(DISTINCT i.batch_id) FROM payment_items i "
                "JOIN claims c ON c.id = i.claim_pk GROUP BY c.payee_id"
            )
        ).all()
        paid = connection.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT claim_pk) FROM payment_items")
        ).one()
    assert {count for _, count in per_payee} == {1}, "a payee's claims are in one transfer"
    assert tuple(paid) == (len(claims), len(claims))
    assert _pay(ledger, settings) == []


def test_a_run_killed_between_two_bundles_leaves_the_rest_for_the_next_run(
    ledger: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the first of three batches was released: the next run releases the
    other two from the ledger, and prepares nothing new."""
    claims = _spread_claims()
    _add_claims(ledger, claims)
    settings = _bundled(tmp_path, 4)

    def kill_after_first_release(name: str) -> None:
        if name == "after_batch_released":
            raise _Killed(name)

    monkeypatch.setattr(paying, "kill_point", kill_after_first_release)
    with pytest.raises(_Killed):
        _pay(ledger, settings)
    with ledger.connect() as connection:
        statuses = sorted(
            connection.execute(text("SELECT status FROM payment_batches")).scalars().all()
        )
    assert statuses == ["prepared", "prepared", "released"]

    monkeypatch.setattr(paying, "kill_point", lambda name: None)
    finished = _pay(ledger, settings)
    assert [b.completed_after_crash for b in finished] == [True, True]
    assert sorted(b.transfers for b in finished) == [1, 4]
    files = sorted((settings.data_dir / "outputs" / "payments").glob("*.xml"))
    assert len(files) == 3
    with ledger.connect() as connection:
        paid = connection.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT claim_pk), SUM(amount_oere) FROM payment_items")
        ).one()
    assert tuple(paid) == (len(claims), len(claims), sum(c[3] for c in claims))


def test_a_worker_that_stops_releases_nothing_and_the_next_run_finishes_every_batch(
    ledger: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker receives each batch as it is planned; if it dies (here: it cannot even
    start), every batch handed to it is refused, none is released, all stay prepared, and
    the next run writes and releases them from the ledger, each claim once."""
    claims = _spread_claims()
    _add_claims(ledger, claims)
    settings = _bundled(tmp_path, 4)
    monkeypatch.setattr(paying, "WORKER_FROM_CLAIMS", 1)
    monkeypatch.setattr(filing, "__name__", "robots.core.payments.no_such_worker")
    with pytest.raises(ApplicationError, match="worker process writing the payment file stopped"):
        _pay(ledger, settings)
    with ledger.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM payment_batches")).scalars().all()
    assert sorted(statuses) == ["prepared"] * 3
    assert not list((settings.data_dir / "outputs").glob("payments/*.xml"))

    monkeypatch.setattr(filing, "__name__", "robots.core.payments.filing")
    finished = _pay(ledger, settings)
    assert [b.completed_after_crash for b in finished] == [True, True, True]
    assert sum(b.claims for b in finished) == len(claims)
    assert len(list((settings.data_dir / "outputs").glob("payments/*.xml"))) == 3
