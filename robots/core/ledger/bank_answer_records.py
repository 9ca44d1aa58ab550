"""The bank's and NemKonto's answers as the ledger keeps them, and what matching asks of
the transfers sent.

Part of the ledger's API (see robots/core/ledger/__init__.py): functions take the
connection as a keyword argument, so the caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select, text

from robots.core import dates
from robots.core.ledger import bulk
from robots.core.ledger.schema import BankAnswerFile

_TRANSFERS = (
    "SELECT t.id, t.end_to_end_id, t.batch_id, t.amount_oere, t.payee_id, b.execution_date "
    "FROM payment_transfers t JOIN payment_batches b ON b.id = t.batch_id "
)
_TRANSFER_COLUMNS = [
    "transfer_id",
    "end_to_end_id",
    "batch_id",
    "amount_oere",
    "payee_id",
    "execution_date",
]
LINE_COLUMNS = [
    "line",
    "level",
    "batch_id",
    "end_to_end_id",
    "status",
    "bank_status",
    "reason_code",
    "reason_text",
    "amount_oere",
    "booked_on",
    "nks_outcome",
    "transfer_id",
    "matched_by",
    "problem",
]


def answer_already_read(
    *, connection: Connection, kind: str, message_id: str, sha256: str
) -> str | None:
    """The file name under which this answer was read before (same content, or the same
    message id of the same kind), or None."""
    row = connection.execute(
        select(BankAnswerFile.file_name).where(
            (BankAnswerFile.sha256 == sha256)
            | ((BankAnswerFile.kind == kind) & (BankAnswerFile.message_id == message_id))
        )
    ).first()
    return None if row is None else str(row[0])


def record_answer(
    *,
    connection: Connection,
    kind: str,
    message_id: str,
    sha256: str,
    file_name: str,
    stored_path: str,
    account_iban: str | None,
    lines: pd.DataFrame,
) -> int:
    """The answer file and its lines (matched or not, each with the id reserved for it by
    `reserve_line_ids`, which the claims' events name); the file's id."""
    answer_id = connection.execute(
        insert(BankAnswerFile)
        .values(
            kind=kind,
            message_id=message_id[:64],
            sha256=sha256,
            file_name=file_name[:255],
            stored_path=stored_path[:500],
            account_iban=account_iban,
            read_at=dates.now(),
            lines=len(lines),
            unmatched=int(lines["problem"].notna().sum()),
        )
        .returning(BankAnswerFile.id)
    ).scalar_one()
    frame = lines.reindex(columns=["id", *LINE_COLUMNS]).assign(answer_file_id=answer_id)
    # Arrow takes the columns as they are (nullable numbers, days as date32): converting a
    # month's lines to Python objects first cost seconds.
    frame["booked_on"] = pd.to_datetime(frame["booked_on"])
    bulk.bulk_insert(connection=connection, table="bank_answer_lines", frame=frame)
    return int(answer_id)


def reserve_line_ids(*, connection: Connection, count: int) -> list[int]:
    """Ids for an answer's lines, taken before they are written (the events name them)."""
    ids = bulk.reserve_ids(connection=connection, table="bank_answer_lines", count=count)
    return [int(i) for i in ids]


def transfers_by_end_to_end(*, connection: Connection, ids: Iterable[str]) -> pd.DataFrame:
    """The transfers sent with these EndToEndIds."""
    return bulk.lookup_via_temp_table(
        connection=connection,
        values=[i for i in ids if i],
        query=_TRANSFERS.replace(
            "FROM payment_transfers t", "FROM tmp_lookup k CROSS JOIN payment_transfers t"
        )
        + "WHERE t.end_to_end_id = k.k",
        columns=_TRANSFER_COLUMNS,
    )


def transfers_by_amount_and_day(*, connection: Connection, amounts: Iterable[int]) -> pd.DataFrame:
    """The transfers of these amounts (matching narrows them by day and payee)."""
    wanted = sorted({int(a) for a in amounts})
    if not wanted:
        return pd.DataFrame(columns=_TRANSFER_COLUMNS)
    marks, params = bulk.in_list("a", wanted)
    rows = connection.execute(text(_TRANSFERS + f"WHERE t.amount_oere IN ({marks})"), params).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=_TRANSFER_COLUMNS)


def transfers_of_batches(*, connection: Connection, batch_ids: Iterable[str]) -> pd.DataFrame:
    """Every transfer of these batches."""
    wanted = sorted({str(b) for b in batch_ids if b})
    if not wanted:
        return pd.DataFrame(columns=_TRANSFER_COLUMNS)
    marks, params = bulk.in_list("b", wanted)
    rows = connection.execute(
        text(_TRANSFERS + f"WHERE t.batch_id IN ({marks}) ORDER BY t.id"), params
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=_TRANSFER_COLUMNS)


def known_batches(*, connection: Connection, batch_ids: Iterable[str]) -> set[str]:
    """Which of these are batches the ledger sent."""
    wanted = sorted({str(b) for b in batch_ids if b})
    if not wanted:
        return set()
    marks, params = bulk.in_list("b", wanted)
    rows = connection.execute(
        text(f"SELECT id FROM payment_batches WHERE id IN ({marks})"), params
    ).scalars()
    return {str(r) for r in rows}


def claims_of_transfers(*, connection: Connection, transfer_ids: Iterable[int]) -> pd.DataFrame:
    """The claims each transfer paid, with the payment attempt it was (claim_pk, attempt,
    transfer_id)."""
    wanted = sorted({int(t) for t in transfer_ids})
    if not wanted:
        return pd.DataFrame(columns=["claim_pk", "attempt", "transfer_id"])
    found: list[Any] = []
    for chunk in bulk.chunks(wanted, 1000):
        marks, params = bulk.in_list("t", chunk)
        found += connection.execute(
            text(
                "SELECT claim_pk, attempt, transfer_id FROM payment_items "
                f"WHERE transfer_id IN ({marks}) ORDER BY transfer_id, claim_pk"
            ),
            params,
        ).all()
    return pd.DataFrame([tuple(r) for r in found], columns=["claim_pk", "attempt", "transfer_id"])


def unmatched_lines(*, connection: Connection) -> pd.DataFrame:
    """Finance's list: every answer line the ledger could not match, with the problem."""
    return bulk.read_frame(
        connection=connection,
        sql=(
            "SELECT f.kind, f.message_id, f.file_name, l.line, l.level, l.batch_id, "
            "l.end_to_end_id, l.status, l.amount_oere, l.booked_on, l.problem "
            "FROM bank_answer_lines l JOIN bank_answer_files f ON f.id = l.answer_file_id "
            "WHERE l.problem IS NOT NULL ORDER BY l.id"
        ),
        columns=[
            "kind",
            "message_id",
            "file_name",
            "line",
            "level",
            "batch_id",
            "end_to_end_id",
            "status",
            "amount_oere",
            "booked_on",
            "problem",
        ],
    )


def items_paid(*, connection: Connection, pairs: Iterable[tuple[int, int]]) -> pd.DataFrame:
    """The payment items of these (claim_pk, attempt) pairs, with what a reversal posting
    needs of their claims: robot, claim id, batch, amount, own refusion and grouping."""
    wanted = sorted(set(pairs))
    columns = [
        "claim_pk",
        "attempt",
        "robot",
        "claim_id",
        "batch_id",
        "amount_oere",
        "refusion_percent",
        "posting_grouping",
    ]
    found: list[Any] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        where = " OR ".join(
            f"(i.claim_pk = :c{n} AND i.attempt = :a{n})" for n in range(len(chunk))
        )
        params: dict[str, int] = {}
        for n, (claim_pk, attempt) in enumerate(chunk):
            params[f"c{n}"], params[f"a{n}"] = claim_pk, attempt
        found += connection.execute(
            text(
                "SELECT i.claim_pk, i.attempt, c.robot, c.claim_id, i.batch_id, i.amount_oere, "
                "c.refusion_percent, c.posting_grouping FROM payment_items i "
                f"JOIN claims c ON c.id = i.claim_pk WHERE {where} ORDER BY i.claim_pk"
            ),
            params,
        ).all()
    return pd.DataFrame([tuple(r) for r in found], columns=columns)


def unmatched_count(*, connection: Connection) -> int:
    """How many answer lines the ledger could not match (finance's list, counted)."""
    return int(
        connection.execute(
            text("SELECT COUNT(*) FROM bank_answer_lines WHERE problem IS NOT NULL")
        ).scalar_one()
    )
