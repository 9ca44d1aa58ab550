"""Paying exactly once: prepare in the ledger, write and validate the file, then release.

1. In one transaction: a batch (status prepared), one transfer per payee, and one
   payment item per claim. `payment_items.claim_pk` is the primary key, so no claim can
   ever be in two batches, and only claims decided 'pay' with no item yet are taken.
2. The pain.001 file and the posting file hold exactly what the ledger records: the plan
   that transaction commits or, for a batch a crash left prepared, the ledger rows read
   back in the same order (so writing them again gives the same bytes and the same
   MsgId). They are written into a staging folder, the pain.001 is re-read from disk and
   validated against the official XSD and our totals, and only a valid file of a batch
   the ledger holds is moved into outputs/ (see `filing`). For a large batch the files
   are written by a worker process while step 1 runs.
3. The batch is marked released. A run killed anywhere in between finds the prepared
   batch next time and completes it; it never prepares those claims again.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from robots.core import dates
from robots.core.errors import ApplicationError, ReasonCode
from robots.core.killpoints import kill_point
from robots.core.ledger import audit_trail, bulk, claim_records, history, payment_records
from robots.core.ledger.payment_records import PayableSummary, RowsSummary
from robots.core.payments.drafting import (
    Draft,
    DraftedBatch,
    DraftJob,
    draft_folder,
    start_draft,
)
from robots.core.payments.filing import (
    WORKER_FROM_CLAIMS,
    FilesJob,
    FileWriter,
    PendingFiles,
    Postings,
    StagedFiles,
    discard,
    publish,
    staging_folder,
)
from robots.core.payments.pain001 import BatchHeader, Debtor
from robots.core.payments.planning import (
    BatchPlan,
    in_payment_order,
    into_bundles,
    new_batch_id,
    payable,
    plan_batch,
)
from robots.core.payments.posting import account
from robots.core.payments.settling import settle_versions
from robots.core.pipeline.inbox import DataFolders
from robots.core.robot import ChangePolicy, Robot
from robots.core.settings import Settings


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
    from_draft: bool = False
    """Planned from tonight's draft: every claim it pays is one the run decided 'pay'."""


def drafted_batches_pay_all(batches: list[BatchResult], decided_pay: int) -> bool:
    """Whether tonight's drafted batches pay every one of the `decided_pay` claims the night
    decided 'pay': they pay only such claims (the ledger proved the draft before recording
    it), each once, so as many as were decided is all of them. Not so when a payee's
    credit outweighed its bills and its claims were left out to wait (`payable`)."""
    drafted = sum(batch.claims for batch in batches if batch.from_draft)
    return drafted > 0 and drafted == decided_pay


@dataclass(frozen=True)
class _Batch:
    """A prepared batch as its files need it: the ledger row and what it pays.

    Attributes:
        transfers: end_to_end_id, payee_kind, payee_id, amount_oere, claims, remittance,
            in end-to-end order.
        claims: claim_id and amount_oere, in payment order (payee, then claim id).
    """

    batch_id: str
    run_id: str
    created_at: datetime
    execution_date: date
    total_oere: int
    transfers: pa.Table
    claims: pa.Table


def pay_outstanding(
    *,
    engine: Engine,
    robot: Robot,
    run_id: str,
    night: date,
    settings: Settings,
    folders: DataFolders,
    draft: Draft | None = None,
    claim_pks: np.ndarray | None = None,
) -> list[BatchResult]:
    """Finish any batch a crash left prepared, then pay everything decided and unpaid:
    from `draft` (tonight's batches drafted by `draft_tonight`) where the ledger confirms
    it, `claim_pks` being the keys of the night's decided claims in their order; else from
    what the ledger holds."""
    staging = staging_folder(folders.outputs, robot.name)
    # Whatever an interrupted run left half-written (tonight's draft is being written).
    _discard_all_but(staging, draft.folder if draft is not None else None)
    with engine.connect() as connection:
        stuck = payment_records.prepared_batches(connection=connection, robot=robot.name)
    try:
        with FileWriter() as writer:
            results = [
                _finish_prepared(engine, robot, batch_id, writer, settings, folders, run_id)
                for batch_id in stuck
            ]
            paid = None
            if draft is not None and claim_pks is not None:
                paid = _pay_drafted(engine, robot, run_id, draft, claim_pks, folders)
            if paid is None:
                if draft is not None:
                    draft.abandon()
                paid = _pay_new(engine, robot, run_id, night, writer, settings, folders)
    finally:
        if draft is not None:
            draft.abandon()
    discard(staging)
    return results + paid


def draft_tonight(
    *,
    robot: Robot,
    run_id: str,
    night: date,
    settings: Settings,
    folders: DataFolders,
    claims: pa.Table,
) -> Draft | None:
    """Start drafting tonight's batches from the claims the night has just decided 'pay'
    (`drafting`), while the ledger records them; None when the plain path is as quick
    (fewer than [payment] draft_from_claims) or the draft could not be the ledger's (a
    robot that settles versions or keeps a refusion per claim, whose payable amounts only
    the ledger knows).

    Args:
        claims: claim_pk (here: each claim's row among the night's decided claims, whose
            keys `pay_outstanding` is given), claim_id, source_id, payee_kind, payee_id,
            amount_oere.
    """
    if (
        claims.num_rows < settings.payment.draft_from_claims
        or robot.refusion_per_claim
        or robot.change_policy is not ChangePolicy.HOLD
    ):
        return None
    created_at = dates.now().replace(microsecond=0).astimezone(UTC)
    execution_date = dates.next_banking_day(night)
    job = DraftJob(
        folder=draft_folder(staging_folder(folders.outputs, robot.name), run_id),
        claims=claims,
        code=robot.code,
        night=night,
        max_transfers=settings.bank.max_transfers_per_file,
        title=robot.remittance_title,
        label=robot.remittance_label,
        header=_header("", created_at, execution_date, robot, settings),  # MsgId per batch
        postings=_postings(run_id, execution_date, robot),
    )
    return start_draft(job, created_at=created_at, execution_date=execution_date)


def _discard_all_but(staging: Path, keep: Path | None) -> None:
    """Clear the staging folder of what an interrupted run left, sparing tonight's draft
    (its worker may be writing there now)."""
    if keep is None or not staging.is_dir():
        discard(staging)
        return
    for entry in staging.iterdir():
        if entry == keep:
            continue
        if entry.is_dir():
            discard(entry)
        else:
            entry.unlink(missing_ok=True)


def _pay_drafted(
    engine: Engine,
    robot: Robot,
    run_id: str,
    draft: Draft,
    claim_pks: np.ndarray,
    folders: DataFolders,
) -> list[BatchResult] | None:
    """Steps 1 to 3 from tonight's draft, if the ledger confirms it is what it holds as
    payable; None (nothing done) if not, or if the draft could not be planned."""
    drafted = draft.plans()
    if drafted is None:
        return None
    with engine.connect() as connection:
        if not _draft_is_the_ledgers(connection, robot, run_id, draft):
            return None
    if not drafted:
        return []
    planned = [_from_draft(batch, draft, run_id, claim_pks) for batch in drafted]
    try:
        _record(engine, robot, planned)
    except BaseException:
        draft.abandon()
        raise
    kill_point("after_batch_prepared")
    written = draft.files()
    results = []
    for (batch, _), staged in zip(planned, written, strict=True):
        if isinstance(staged, Exception):
            raise staged
        released = _release(engine, robot, batch, staged, folders, run_id, False)
        results.append(replace(released, from_draft=True))
    return results


def _draft_is_the_ledgers(connection: Connection, robot: Robot, run_id: str, draft: Draft) -> bool:
    """Whether the claims the ledger holds as payable are exactly the draft's: as many,
    every one decided by this run, the same total, none a later version (which would be
    settled against its earlier ones), and none a person's decision makes payable again.

    Exactly: this run's claims decided 'pay' are the draft's rows (recorded from the same
    frame), so if as many payable claims are of this run as the draft has, they are all of
    them, and if no other claim is payable, the ledger pays nothing the draft does not.
    """
    again = payment_records.claims_due_again(connection=connection, robot=robot.name)
    if again.num_rows:
        return False
    held = payment_records.payable_summary(connection=connection, robot=robot.name, run_id=run_id)
    return held == PayableSummary(
        claims=draft.claims, of_run=draft.claims, total_oere=draft.total_oere, versions=0
    )


def _from_draft(
    batch: DraftedBatch, draft: Draft, run_id: str, claim_pks: np.ndarray
) -> tuple[_Batch, BatchPlan]:
    """A drafted batch with each claim's row number replaced by its key in the ledger."""
    claims = batch.plan.claims
    rows = claims.column("claim_pk").to_numpy()
    at = claims.column_names.index("claim_pk")
    plan = replace(
        batch.plan,
        claims=claims.set_column(at, "claim_pk", pa.array(claim_pks[rows], type=pa.int64())),
    )
    return _Batch(
        batch_id=batch.batch_id,
        run_id=run_id,
        created_at=draft.created_at,
        execution_date=draft.execution_date,
        total_oere=plan.total_oere,
        transfers=plan.transfers,
        claims=plan.claims.select(["claim_id", "amount_oere"]),
    ), plan


def _finish_prepared(
    engine: Engine,
    robot: Robot,
    batch_id: str,
    writer: FileWriter,
    settings: Settings,
    folders: DataFolders,
    run_id: str,
) -> BatchResult:
    """Steps 2 and 3 for a batch a crash left prepared, from what the ledger holds."""
    batch = _batch_from_ledger(engine, batch_id, robot.refusion_per_claim)
    if batch.claims.num_rows >= WORKER_FROM_CLAIMS:
        writer.use_worker()
    files = _write_files(writer, batch, robot, settings, folders)
    return _release(engine, robot, batch, files.wait(), folders, run_id, True)


def _pay_new(
    engine: Engine,
    robot: Robot,
    run_id: str,
    night: date,
    writer: FileWriter,
    settings: Settings,
    folders: DataFolders,
) -> list[BatchResult]:
    """Steps 1 to 3 for the claims decided and unpaid, the files written alongside step 1.

    More payees than one file may hold ([bank] max_transfers_per_file) make several
    batches, prepared together in one transaction and then released one by one: a run
    killed between two releases leaves the rest prepared, and the next run finishes them.
    """
    claims, attempts = _payable_claims(engine, robot, run_id)
    if claims.num_rows == 0:
        return []
    if claims.num_rows >= WORKER_FROM_CLAIMS:
        writer.use_worker()  # its start-up overlaps the planning
    planned, files = [], []
    for part in into_bundles(claims, settings.bank.max_transfers_per_file):
        batch, plan = _plan(part, robot, run_id, night)
        plan = replace(plan, claims=_with_attempts(plan.claims, attempts))
        if robot.refusion_per_claim:
            batch = replace(batch, claims=_with_refusion(engine, plan.claims))
        planned.append((batch, plan))
        # Handed to a worker now: the first file is written while the rest are planned.
        files.append(writer.submit(_files_job(batch, robot, settings, folders)))
    writer.seal()
    del claims
    try:
        _record(engine, robot, planned)
    except BaseException:
        for pending in files:
            with contextlib.suppress(Exception):
                pending.wait()  # let the writer finish before its folder goes
        for batch, _ in planned:
            discard(staging_folder(folders.outputs, robot.name) / batch.batch_id)
        raise
    kill_point("after_batch_prepared")
    for pending in files:  # every posting file while the worker finishes the pain.001s
        pending.write_own_part()
    return [
        _release(engine, robot, batch, pending.wait(), folders, run_id, False)
        for (batch, _), pending in zip(planned, files, strict=True)
    ]


def _payable_claims(engine: Engine, robot: Robot, run_id: str) -> tuple[pa.Table, pa.Table]:
    """Outstanding claims, less those of payees whose credits outweigh the bills (set-off),
    and the claims among them paid as a later attempt (claim_pk, attempt, approval).

    Outstanding are the claims the robot decided 'pay', and those a person's latest
    decision makes payable (released, a false alarm, a return approved to be paid again).
    A released claim is checked once more: a copy of it paid since it was held holds it
    again (an event naming the copy) instead of paying the same bill twice.
    """
    with_source_ids = robot.claims.source_id not in (None, robot.claim_id_column)
    with engine.begin() as connection:
        claims = payment_records.payable_claims(
            connection=connection, robot=robot.name, with_source_ids=with_source_ids
        )
        again = payment_records.claims_due_again(connection=connection, robot=robot.name)
        if again.num_rows:
            again = _without_copies_paid_since(connection, again, run_id)
    if again.num_rows:
        if not with_source_ids:
            again = again.drop_columns(["source_id"])
        later = again.filter(pc.greater(again.column("attempt"), 1))
        attempts = later.select(["claim_pk", "attempt", "approved_by_event_id"])
        claims = pa.concat_tables(
            [claims, again.drop_columns(["attempt", "approved_by_event_id"])],
            promote_options="default",
        )
    else:
        attempts = _NO_LATER_ATTEMPTS
    with engine.begin() as connection:
        claims = settle_versions(
            connection=connection,
            robot=robot.name,
            claims=claims,
            run_id=run_id,
            settle_nothing_owed=robot.change_policy is ChangePolicy.SETTLE,
        )
    return payable(claims), attempts


_NO_LATER_ATTEMPTS = pa.table(
    {
        "claim_pk": pa.array([], pa.int64()),
        "attempt": pa.array([], pa.int64()),
        "approved_by_event_id": pa.array([], pa.int64()),
    }
)


def _without_copies_paid_since(connection: Connection, again: pa.Table, run_id: str) -> pa.Table:
    """The released claims less those a copy of which was paid since they were held; each
    of those is held again, by an event in its history that names the copy."""
    released = again.filter(pc.equal(again.column("attempt"), 1)).column("claim_pk").to_pylist()
    copies = claim_records.copies_paid_since_held(connection=connection, claim_pks=released)
    copies |= _copies_among(claim_records.bill_keys(connection=connection, claim_pks=released))
    for claim_pk, copy in copies.items():
        history.append_event(
            connection=connection,
            claim_pk=claim_pk,
            kind=history.EventKind.HELD_AGAIN,
            actor=f"robot:{run_id}",
            reason=f"released, but its copy {copy} is paid (since it was held, or tonight): "
            "it is not paid twice; a person decides again",
            run_id=run_id,
            detail={"copy_claim_id": copy},
        )
    if not copies:
        return again
    keep = pc.invert(pc.is_in(again.column("claim_pk"), pa.array(list(copies), pa.int64())))
    return again.filter(keep)


def _copies_among(keys: list[tuple[int, str, str, str | None]]) -> dict[int, str]:
    """Released claims that are copies of one another (the same bill, or the same request):
    the first is paid, each later one held again naming it."""
    first: dict[str, str] = {}
    copies: dict[int, str] = {}
    for claim_pk, claim_id, fingerprint, bill_key in keys:
        names = [f"f:{fingerprint}"] + ([f"b:{bill_key}"] if bill_key else [])
        earlier = next((first[n] for n in names if n in first), None)
        if earlier is not None:
            copies[claim_pk] = earlier
        else:
            first.update(dict.fromkeys(names, claim_id))
    return copies


def _with_attempts(claims: pa.Table, attempts: pa.Table) -> pa.Table:
    """The plan's claims with the payment attempt each is (1 unless a repayment)."""
    if attempts.num_rows == 0:
        return claims
    index = pc.index_in(claims.column("claim_pk"), value_set=attempts.column("claim_pk"))
    attempt = pc.fill_null(pc.take(attempts.column("attempt"), index), 1)
    approved = pc.take(attempts.column("approved_by_event_id"), index)
    return claims.append_column("attempt", attempt).append_column("approved_by_event_id", approved)


def _plan(claims: pa.Table, robot: Robot, run_id: str, night: date) -> tuple[_Batch, BatchPlan]:
    """A new batch for the outstanding claims: its id, dates and contents."""
    batch_id = new_batch_id(robot.code, night)
    plan = plan_batch(
        claims, batch_id=batch_id, title=robot.remittance_title, label=robot.remittance_label
    )
    # Whole seconds in UTC: what the ledger gives back, so a rewrite has the same CreDtTm.
    created_at = dates.now().replace(microsecond=0).astimezone(UTC)
    batch = _Batch(
        batch_id=batch_id,
        run_id=run_id,
        created_at=created_at,
        execution_date=dates.next_banking_day(night),
        total_oere=plan.total_oere,
        transfers=plan.transfers,
        claims=plan.claims.select(["claim_id", "amount_oere"]),
    )
    return batch, plan


def _record(engine: Engine, robot: Robot, planned: list[tuple[_Batch, BatchPlan]]) -> None:
    """Step 1: each batch, its transfers and one payment item per claim, in one transaction.

    The transfer ids are reserved first, so each item is linked to its transfer by its
    position in the plan, without reading the transfers back. Before it commits, what the
    ledger holds must equal each plan (counts and totals) and every item must point at a
    transfer of its batch: the database no longer checks transfer_id per row (migration 0008).

    All bundles' transfers go in as one insert, and all their items as one, in claim order:
    each item's claim is looked up for its foreign key, and one sweep through the claims
    costs less than a sweep per bundle once the night's claims outgrow SQLite's page cache
    (740,000 items in 39 bundles: 3.25 s as 39 inserts, 2.61 s as one, measured).
    """
    with engine.begin() as connection:
        transfer_ids = bulk.reserve_transfer_ids(
            connection=connection, count=sum(plan.transfers.num_rows for _, plan in planned)
        )
        counts = [plan.transfers.num_rows for _, plan in planned]
        ids_of = np.split(transfer_ids, np.cumsum(counts)[:-1])
        for batch, plan in planned:
            payment_records.prepare_batch(
                connection=connection,
                batch_id=batch.batch_id,
                robot=robot.name,
                run_id=batch.run_id,
                created_at=batch.created_at,
                execution_date=batch.execution_date,
                transfers=plan.transfers.num_rows,
                total_oere=plan.total_oere,
            )
        _insert_transfers_and_items(connection, planned, ids_of)
        for (batch, plan), ids in zip(planned, ids_of, strict=True):
            _check_recorded(connection, batch.batch_id, plan, ids)
            audit_trail.robot_event(
                connection=connection,
                robot=robot.name,
                action="batch_prepared",
                entity="payment_batch",
                entity_id=batch.batch_id,
                run_id=batch.run_id,
                detail=f"{plan.claims.num_rows} claims, {plan.transfers.num_rows} transfers",
            )


def _insert_transfers_and_items(
    connection: Connection,
    planned: list[tuple[_Batch, BatchPlan]],
    ids_of: list[np.ndarray],
) -> None:
    """Every bundle's transfers, then every bundle's items in claim order; a claim that
    another run paid meanwhile refuses the items, and with them the whole night's batches."""
    bundles = list(zip(planned, ids_of, strict=True))
    bulk.insert_arrow(
        connection=connection,
        table="payment_transfers",
        data=pa.concat_tables(
            [_transfers(plan.transfers, ids, batch.batch_id) for (batch, plan), ids in bundles]
        ),
    )
    items = pa.concat_tables(
        [_payment_items(plan.claims, ids, batch.batch_id) for (batch, plan), ids in bundles]
    )
    try:
        bulk.insert_arrow(
            connection=connection,
            table="payment_items",
            data=items.take(pc.sort_indices(items, sort_keys=[("claim_pk", "ascending")])),
        )
    except IntegrityError as exc:
        names = ", ".join(batch.batch_id for batch, _ in planned)
        raise ApplicationError(
            ReasonCode.PAYMENT_FILE,
            f"{'batch' if len(planned) == 1 else 'batches'} {names}: the ledger refused "
            "its payment items (was a claim paid by another run meanwhile?); nothing "
            "was paid, run again",
        ) from exc


def _transfers(transfers: pa.Table, transfer_ids: np.ndarray, batch_id: str) -> pa.Table:
    """A batch's planned transfers on their reserved ids."""
    return transfers.add_column(0, "id", pa.array(transfer_ids, type=pa.int64())).add_column(
        1, "batch_id", pa.repeat(pa.scalar(batch_id), transfers.num_rows)
    )


def _check_recorded(
    connection: Connection, batch_id: str, plan: BatchPlan, transfer_ids: np.ndarray
) -> None:
    """The batch as the ledger now holds it equals the plan, before anything commits.

    Transfers: as many as planned, the planned total, on exactly the reserved ids. Items:
    one per claim, the planned total, pointing from the lowest to the highest reserved id.
    When the reserved ids are one unbroken range (always on SQLite, on PostgreSQL unless
    another writer drew ids meanwhile), the batch's transfers fill that range, so an item
    inside it points at a transfer of this batch; otherwise each item is looked up.
    """
    claim_count, total = plan.claims.num_rows, plan.total_oere
    low, high = (int(transfer_ids[0]), int(transfer_ids[-1])) if len(transfer_ids) else (0, -1)
    ids = (low, high) if len(transfer_ids) else (None, None)
    stored = payment_records.batch_transfer_summary(connection=connection, batch_id=batch_id)
    items = payment_records.batch_item_summary(connection=connection, batch_id=batch_id)
    problem = None
    if stored != RowsSummary(plan.transfers.num_rows, total, *ids):
        problem = (
            f"transfers {stored} where the plan has {plan.transfers.num_rows} of "
            f"{total} øre on ids {low}..{high}"
        )
    elif items != RowsSummary(claim_count, total, *ids):
        problem = (
            f"payment items {items} where the plan has {claim_count} of {total} øre "
            f"on transfers {low}..{high}"
        )
    elif high - low + 1 != len(transfer_ids) and (
        payment_records.batch_items_in_own_transfers(connection=connection, batch_id=batch_id)
        != claim_count
    ):
        problem = "payment items that point at no transfer of the batch"
    if problem is not None:
        raise ApplicationError(
            ReasonCode.PAYMENT_FILE,
            f"batch {batch_id}: the ledger holds {problem}; nothing was paid, run again",
        )


def _payment_items(claims: pa.Table, transfer_ids: np.ndarray, batch_id: str) -> pa.Table:
    """One item per claim, in claim order so the ledger appends instead of inserting; a
    repayment with its attempt and the approval that allowed it (others: attempt 1)."""
    order = np.argsort(claims.column("claim_pk").to_numpy(), kind="stable")
    items = pa.table(
        {
            "claim_pk": claims.column("claim_pk").take(order),
            "transfer_id": pa.array(
                transfer_ids[claims.column("transfer").to_numpy()[order]], type=pa.int64()
            ),
            "batch_id": pa.repeat(pa.scalar(batch_id), claims.num_rows),
            "amount_oere": claims.column("amount_oere").take(order),
        }
    )
    if "attempt" in claims.column_names:
        items = items.append_column("attempt", claims.column("attempt").take(order))
        items = items.append_column(
            "approved_by_event_id", claims.column("approved_by_event_id").take(order)
        )
    return items


def _with_refusion(engine: Engine, claims: pa.Table) -> pa.Table:
    """A batch's posting claims (claim_pk, claim_id, amount_oere, in payment order) with
    each claim's own refusion percent and posting grouping, as the ledger keeps them."""
    with engine.connect() as connection:
        own = payment_records.refusion_of(
            connection=connection, claim_pks=claims.column("claim_pk")
        )
    at = pc.index_in(claims.column("claim_pk"), value_set=own.column("claim_pk"))
    return (
        claims.select(["claim_id", "amount_oere"])
        .append_column("refusion_percent", pc.take(own.column("refusion_percent"), at))
        .append_column("posting_grouping", pc.take(own.column("posting_grouping"), at))
    )


def _batch_from_ledger(engine: Engine, batch_id: str, refusion_per_claim: bool) -> _Batch:
    """A prepared batch as the ledger holds it, in the order its plan had."""
    with engine.connect() as connection:
        row = payment_records.batch_by_id(connection=connection, batch_id=batch_id)
        transfers = payment_records.batch_transfers(connection=connection, batch_id=batch_id)
        claims = payment_records.batch_claims(connection=connection, batch_id=batch_id)
    ordered = in_payment_order(claims)
    return _Batch(
        batch_id=batch_id,
        run_id=row.run_id,
        created_at=row.created_at,
        execution_date=row.execution_date,
        total_oere=int(row.total_oere),
        transfers=transfers,
        claims=(
            _with_refusion(engine, ordered)
            if refusion_per_claim
            else ordered.select(["claim_id", "amount_oere"])
        ),
    )


def _write_files(
    writer: FileWriter, batch: _Batch, robot: Robot, settings: Settings, folders: DataFolders
) -> PendingFiles:
    """Start writing a batch's pain.001 and posting file into its staging folder."""
    return writer.submit_all([_files_job(batch, robot, settings, folders)])[0]


def _files_job(batch: _Batch, robot: Robot, settings: Settings, folders: DataFolders) -> FilesJob:
    """What the writer needs to write one batch's two files into its staging folder."""
    return FilesJob(
        folder=staging_folder(folders.outputs, robot.name) / batch.batch_id,
        header=_header(batch.batch_id, batch.created_at, batch.execution_date, robot, settings),
        transfers=batch.transfers,
        claims=batch.claims,
        postings=_postings(batch.run_id, batch.execution_date, robot),
    )


def _header(
    batch_id: str, created_at: datetime, execution_date: date, robot: Robot, settings: Settings
) -> BatchHeader:
    """A batch's pain.001 header: its MsgId is the batch id."""
    bank = settings.bank
    return BatchHeader(
        msg_id=batch_id,
        created_at=created_at,
        execution_date=execution_date,
        debtor=Debtor(
            name=bank.debtor_name,
            iban=bank.debtor_iban,
            bic=bank.debtor_bic,
            cvr=bank.debtor_cvr,
            pi_agreement=bank.pi_agreement,
        ),
        category_purpose=account(robot.accounts_section).category_purpose,
    )


def _postings(run_id: str, posting_date: date, robot: Robot) -> Postings:
    """What a batch's posting file needs besides its claims."""
    return Postings(
        run_id=run_id,
        posting_date=posting_date,
        benefit_account=account(robot.accounts_section),
        bank_account=account("bank"),
        title=robot.remittance_title,
    )


def _release(
    engine: Engine,
    robot: Robot,
    batch: _Batch,
    staged: StagedFiles,
    folders: DataFolders,
    run_id: str,
    completed_after_crash: bool,
) -> BatchResult:
    """Steps 2 and 3: publish the checked files, then mark the batch released."""
    payment_file = folders.outputs / "payments" / staged.payment_file.name
    posting_file = folders.outputs / "postings" / staged.posting_file.name
    publish(staged.payment_file, payment_file)
    publish(staged.posting_file, posting_file)
    discard(staged.payment_file.parent)
    kill_point("after_payment_file")
    summary = staged.summary
    with engine.begin() as connection:
        payment_records.release_batch(
            connection=connection,
            batch_id=batch.batch_id,
            at=dates.now(),
            payment_file=str(payment_file),
            posting_file=str(posting_file),
        )
        audit_trail.robot_event(
            connection=connection,
            robot=robot.name,
            action="batch_released",
            entity="payment_batch",
            entity_id=batch.batch_id,
            run_id=run_id,
            detail=f"{summary.number_of_transactions} transfers, {summary.control_sum} DKK",
        )
    kill_point("after_batch_released")
    return BatchResult(
        batch_id=batch.batch_id,
        run_id=run_id,
        transfers=batch.transfers.num_rows,
        claims=batch.claims.num_rows,
        total_oere=batch.total_oere,
        execution_date=batch.execution_date,
        payment_file=payment_file,
        posting_file=posting_file,
        completed_after_crash=completed_after_crash,
    )
