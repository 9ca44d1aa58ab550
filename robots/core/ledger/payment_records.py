"""Payment batches, transfers and items as the ledger holds them.

Part of the ledger's API (see robots/core/ledger/__init__.py): functions take the
connection as a keyword argument, so the caller decides the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, insert, select, text, update

from robots.core.ledger import bulk
from robots.core.ledger.schema import BatchStatus, PaymentBatch

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
    return bulk.read_arrow(
        connection=connection,
        columns={
            "claim_pk": ("c.id", pa.int64()),
            "claim_id": ("c.claim_id", pa.string()),
            **({"source_id": (source_id, pa.string())} if source_id else {}),
            "payee_kind": ("c.payee_kind", pa.string()),
            "payee_id": ("c.payee_id", pa.string()),
            "amount_oere": ("c.amount_oere", pa.int64()),
        },
        source=_payable_source(connection),
        params={"robot": robot},
    )


def _payable_source(connection: Connection) -> str:
    """Which claims are payable, as SQL (`c`, robot `:robot`): the one definition both
    `payable_claims` and `payable_summary` read, so the summary proves what the rows are.
    The question about history is asked only when some claim has one: a million lookups
    in an empty table cost."""
    no_history = (
        " AND NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_pk = c.id)"
        if _some_claim_has_history(connection)
        else ""
    )
    return (
        "FROM claims c WHERE c.robot = :robot AND c.decision = 'pay' "
        "AND NOT EXISTS (SELECT 1 FROM payment_items i WHERE i.claim_pk = c.id)" + no_history
    )


@dataclass(frozen=True)
class PayableSummary:
    """What a robot's payable claims are, in figures: how many, how many of them a given
    run decided, their total in øre, and how many are a later version of a claim."""

    claims: int
    of_run: int
    total_oere: int
    versions: int


def payable_summary(*, connection: Connection, robot: str, run_id: str) -> PayableSummary:
    """The claims `payable_claims` would read, summed up instead of read (a million rows
    read back cost 1.1 s, this 0.3 s): enough to prove they are exactly the claims a run
    has just decided 'pay', when the run knows how many and their total."""
    claims, of_run, total, versions = connection.execute(
        text(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.run_id = :run_id THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(c.amount_oere), 0), "
            "COALESCE(SUM(CASE WHEN c.supersedes_pk IS NULL THEN 0 ELSE 1 END), 0) "
            + _payable_source(connection)
        ),
        {"robot": robot, "run_id": run_id},
    ).one()
    return PayableSummary(int(claims), int(of_run), int(total), int(versions))


def _some_claim_has_history(connection: Connection) -> bool:
    """Whether any claim has an event after the night: until one has, the questions about
    history are skipped (a million lookups in an empty table still cost)."""
    return connection.execute(text("SELECT 1 FROM claim_events LIMIT 1")).first() is not None


_NO_CLAIMS_DUE = pa.table(
    {
        "claim_pk": pa.array([], pa.int64()),
        "claim_id": pa.array([], pa.string()),
        "source_id": pa.array([], pa.string()),
        "payee_kind": pa.array([], pa.string()),
        "payee_id": pa.array([], pa.string()),
        "amount_oere": pa.array([], pa.int64()),
        "attempt": pa.array([], pa.int64()),
        "approved_by_event_id": pa.array([], pa.int64()),
    }
)


def claims_due_again(*, connection: Connection, robot: str) -> pa.Table:
    """Claims a person's latest decision makes payable and that are not paid for it: a held
    claim released (or its hold a false alarm), attempt 1; a returned one approved to be
    paid again, as the attempt the approval names (`approved_by_event_id`, else 0)."""
    if not _some_claim_has_history(connection):
        # No claim has a history yet (most nights before the pages): nothing is due again,
        # and the query's Arrow round trip cost 0.1 s at a million claims.
        return _NO_CLAIMS_DUE
    return bulk.read_arrow(
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
        # The latest event that moves the claim (a referral after a release leaves it due).
        "AND e.seq = (SELECT MAX(x.seq) FROM claim_events x WHERE x.claim_pk = e.claim_pk "
        "AND x.kind NOT IN ('referred', 'case_closed')) "
        "AND NOT EXISTS (SELECT 1 FROM payment_items i "
        "WHERE i.claim_pk = c.id AND i.attempt = COALESCE(e.attempt, 1))",
        params={"robot": robot},
    )


def batch_transfers(*, connection: Connection, batch_id: str) -> pa.Table:
    """A batch's transfers as prepared, in the order they were written (end-to-end order)."""
    rows = bulk.read_arrow(
        connection=connection,
        columns={"id": ("t.id", pa.int64()), **_TRANSFER_COLUMNS},
        source="FROM payment_transfers t WHERE t.batch_id = :batch",
        params={"batch": batch_id},
    )
    return rows.sort_by("id").drop_columns(["id"])


def refusion_of(*, connection: Connection, claim_pks: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Each claim's own refusion percent and posting grouping (claim_pk, refusion_percent,
    posting_grouping; null where the robot's account gives them)."""
    found = bulk.lookup_via_temp_table(
        connection=connection,
        values=pc.cast(claim_pks, pa.string()).to_pylist(),
        query=(
            "SELECT c.id, c.refusion_percent, c.posting_grouping "
            "FROM tmp_lookup t CROSS JOIN claims c WHERE c.id = CAST(t.k AS INTEGER)"
        ),
        columns=["claim_pk", "refusion_percent", "posting_grouping"],
    )
    return pa.table(
        {
            "claim_pk": pa.array(found["claim_pk"].astype("int64"), pa.int64()),
            "refusion_percent": pa.array(found["refusion_percent"].astype("Int64"), pa.int64()),
            "posting_grouping": pa.array(found["posting_grouping"], pa.string()),
        }
    )


def batch_claims(*, connection: Connection, batch_id: str) -> pa.Table:
    """The claims a batch pays, with the amount of each payment item (in no particular order)."""
    return bulk.read_arrow(
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


def approved_not_paid(*, connection: Connection, run_id: str) -> pd.Series:
    """Idempotency keys of a run's claims decided 'pay' that are in no payment."""
    return bulk.read_frame(
        connection=connection,
        sql="SELECT c.idempotency_key FROM claims c "
        "LEFT JOIN payment_items i ON i.claim_pk = c.id "
        "WHERE c.run_id = :run_id AND c.decision = 'pay' AND i.claim_pk IS NULL",
        columns=["idempotency_key"],
        params={"run_id": run_id},
    )["idempotency_key"]


def settled_unpaid(*, connection: Connection, keys: pd.Series) -> set[str]:
    """Of the given idempotency keys (a run's claims decided 'pay' in no payment), those
    settled with nothing paid (a version whose earlier versions paid enough, a month that
    owes nothing)."""
    if not len(keys) or not _some_claim_has_history(connection):
        return set()
    found = bulk.lookup_via_temp_table(
        connection=connection,
        values=keys,
        query=(
            "SELECT c.idempotency_key FROM tmp_lookup t CROSS JOIN claims c "
            "JOIN claim_events e ON e.claim_pk = c.id "
            "WHERE c.idempotency_key = t.k AND e.kind = 'settled'"
        ),
        columns=["idempotency_key"],
    )
    return set(found["idempotency_key"])


def prepared_batches(*, connection: Connection, robot: str) -> list[str]:
    """The robot's batches a crash left prepared (not released), oldest first."""
    return list(
        connection.execute(
            select(PaymentBatch.id)
            .where(PaymentBatch.robot == robot, PaymentBatch.status == BatchStatus.PREPARED)
            .order_by(PaymentBatch.created_at)
        ).scalars()
    )


def prepare_batch(
    *,
    connection: Connection,
    batch_id: str,
    robot: str,
    run_id: str,
    created_at: datetime,
    execution_date: date,
    transfers: int,
    total_oere: int,
) -> None:
    """Step 1 of paying: the batch row, prepared (its transfers and items follow in the
    same transaction)."""
    connection.execute(
        insert(PaymentBatch).values(
            id=batch_id,
            robot=robot,
            run_id=run_id,
            status=BatchStatus.PREPARED,
            created_at=created_at,
            execution_date=execution_date,
            transfers=transfers,
            total_oere=total_oere,
        )
    )


def batch_by_id(*, connection: Connection, batch_id: str) -> Any:
    """One batch's row (id, robot, run_id, status, created_at, execution_date, ...)."""
    return connection.execute(
        select(PaymentBatch.__table__).where(PaymentBatch.id == batch_id)
    ).one()


def release_batch(
    *, connection: Connection, batch_id: str, at: datetime, payment_file: str, posting_file: str
) -> None:
    """Step 3 of paying: the batch released, with where its checked files are."""
    connection.execute(
        update(PaymentBatch)
        .where(PaymentBatch.id == batch_id)
        .values(
            status=BatchStatus.RELEASED,
            released_at=at,
            payment_file=payment_file,
            posting_file=posting_file,
        )
    )
