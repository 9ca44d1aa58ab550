"""The answers that come back, taken into the ledger: each file read once, its lines matched
to the transfers sent, and what they say appended to the claims' histories.

A booked transfer's claims are marked booked; a rejected, returned or stopped one's are
returned (not paid), each opening a case for finance, and are paid again only after a
person's decision, in a later batch, as the claim's next attempt (history.py proves it). A
NemKonto cheque or payment into the state's waiting account pays the claim, and says so; an
error account or a rejection does not. An answer that cannot be read is quarantined with
its reason; one read before changes nothing. Every line that cannot be matched is kept with
its problem for finance's list.
"""

from __future__ import annotations

import hashlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Engine

from robots.core import dates
from robots.core.evidence import json_objects
from robots.core.ledger import bank_answer_records as records
from robots.core.ledger import history
from robots.core.ledger.history import EventKind, EventRefused
from robots.core.payments.answer_matching import MOVES_MONEY, match_lines
from robots.core.payments.answers.reading import read_answer_file
from robots.core.payments.answers.rows import AnswerError, AnswerFile
from robots.core.payments.posting import account, write_posting_file

PAID_BY_NKS = frozenset({"cheque", "waiting_account"})
"""NemKonto outcomes that discharge the municipality: the claim is paid."""


@dataclass(frozen=True)
class AnswerTaken:
    """What one answer file did."""

    file_name: str
    outcome: str
    """'read', 'already read' or 'refused'."""
    kind: str = ""
    message_id: str = ""
    lines: int = 0
    unmatched: int = 0
    booked_claims: int = 0
    returned_claims: int = 0
    reason: str = ""


def take_in_answers(
    *,
    engine: Engine,
    inbox: Path,
    archive: Path,
    quarantine: Path,
    debtor_iban: str,
    postings: Path | None = None,
) -> list[AnswerTaken]:
    """Every answer file in `inbox`, in name order, each in its own transaction; the
    reversal postings of what came back written under `postings` (when given).

    The next file is read while this one is recorded: reading is libxml2 and Arrow, and
    recording waits on the database, both outside the GIL, so a month's files take the
    longer of the two rather than their sum on a machine with two cores."""
    paths = sorted(p for p in inbox.glob("*") if p.is_file())
    taken = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer-reader") as reader:
        ahead = [reader.submit(_read, path) for path in paths[:1]]
        for n, path in enumerate(paths):
            read = ahead.pop().result()
            ahead += [reader.submit(_read, later) for later in paths[n + 1 : n + 2]]
            taken.append(_take_one(engine, path, read, archive, quarantine, debtor_iban, postings))
    return taken


def _read(path: Path) -> tuple[AnswerFile, str] | AnswerError:
    """The file read and its SHA-256, or why it is refused."""
    try:
        answer = read_answer_file(path)
    except AnswerError as refused:
        return refused
    return answer, hashlib.sha256(path.read_bytes()).hexdigest()


def _take_one(
    engine: Engine,
    path: Path,
    read: tuple[AnswerFile, str] | AnswerError,
    archive: Path,
    quarantine: Path,
    debtor_iban: str,
    postings: Path | None,
) -> AnswerTaken:
    if isinstance(read, AnswerError):
        _move(path, quarantine, read.message)
        return AnswerTaken(path.name, "refused", reason=read.message)
    answer, sha256 = read
    stored = archive / dates.today().isoformat() / path.name
    with engine.begin() as connection:
        before = records.answer_already_read(
            connection=connection, kind=answer.kind, message_id=answer.message_id, sha256=sha256
        )
        if before is not None:
            outcome = AnswerTaken(
                path.name,
                "already read",
                answer.kind,
                answer.message_id,
                reason=f"the same answer was read before as {before}: nothing changes",
            )
        else:
            outcome = _record(
                connection, answer, path.name, str(stored), sha256, debtor_iban, postings
            )
    _move(path, stored.parent if outcome.outcome == "read" else archive / "already_read", "")
    return outcome


def _record(
    connection: Connection,
    answer: AnswerFile,
    file_name: str,
    stored_path: str,
    sha256: str,
    debtor_iban: str,
    postings: Path | None,
) -> AnswerTaken:
    rows = answer.rows
    by_e2e = records.transfers_by_end_to_end(
        connection=connection, ids=rows["end_to_end_id"].dropna().astype(str)
    )
    # Amount, day and payee are asked of the ledger only for lines the EndToEndId did not
    # match (at a month's file, all of them would fetch every transfer again).
    loose = rows[
        (rows["level"] == "transfer")
        & rows["amount_oere"].notna()
        & ~rows["end_to_end_id"].isin(by_e2e["end_to_end_id"])
    ]
    lines = match_lines(
        rows,
        by_end_to_end=by_e2e,
        by_amount_and_day=records.transfers_by_amount_and_day(
            connection=connection, amounts=loose["amount_oere"].astype(int)
        ),
        # Only a batch- or file-level rejection stands for its batch's transfers (a
        # transfer-level line names its batch too, and a month's file would fetch them all).
        batch_transfers=records.transfers_of_batches(
            connection=connection,
            batch_ids=rows.loc[rows["level"] != "transfer", "batch_id"].dropna().astype(str),
        ),
        known_batches=records.known_batches(
            connection=connection, batch_ids=rows["batch_id"].dropna().astype(str)
        ),
        account_iban=answer.account_iban,
        debtor_iban=debtor_iban,
    )
    lines = lines.rename(columns={"source_line": "line"})
    lines["id"] = records.reserve_line_ids(connection=connection, count=len(lines))
    actor = f"bank:{answer.kind}:{answer.message_id}"[:64]
    booked, returned, sent_back = _append_events(connection, lines, actor)
    if postings is not None and sent_back:
        _reversal_postings(connection, sent_back, postings, answer)
    records.record_answer(
        connection=connection,
        kind=answer.kind,
        message_id=answer.message_id,
        sha256=sha256,
        file_name=file_name,
        stored_path=stored_path,
        account_iban=answer.account_iban,
        lines=lines,
    )
    return AnswerTaken(
        file_name,
        "read",
        answer.kind,
        answer.message_id,
        lines=len(lines),
        unmatched=int(lines["problem"].notna().sum()),
        booked_claims=booked,
        returned_claims=returned,
    )


def _append_events(
    connection: Connection, lines: pd.DataFrame, actor: str
) -> tuple[int, int, list[tuple[int, int]]]:
    """Each matched line that moves money, as an event on every claim its transfer paid
    (the attempt it paid them in). Bookings go in bulk (a bank file answers a whole
    month); what comes back, a few in a hundred, one event at a time, each opening its
    case. A line the claims' histories refuse (a booking after a return, say) gets the
    refusal as its problem and moves nothing."""
    moving = lines[
        lines["transfer_id"].notna() & lines["status"].isin(MOVES_MONEY) & lines["problem"].isna()
    ]
    books = _books(moving)
    booking = moving[books]
    if len(booking):
        back = history.transfers_sent_back(connection=connection)
        refused = booking["transfer_id"].astype(int).isin(back)
        lines.loc[booking.index[refused], "problem"] = (
            "the claims' history refuses it: the transfer was sent back before"
        )
        booking = booking[~refused]
    booked = history.book_transfers(
        connection=connection,
        lines=pd.DataFrame(
            {
                "transfer_id": booking["transfer_id"].astype(int),
                # Built column by column (a month's file books a million claims).
                "detail": json_objects(
                    booking.rename(columns={"id": "answer_line"}).astype({"answer_line": "int64"}),
                    ["answer_line", "status", "bank_status", "reason_code", "nks_outcome"],
                ).to_numpy(),
                "reason": np.where(
                    booking["nks_outcome"].notna(),
                    "paid by NemKonto: " + booking["nks_outcome"].astype("string").fillna(""),
                    "booked by the bank",
                ),
            }
        ),
        actor=actor,
    )
    returning = moving[~books]
    claims = records.claims_of_transfers(
        connection=connection, transfer_ids=returning["transfer_id"].astype(int)
    )
    returned = 0
    sent_back: list[tuple[int, int]] = []
    for at, line in returning.iterrows():
        paid = claims[claims["transfer_id"] == int(line["transfer_id"])]
        try:
            for claim in paid.itertuples(index=False):
                if _already(
                    connection, int(claim.claim_pk), EventKind.RETURNED, int(claim.attempt)
                ):
                    continue
                history.append_event(
                    connection=connection,
                    claim_pk=int(claim.claim_pk),
                    kind=EventKind.RETURNED,
                    actor=actor,
                    reason=_reason(line),
                    attempt=int(claim.attempt),
                    batch_id=None if pd.isna(line["batch_id"]) else str(line["batch_id"]),
                    detail=_detail(line),
                )
                returned += 1
                sent_back.append((int(claim.claim_pk), int(claim.attempt)))
        except EventRefused as refused:
            lines.at[at, "problem"] = f"the claims' history refuses it: {refused.message}"
    return booked, returned, sent_back


def _detail(line: pd.Series) -> dict[str, object]:
    return {
        "answer_line": int(line["id"]),
        **{
            name: None if pd.isna(line.get(name)) else str(line[name])
            for name in ("status", "bank_status", "reason_code", "nks_outcome")
        },
    }


def _books(lines: pd.DataFrame) -> pd.Series:
    """Which lines pay their claims: the bank booked them, or NemKonto paid by cheque or
    into the state's waiting account; every other line that moves money sends it back."""
    outcome = lines["nks_outcome"].astype("string") if "nks_outcome" in lines else None
    paid_by_nks = (
        (lines["status"] == "no_nemkonto") & outcome.isin(PAID_BY_NKS).fillna(False)
        if outcome is not None
        else False
    )
    return (lines["status"] == "booked") | paid_by_nks


def _already(connection: Connection, claim_pk: int, kind: EventKind, attempt: int) -> bool:
    """Whether the claim's history already says this of this attempt (a pain.002 rejection
    and then the camt.054 return of the same transfer are one return, not two)."""
    return any(
        e["kind"] == kind and e["attempt"] == attempt
        for e in history.events_of(connection=connection, claim_pk=claim_pk)
    )


def _reason(line: pd.Series) -> str:
    parts = [str(line["status"]).replace("_", " ")]
    for name in ("bank_status", "reason_code", "nks_outcome", "reason_text"):
        value = line.get(name)
        if value is not None and not pd.isna(value) and str(value):
            parts.append(f"{name.replace('_', ' ')} {value}")
    return "; ".join(parts)


def _reversal_postings(
    connection: Connection,
    sent_back: list[tuple[int, int]],
    folder: Path,
    answer: AnswerFile,
) -> None:
    """What came back, reversed on the chart of accounts: per robot and batch, each claim's
    amount credited back to the benefit's function (a negative debit, its refusion
    reversed with it) and the total debited back to the bank account; balanced like the
    batch's own posting file. Named by the answer, so reading it again (after a crash
    before the commit) writes the same file."""
    items = records.items_paid(connection=connection, pairs=sent_back)
    safe_id = "".join(c if c.isalnum() or c in "-_" else "_" for c in answer.message_id)
    for (robot, batch_id), of_batch in items.groupby(["robot", "batch_id"], sort=True):
        table = pa.table(
            {
                "claim_id": pa.array(of_batch["claim_id"].astype(str), pa.string()),
                "amount_oere": pa.array(-of_batch["amount_oere"].astype("int64"), pa.int64()),
                "refusion_percent": pa.array(
                    of_batch["refusion_percent"].astype("Int64"), pa.int64()
                ),
                "posting_grouping": pa.array(
                    of_batch["posting_grouping"].astype("string"), pa.string()
                ),
            }
        )
        write_posting_file(
            folder / f"return_{answer.kind}_{safe_id}_{batch_id}.csv",
            batch_id=str(batch_id),
            run_id=f"answer:{answer.message_id}"[:40],
            posting_date=dates.today(),
            benefit_account=account(str(robot)),
            bank_account=account("bank"),
            claims=table,
            title=f"Retur fra banken ({answer.kind} {answer.message_id})",
        )


def _move(path: Path, folder: Path, reason: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{dates.now():%Y%m%dT%H%M%S%f}{path.suffix}"
    shutil.move(str(path), target)
    if reason:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
