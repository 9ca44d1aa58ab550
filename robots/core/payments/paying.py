"""Paying exactly once: prepare in the ledger, write and validate the file, then release.

1. In one transaction: a batch (status prepared), one transfer per payee, and one
   payment item per claim. `payment_items.claim_pk` is the primary key, so no claim can
   ever be in two batches, and only claims decided 'pay' with no item yet are taken.
2. The pain.001 file and the posting file are written from what the ledger recorded: the
   plan just committed, or, for a batch a crash left prepared, the ledger rows read back
   in the same order (so writing them again gives the same bytes and the same MsgId).
   The pain.001 is re-read from disk and validated against the official XSD and our
   totals before anything else happens.
3. The batch is marked released. A run killed anywhere in between finds the prepared
   batch next time and completes it; it never prepares those claims again.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, select, update

from robots.core import dates
from robots.core.errors import ApplicationError, ReasonCode
from robots.core.killpoints import kill_point
from robots.core.ledger import repository
from robots.core.ledger.schema import BatchStatus, PaymentBatch
from robots.core.payments.pain001 import BatchHeader, Debtor, validate_pain001, write_pain001
from robots.core.payments.planning import in_payment_order, payable, plan_batch
from robots.core.payments.posting import account, write_posting_file
from robots.core.pipeline.inbox import DataFolders
from robots.core.robot import Robot
from robots.core.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchResult:
    """What one released batch paid, and where its files are."""

    batch_id: str
    run_id: str
    transfers: int
    claims: int
    total_oere: int
    execution_date: date
    payment_file: Path
    posting_file: Path
    completed_after_crash: bool


@dataclass(frozen=True)
class _Contents:
    """A prepared batch as its files need it.

    Attributes:
        transfers: end_to_end_id, payee_kind, payee_id, amount_oere, claims, remittance,
            in end-to-end order.
        claims: claim_id and amount_oere, in payment order (payee, then claim id).
    """

    transfers: pa.Table
    claims: pa.Table


def prepare_batch(
    *, engine: Engine, robot: Robot, run_id: str, night: date
) -> tuple[str, _Contents] | None:
    """Put every claim decided 'pay' and not yet paid into a new prepared batch.

    The outstanding claims are read once; the plan made from them is both what the
    ledger records and what the files are written from, so nothing is read back.
    """
    with engine.connect() as connection:
        claims = payable(repository.payable_claims(connection=connection, robot=robot.name))
    if claims.num_rows == 0:
        return None
    batch_id = f"{robot.code}{night:%Y%m%d}-{secrets.token_hex(4)}"
    plan = plan_batch(claims, batch_id=batch_id, title=robot.remittance_title)
    del claims
    transfers, claim_count = plan.transfers.num_rows, plan.claims.num_rows
    with engine.begin() as connection:
        connection.execute(
            PaymentBatch.__table__.insert().values(
                id=batch_id,
                robot=robot.name,
                run_id=run_id,
                status=BatchStatus.PREPARED,
                created_at=dates.now(),
                execution_date=dates.next_banking_day(night),
                transfers=transfers,
                total_oere=plan.total_oere,
            )
        )
        batch_column = pa.repeat(pa.scalar(batch_id), transfers)
        repository.insert_arrow(
            connection=connection,
            table="payment_transfers",
            data=plan.transfers.add_column(0, "batch_id", batch_column),
        )
        transfer_ids = _transfer_ids(connection, batch_id, plan.transfers)
        repository.insert_arrow(
            connection=connection,
            table="payment_items",
            data=_payment_items(plan.claims, transfer_ids, batch_id),
        )
        count, total = repository.batch_item_totals(connection=connection, batch_id=batch_id)
        if (count, total) != (claim_count, plan.total_oere):
            raise ApplicationError(
                ReasonCode.PAYMENT_FILE,
                f"batch {batch_id}: {count} payment items for {claim_count} claims; "
                "nothing was paid, run again",
            )
        repository.robot_event(
            connection=connection,
            robot=robot.name,
            action="batch_prepared",
            entity="payment_batch",
            entity_id=batch_id,
            run_id=run_id,
            detail=f"{claim_count} claims, {transfers} transfers",
        )
    kill_point("after_batch_prepared")
    return batch_id, _Contents(plan.transfers, plan.claims.select(["claim_id", "amount_oere"]))


def _transfer_ids(connection: Connection, batch_id: str, planned: pa.Table) -> np.ndarray:
    """The ledger ids of a batch's transfers, in the plan's (end-to-end) order.

    Why the check: items are linked to transfers by position, so the ids read back must
    line up with the plan row for row before a single item is written.
    """
    stored = repository.batch_transfer_ids(connection=connection, batch_id=batch_id)
    if (
        stored.num_rows != planned.num_rows
        or not pc.all(
            pc.equal(stored.column("end_to_end_id"), planned.column("end_to_end_id"))
        ).as_py()
    ):
        raise ApplicationError(
            ReasonCode.PAYMENT_FILE,
            f"batch {batch_id}: the transfers read back differ from those written; "
            "nothing was paid, run again",
        )
    return stored.column("id").to_numpy()


def _payment_items(claims: pa.Table, transfer_ids: np.ndarray, batch_id: str) -> pa.Table:
    """One item per claim, in claim order so the ledger appends instead of inserting."""
    order = np.argsort(claims.column("claim_pk").to_numpy(), kind="stable")
    return pa.table(
        {
            "claim_pk": claims.column("claim_pk").take(order),
            "transfer_id": pa.array(
                transfer_ids[claims.column("transfer").to_numpy()[order]], type=pa.int64()
            ),
            "batch_id": pa.repeat(pa.scalar(batch_id), claims.num_rows),
            "amount_oere": claims.column("amount_oere").take(order),
        }
    )


def _contents_from_ledger(connection: Connection, batch_id: str) -> _Contents:
    """A prepared batch's contents as the ledger holds them, in the plan's order."""
    transfers = repository.batch_transfers(connection=connection, batch_id=batch_id)
    claims = in_payment_order(repository.batch_claims(connection=connection, batch_id=batch_id))
    return _Contents(transfers, claims.select(["claim_id", "amount_oere"]))


def release_batch(
    *,
    engine: Engine,
    robot: Robot,
    batch_id: str,
    settings: Settings,
    folders: DataFolders,
    run_id: str,
    completed_after_crash: bool = False,
    contents: _Contents | None = None,
) -> BatchResult:
    """Write, validate and release a prepared batch (again, if a crash interrupted it).

    `contents` is the plan `prepare_batch` just recorded; without it (a batch a crash
    left prepared) the contents are read from the ledger, in the same order, so the
    files come out the same either way.
    """
    with engine.connect() as connection:
        batch = connection.execute(
            select(PaymentBatch.__table__).where(PaymentBatch.id == batch_id)
        ).one()
        if contents is None:
            contents = _contents_from_ledger(connection, batch_id)
    bank = settings.bank
    header = BatchHeader(
        msg_id=batch_id,
        created_at=batch.created_at,
        execution_date=batch.execution_date,
        debtor=Debtor(
            name=bank.debtor_name, iban=bank.debtor_iban, bic=bank.debtor_bic, cvr=bank.debtor_cvr
        ),
    )
    payment_file = folders.outputs / "payments" / f"{batch_id}.pain.001.xml"
    payment_file.parent.mkdir(parents=True, exist_ok=True)
    summary = write_pain001(payment_file, header, contents.transfers.to_pandas())
    validate_pain001(payment_file, expected=summary)
    posting_file = folders.outputs / "postings" / f"{batch_id}.postings.csv"
    total_oere = write_posting_file(
        posting_file,
        batch_id=batch_id,
        run_id=batch.run_id,
        posting_date=batch.execution_date,
        benefit_account=account(robot.accounts_section),
        bank_account=account("bank"),
        claims=contents.claims,
        title=robot.remittance_title,
    )
    kill_point("after_payment_file")
    with engine.begin() as connection:
        connection.execute(
            update(PaymentBatch)
            .where(PaymentBatch.id == batch_id)
            .values(
                status=BatchStatus.RELEASED,
                released_at=dates.now(),
                payment_file=str(payment_file),
                posting_file=str(posting_file),
            )
        )
        repository.robot_event(
            connection=connection,
            robot=robot.name,
            action="batch_released",
            entity="payment_batch",
            entity_id=batch_id,
            run_id=run_id,
            detail=f"{summary.number_of_transactions} transfers, {summary.control_sum} DKK",
        )
    kill_point("after_batch_released")
    return BatchResult(
        batch_id=batch_id,
        run_id=run_id,
        transfers=contents.transfers.num_rows,
        claims=contents.claims.num_rows,
        total_oere=total_oere,
        execution_date=batch.execution_date,
        payment_file=payment_file,
        posting_file=posting_file,
        completed_after_crash=completed_after_crash,
    )


def pay_outstanding(
    *,
    engine: Engine,
    robot: Robot,
    run_id: str,
    night: date,
    settings: Settings,
    folders: DataFolders,
) -> list[BatchResult]:
    """Finish any batch a crash left prepared, then pay everything decided and unpaid."""
    with engine.connect() as connection:
        stuck = (
            connection.execute(
                select(PaymentBatch.id)
                .where(
                    PaymentBatch.robot == robot.name, PaymentBatch.status == BatchStatus.PREPARED
                )
                .order_by(PaymentBatch.created_at)
            )
            .scalars()
            .all()
        )
    results = [
        release_batch(
            engine=engine,
            robot=robot,
            batch_id=b,
            settings=settings,
            folders=folders,
            run_id=run_id,
            completed_after_crash=True,
        )
        for b in stuck
    ]
    prepared = prepare_batch(engine=engine, robot=robot, run_id=run_id, night=night)
    if prepared is not None:
        batch_id, contents = prepared
        results.append(
            release_batch(
                engine=engine,
                robot=robot,
                batch_id=batch_id,
                settings=settings,
                folders=folders,
                run_id=run_id,
                contents=contents,
            )
        )
    return results
