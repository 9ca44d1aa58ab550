"""Tonight's payment drafted on the second core while the ledger records the night.

Why: at a million claims the payment stage ran after the ledger stage on one core: read
the payable claims back (1.1 s), bundle and plan them (1.1 s), record the batches (3.4 s),
write the posting files (0.7 s), and wait for the pain.001 worker. The claims a large
night pays are, almost always, exactly the claims it has just decided 'pay'; so a worker
process plans them and writes every batch's pain.001 and posting file from the night's
own decisions while the ledger records them.

A draft is a guess, and the ledger decides whether it holds (`paying`): when the payment
stage comes, the ledger is asked what it holds as payable, and only if that is exactly
tonight's 'pay' claims (as many, all of this run, the same total, none a new version,
nothing due again by a person's decision) is the draft's plan recorded, through the same
transaction and checks as any batch, and its checked files released. Anything else and
the draft is thrown away (its process stopped, its files removed) and the night pays
from the ledger as before. The files are the ones the plain path writes: the same plan
functions on the same rows, the same writers; only the time and the process differ.

The worker plans first and says so (the payment stage needs the plan to record it while
the files are still being written), then writes and checks the files. Its folder is
`outputs/.staging/<robot>/draft-<run id>/`, discarded with the rest of the staging folder
by the next run if this one is killed; the worker stops by itself when its parent dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import pickle
import signal
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from robots.core.errors import ApplicationError, ReasonCode
from robots.core.payments.filing import (
    Postings,
    StagedFiles,
    answer_channel,
    answered_error,
    attempt,
    discard,
    start_worker,
    warm_up,
    write_batch_files,
)
from robots.core.payments.pain001 import BatchHeader
from robots.core.payments.planning import (
    CLAIMS_SCHEMA,
    BatchPlan,
    into_bundles,
    new_batch_id,
    payable,
    plan_batch,
)

DRAFT_FOLDER_PREFIX = "draft-"

_PLANNED = b"planned\n"
_DONE = b"done\n"


@dataclass(frozen=True)
class DraftJob:
    """What the worker needs to plan and write tonight's batches.

    Attributes:
        claims: Tonight's claims decided 'pay' in CLAIMS_SCHEMA, `claim_pk` holding each
            claim's row number among the night's decided claims (its key in the ledger is
            drawn when the night is recorded, after the draft starts).
    """

    folder: Path
    claims: pa.Table
    code: str
    night: date
    max_transfers: int
    title: str
    label: str
    header: BatchHeader
    postings: Postings


@dataclass(frozen=True)
class DraftedBatch:
    """One planned batch of the draft: its id and its plan (claim_pk: row numbers)."""

    batch_id: str
    plan: BatchPlan


class Draft:
    """A draft being written by its worker process."""

    def __init__(
        self,
        *,
        worker: subprocess.Popen[bytes],
        folder: Path,
        claims: int,
        total_oere: int,
        created_at: datetime,
        execution_date: date,
    ) -> None:
        """`claims` and `total_oere`: the night's 'pay' claims the draft was made of (what
        the ledger must hold as payable for the draft to hold)."""
        self._worker: subprocess.Popen[bytes] | None = worker
        self.folder = folder
        self.claims = claims
        self.total_oere = total_oere
        self.created_at = created_at
        self.execution_date = execution_date

    def plans(self) -> list[DraftedBatch] | None:
        """The planned batches, once the worker has planned them; None if it failed."""
        if self._read_line() != _PLANNED:
            return None
        with open(self.folder / "plans.pickle", "rb") as handle:
            batches: list[DraftedBatch] = pickle.load(handle)
        return batches

    def files(self) -> list[StagedFiles | Exception]:
        """Each batch's staged files, or why they could not be written (in plan order),
        once the worker has written and checked them all; it has ended then."""
        line = self._read_line()
        worker, self._worker = self._worker, None
        code = worker.wait() if worker is not None else None
        if worker is not None and worker.stdout is not None:
            worker.stdout.close()
        if line != _DONE or code != 0:
            raise ApplicationError(
                ReasonCode.PAYMENT_FILE,
                f"the worker process writing tonight's payment files stopped (exit code "
                f"{code}); nothing was released, run again",
            )
        with open(self.folder / "outcomes.pickle", "rb") as handle:
            answered: list[tuple[str, object]] = pickle.load(handle)
        return [_outcome(kind, value) for kind, value in answered]

    def abandon(self) -> None:
        """Stop the worker if it still runs and remove every file of the draft."""
        worker, self._worker = self._worker, None
        if worker is not None:
            with contextlib.suppress(OSError):
                worker.kill()
            worker.wait()
            if worker.stdout is not None:
                worker.stdout.close()
        discard(self.folder)

    def _read_line(self) -> bytes:
        if self._worker is None or self._worker.stdout is None:
            return b""
        try:
            return self._worker.stdout.readline()
        except (OSError, ValueError):
            return b""


def start_draft(job: DraftJob, *, created_at: datetime, execution_date: date) -> Draft:
    """Hand `job` to a new worker process and return at once."""
    discard(job.folder)
    job.folder.mkdir(parents=True)
    job_file = job.folder / "job.pickle"
    with open(job_file, "wb") as handle:
        pickle.dump(job, handle, protocol=pickle.HIGHEST_PROTOCOL)
    worker = start_worker(
        __name__, os.fsdecode(job_file), str(os.getpid()), stdin=subprocess.DEVNULL
    )
    total = pc.sum(job.claims.column("amount_oere")).as_py()
    return Draft(
        worker=worker,
        folder=job.folder,
        claims=job.claims.num_rows,
        total_oere=int(total or 0),
        created_at=created_at,
        execution_date=execution_date,
    )


def draft_folder(staging: Path, run_id: str) -> Path:
    """Where a run's draft is written, inside the robot's staging folder."""
    return staging / f"{DRAFT_FOLDER_PREFIX}{run_id}"


def plan_draft(job: DraftJob) -> list[DraftedBatch]:
    """The batches `job`'s claims make: the plain path's functions on the same rows
    (set-off, bundles, one plan per bundle), each under a new batch id."""
    claims = payable(job.claims.select(CLAIMS_SCHEMA.names).cast(CLAIMS_SCHEMA))
    if claims.num_rows == 0:
        return []
    batches = []
    for part in into_bundles(claims, job.max_transfers):
        batch_id = new_batch_id(job.code, job.night)
        plan = plan_batch(part, batch_id=batch_id, title=job.title, label=job.label)
        batches.append(DraftedBatch(batch_id=batch_id, plan=plan))
    return batches


def _write_files(job: DraftJob, batch: DraftedBatch) -> StagedFiles:
    return write_batch_files(
        folder=job.folder / batch.batch_id,
        header=replace(job.header, msg_id=batch.batch_id),
        transfers=batch.plan.transfers,
        claims=batch.plan.claims.select(["claim_id", "amount_oere"]),
        postings=job.postings,
    )


def _outcome(kind: str, value: object) -> StagedFiles | Exception:
    error = answered_error(kind, value)
    if error is not None:
        return error
    assert isinstance(value, StagedFiles)
    return value


def _atomic_pickle(value: object, path: Path) -> None:
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)


def _die_with(parent: int) -> None:
    """Ask Linux to kill this worker when the run that started it dies (a run killed
    mid-night must not leave a process writing payment files for the next run to find);
    elsewhere the checks of the parent between steps stop it."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _serve(job_file: Path, parent: int) -> None:
    """The worker: plan, say so, then write and check each batch's files, and say done.

    The caller reads nothing but its two lines (`answer_channel`). A worker whose parent
    has died stops between batches.
    """
    _die_with(parent)
    reply = answer_channel()
    with open(job_file, "rb") as handle:
        job: DraftJob = pickle.load(handle)
    batches = plan_draft(job)
    if os.getppid() != parent:
        return
    _atomic_pickle(batches, job.folder / "plans.pickle")
    reply.write(_PLANNED)
    reply.flush()
    warm_up()
    outcomes: list[tuple[str, object]] = []
    for batch in batches:
        if os.getppid() != parent:
            return
        outcomes.append(attempt(partial(_write_files, job, batch)))
    _atomic_pickle(outcomes, job.folder / "outcomes.pickle")
    reply.write(_DONE)
    reply.close()


if __name__ == "__main__":
    # By its package name, so what it pickles names classes the caller can find.
    from robots.core.payments.drafting import _serve as serve

    serve(Path(sys.argv[1]), int(sys.argv[2]))
