"""A batch's two files: written and checked apart, then published by a rename.

The pain.001 and the posting file are written into a staging folder
(outputs/.staging/<robot>/<batch>/), the pain.001 is re-read from disk and validated
there, and only then does the caller move both into outputs/payments and
outputs/postings, once the batch is in the ledger. A sender therefore never sees a file
for a batch the ledger does not hold, nor one that failed its checks.

Large batches have their pain.001 written and validated in a worker process, for two
reasons measured at a million claims: the work then runs on the second core while the
ledger records the batch, and lxml gets a fresh heap; in the night's own process, after
a million-row SQLite write, its many small allocations ran about twice as slow because
glibc kept consolidating the fragmented heap. The posting file (Arrow's CSV writer, no
lxml) is written by the caller while the worker validates: the worker's part is the
longer one, so what the caller takes off it shortens the whole stage.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import pyarrow as pa

from robots.core.dates import is_banking_day, today
from robots.core.errors import ApplicationError, ReasonCode
from robots.core.killpoints import disk_full_point
from robots.core.payments.pain001 import (
    BatchHeader,
    Pain001Summary,
    PaymentFileError,
    fsync_directory,
    official_schema,
    validate_pain001,
    write_pain001,
)
from robots.core.payments.posting import Account, write_posting_file

WORKER_FROM_CLAIMS = 50_000
"""Batches with at least this many claims are written in a worker process; below it,
starting one costs more than it saves."""


@dataclass(frozen=True)
class Postings:
    """What the posting file needs besides the claims."""

    run_id: str
    posting_date: date
    benefit_account: Account
    bank_account: Account
    title: str


@dataclass(frozen=True)
class FilesJob:
    """One batch's files to write: where, and what."""

    folder: Path
    header: BatchHeader
    transfers: pa.Table
    claims: pa.Table
    postings: Postings


@dataclass(frozen=True)
class StagedFiles:
    """A batch's files, written and checked, waiting in the staging folder."""

    payment_file: Path
    posting_file: Path
    summary: Pain001Summary


def staging_folder(outputs: Path, robot_name: str) -> Path:
    """Where a robot's files wait until their batch is released."""
    return outputs / ".staging" / robot_name


def write_batch_files(
    *,
    folder: Path,
    header: BatchHeader,
    transfers: pa.Table,
    claims: pa.Table,
    postings: Postings,
) -> StagedFiles:
    """Write the pain.001 and the posting file into `folder`; validate the pain.001.

    Args:
        folder: A staging folder of this attempt alone (created here).
        header: The batch header (MsgId is the batch id).
        transfers: end_to_end_id, payee_kind, payee_id, amount_oere, remittance.
        claims: claim_id and amount_oere in payment order.
        postings: Accounts, dates and texts of the posting file.

    Returns:
        The staged files and the pain.001 summary.

    Raises:
        PaymentFileError: If the pain.001 fails the XSD or the business checks.
    """
    payment_file, summary = write_payment_file(folder=folder, header=header, transfers=transfers)
    posting_file = write_postings(
        folder=folder, batch_id=header.msg_id, claims=claims, postings=postings
    )
    return StagedFiles(payment_file=payment_file, posting_file=posting_file, summary=summary)


def write_payment_file(
    *, folder: Path, header: BatchHeader, transfers: pa.Table
) -> tuple[Path, Pain001Summary]:
    """Write a batch's pain.001 into `folder` (created here), re-read it and validate it.

    Raises:
        PaymentFileError: If the pain.001 fails the XSD or the business checks.
    """
    folder.mkdir(parents=True, exist_ok=True)
    payment_file = folder / f"{header.msg_id}.pain.001.xml"
    summary = write_pain001(payment_file, header, transfers.to_pandas())
    disk_full_point("writing_payment_file")
    validate_pain001(payment_file, expected=summary)
    return payment_file, summary


def write_postings(*, folder: Path, batch_id: str, claims: pa.Table, postings: Postings) -> Path:
    """Write a batch's posting file into `folder` (created here); return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    posting_file = folder / f"{batch_id}.postings.csv"
    write_posting_file(
        posting_file,
        batch_id=batch_id,
        run_id=postings.run_id,
        posting_date=postings.posting_date,
        benefit_account=postings.benefit_account,
        bank_account=postings.bank_account,
        claims=claims,
        title=postings.title,
    )
    return posting_file


def publish(staged: Path, final: Path) -> None:
    """Move a staged file to where it is picked up, atomically and durably."""
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, final)
    fsync_directory(final.parent)


def discard(folder: Path) -> None:
    """Remove a staging folder and whatever an interrupted attempt left in it."""
    shutil.rmtree(folder, ignore_errors=True)


class _WorkerJobs:
    """One worker process, the jobs sent to it one by one, and what it answered (read once,
    for all of them: it answers when its input is closed and its last file is checked)."""

    def __init__(self, worker: subprocess.Popen[bytes]) -> None:
        self._worker: subprocess.Popen[bytes] | None = worker
        self._outcomes: list[tuple[tuple[Path, Pain001Summary] | None, Exception | None]] = []
        self._count = 0
        self._cut_off = False

    def send(self, job: FilesJob) -> int:
        """Hand the worker one batch's pain.001 to write; the job's index among its jobs."""
        assert self._worker is not None and self._worker.stdin is not None
        job.folder.mkdir(parents=True, exist_ok=True)
        job_file = job.folder / "job.pickle"
        with open(job_file, "wb") as handle:
            arguments = {"folder": job.folder, "header": job.header, "transfers": job.transfers}
            pickle.dump(arguments, handle, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._worker.stdin.write(os.fsencode(job_file) + b"\n")
            self._worker.stdin.flush()
        except OSError:  # the worker is gone: its outcome says so, for every job
            self._cut_off = True
        self._count += 1
        return self._count - 1

    def close_input(self) -> None:
        """No more jobs: the worker answers once the last one is written and checked."""
        if self._worker is not None and self._worker.stdin is not None:
            with contextlib.suppress(OSError):
                self._worker.stdin.close()

    def _answer(self) -> None:
        if self._worker is not None:
            self.close_input()
            worker, self._worker = self._worker, None
            self._outcomes = _outcomes(worker, self._count, self._cut_off)

    def outcome(self, index: int) -> tuple[tuple[Path, Pain001Summary] | None, Exception | None]:
        self._answer()
        return self._outcomes[index]

    def finish(self) -> None:
        """Wait for the worker to end (answered, or idle): none outlives its caller."""
        self._answer()


class PendingFiles:
    """A batch's files being written; `wait` returns them or raises the writer's error."""

    def __init__(
        self,
        *,
        done: StagedFiles | None = None,
        error: Exception | None = None,
        worker: _WorkerJobs | None = None,
        index: int = 0,
        postings: Callable[[], Path] | None = None,
    ) -> None:
        """Either finished here (`done` or `error`) or running in `worker` (the batch's
        `index` among its jobs), which writes the pain.001 while `postings`, called in
        `write_own_part` or `wait`, writes the posting file here."""
        self._done, self._error, self._worker = done, error, worker
        self._index, self._postings = index, postings
        self._posting_file: Path | None = None
        self._posting_error: Exception | None = None

    def write_own_part(self) -> None:
        """Write the posting file now, while the worker may still be busy (idempotent); a
        failure is raised by `wait`, in the batches' order."""
        if self._worker is None or self._posting_file or self._posting_error is not None:
            return
        assert self._postings is not None
        try:
            self._posting_file = self._postings()
        except Exception as exc:
            self._posting_error = exc

    def wait(self) -> StagedFiles:
        """The staged files, once written and checked.

        Raises:
            PaymentFileError: If the pain.001 failed its checks.
            ApplicationError: If the worker failed otherwise or stopped.
        """
        if self._worker is not None:
            self.write_own_part()
            worker, self._worker = self._worker, None
            if self._posting_error is not None:
                worker.outcome(self._index)  # no worker outlives its batch
                self._error = self._posting_error
                raise self._error
            outcome, self._error = worker.outcome(self._index)
            if outcome is not None:
                assert self._posting_file is not None
                payment_file, summary = outcome
                self._done = StagedFiles(
                    payment_file=payment_file, posting_file=self._posting_file, summary=summary
                )
        if self._error is not None:
            raise self._error
        assert self._done is not None
        return self._done


def _outcomes(
    worker: subprocess.Popen[bytes], count: int, cut_off: bool = False
) -> list[tuple[tuple[Path, Pain001Summary] | None, Exception | None]]:
    """What the worker answered for each of its `count` jobs; all failed if it stopped
    (`cut_off`: a job could not even be handed to it)."""
    assert worker.stdout is not None
    reply = worker.stdout.read()
    code = worker.wait()
    answered = pickle.loads(reply) if code == 0 and reply else []
    if cut_off or len(answered) != count:
        stopped = ApplicationError(
            ReasonCode.PAYMENT_FILE,
            f"the worker process writing the payment file stopped (exit code {code}); "
            "nothing was released, run again",
        )
        return [(None, stopped)] * count
    return [_outcome(kind, value) for kind, value in answered]


def _outcome(
    kind: str, value: object
) -> tuple[tuple[Path, Pain001Summary] | None, Exception | None]:
    error = answered_error(kind, value)
    if error is None:
        return value, None  # type: ignore[return-value]  # what _serve pickled for "done"
    return None, error


def attempt(write: Callable[[], object]) -> tuple[str, object]:
    """A worker's answer for one file: ("done", what `write` gave), ("refused", why) for a
    file that failed its checks, ("failed", why) for anything else; as plain values, so
    the caller can unpickle them whatever went wrong."""
    try:
        return "done", write()
    except PaymentFileError as exc:
        return "refused", str(exc)
    except Exception as exc:
        return "failed", f"{type(exc).__name__}: {exc}"


def answered_error(kind: str, value: object) -> Exception | None:
    """The error a worker's answer (see `attempt`) stands for; None for "done"."""
    if kind == "done":
        return None
    if kind == "refused":
        return PaymentFileError(str(value))
    return ApplicationError(
        ReasonCode.PAYMENT_FILE, f"writing the payment file failed: {value}; nothing was released"
    )


def start_worker(module: str, *args: str, stdin: int) -> subprocess.Popen[bytes]:
    """A plain child interpreter running `module` (a worker of this package) with this
    project importable, its answers read from its stdout; multiprocessing would re-import
    the caller's __main__ in it."""
    root = str(Path(__file__).resolve().parents[3])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )


def answer_channel() -> BinaryIO:
    """In a worker: its stdout, kept for its answers alone; anything else written to
    stdout (by any library) goes to stderr from now on."""
    reply = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return reply


def warm_up() -> None:
    """In a worker, before its first file: the XSD, and the bank calendar the header check
    asks for (importing `holidays` alone took 0.2 s of the worker's critical path)."""
    official_schema()
    is_banking_day(today())


class FileWriter:
    """Runs `write_batch_files` here, or the pain.001's part in a worker process for large
    batches (the posting file is then written here, in `PendingFiles.wait`).

    The worker is started as soon as a large batch is known, so its start-up (a fresh
    interpreter importing pandas, pyarrow and lxml and compiling the XSD) overlaps the
    planning and the ledger work, and each batch is handed over the moment it is planned
    (the first file is written while the rest are planned). One worker, not two: on the
    night's two cores a second one slowed the ledger's recording of the batches more than
    it sped up the files (payment stage 7.1 to 7.6 s with one, 7.9 to 8.3 s with two, at a
    million claims). It is a plain child interpreter running this module, fed job files;
    multiprocessing would re-import the caller's __main__ in it.
    """

    def __init__(self) -> None:
        """No worker until `use_worker` is called."""
        self._worker: _WorkerJobs | None = None
        self._started: list[_WorkerJobs] = []
        self._jobs: list[PendingFiles] = []

    def use_worker(self) -> None:
        """Start the worker now (idempotent until `seal`)."""
        if self._worker is not None:
            return
        self._worker = _WorkerJobs(start_worker(__name__, stdin=subprocess.PIPE))
        self._started.append(self._worker)

    def submit(self, job: FilesJob) -> PendingFiles:
        """Start writing one batch's files: in the worker if one is started (the caller
        goes on), else here and now. `seal` after the last of them."""
        if self._worker is None:
            pending = _write_here(job)
        else:
            pending = PendingFiles(
                worker=self._worker, index=self._worker.send(job), postings=_postings_of(job)
            )
        self._jobs.append(pending)
        return pending

    def seal(self) -> None:
        """The batches submitted so far are all there is: the worker answers when done, and
        a later `use_worker` starts a new one."""
        if self._worker is not None:
            self._worker.close_input()
        self._worker = None

    def submit_all(self, jobs: list[FilesJob]) -> list[PendingFiles]:
        """Write the batches' files (see `submit`) and `seal`."""
        pending = [self.submit(job) for job in jobs]
        self.seal()
        return pending

    def close(self) -> None:
        """Wait for every job (so no worker outlives its caller), stop an idle worker."""
        self.seal()
        for job in self._jobs:
            with contextlib.suppress(Exception):
                job.wait()
        self._jobs.clear()
        for worker in self._started:
            worker.finish()
        self._started.clear()

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _write_here(job: FilesJob) -> PendingFiles:
    try:
        return PendingFiles(
            done=write_batch_files(
                folder=job.folder,
                header=job.header,
                transfers=job.transfers,
                claims=job.claims,
                postings=job.postings,
            )
        )
    except PaymentFileError as exc:
        return PendingFiles(error=exc)


def _postings_of(job: FilesJob) -> Callable[[], Path]:
    return lambda: write_postings(
        folder=job.folder, batch_id=job.header.msg_id, claims=job.claims, postings=job.postings
    )


def _serve() -> None:
    """The worker: warm up, then write and check the pain.001 of each job file named on
    stdin, as they come, and pickle their outcomes when stdin closes.

    The caller reads nothing but the pickled outcome (`answer_channel`).
    """
    reply = answer_channel()
    warm_up()  # while the caller plans
    outcomes: list[tuple[str, object]] = []
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        with open(os.fsdecode(line.strip()), "rb") as handle:
            arguments = pickle.load(handle)
        outcomes.append(attempt(partial(write_payment_file, **arguments)))
    reply.write(pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL))
    reply.close()


if __name__ == "__main__":
    # By its package name, so what it pickles back names classes the caller can find.
    from robots.core.payments.filing import _serve as serve

    serve()
