"""What finance's reconciliation reads from the ledger for a period: the batches executed in
it with their items, each transfer's answer from the bank, the robots' open cases, the
recoveries opened, and each paid item's refusion.

Part of the ledger's API (see robots/core/ledger/__init__.py): functions take the
connection as a keyword argument, so the caller decides the transaction.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, bindparam, text

from robots.core import dates
from robots.core.ledger import bulk
from robots.core.ledger.cases import STATUS_SQL
from robots.core.ledger.schema import UTCDateTime

RETURNING = ("rejected", "returned", "stopped")
"""Answer statuses that send a transfer back (with no_nemkonto unless paid by cheque or
into the state's waiting account)."""


def batches_executed(*, connection: Connection, first: date, last: date) -> pd.DataFrame:
    """Every batch with an execution date in the period, with the count and sum of the
    payment items the ledger holds for it."""
    return bulk.read_frame(
        connection=connection,
        sql=(
            "SELECT b.id, b.robot, b.run_id, b.status, b.execution_date, b.transfers, "
            "b.total_oere, b.payment_file, b.posting_file, "
            "(SELECT COUNT(*) FROM payment_items i WHERE i.batch_id = b.id), "
            "(SELECT COALESCE(SUM(i.amount_oere), 0) FROM payment_items i "
            "WHERE i.batch_id = b.id), "
            "(SELECT COALESCE(SUM(t.amount_oere), 0) FROM payment_transfers t "
            "WHERE t.batch_id = b.id) "
            "FROM payment_batches b WHERE b.execution_date >= :first "
            "AND b.execution_date <= :last ORDER BY b.execution_date, b.id"
        ),
        columns=[
            "batch_id",
            "robot",
            "run_id",
            "status",
            "execution_date",
            "transfers",
            "total_oere",
            "payment_file",
            "posting_file",
            "items",
            "items_oere",
            "transfers_oere",
        ],
        params={"first": first, "last": last},
    )


def transfer_answers(*, connection: Connection, first: date, last: date) -> pd.DataFrame:
    """Each transfer of the period's batches with what the bank and NemKonto said of it:
    'returned' if any answer sent it back, else 'booked' if one booked it, else
    'unanswered' (sent; no answer yet, or only received/accepted)."""
    paid_by_nks = "('cheque', 'waiting_account')"
    back = ", ".join(f"'{s}'" for s in RETURNING)
    return bulk.read_frame(
        connection=connection,
        sql=(
            "SELECT t.id, t.batch_id, b.robot, t.end_to_end_id, t.amount_oere, "
            "CASE WHEN EXISTS (SELECT 1 FROM bank_answer_lines l WHERE l.transfer_id = t.id "
            f"AND l.problem IS NULL AND (l.status IN ({back}) OR (l.status = 'no_nemkonto' "
            f"AND COALESCE(l.nks_outcome, '') NOT IN {paid_by_nks}))) THEN 'returned' "
            "WHEN EXISTS (SELECT 1 FROM bank_answer_lines l WHERE l.transfer_id = t.id "
            "AND l.problem IS NULL AND (l.status = 'booked' OR (l.status = 'no_nemkonto' "
            f"AND l.nks_outcome IN {paid_by_nks}))) THEN 'booked' "
            "ELSE 'unanswered' END "
            "FROM payment_transfers t JOIN payment_batches b ON b.id = t.batch_id "
            "WHERE b.execution_date >= :first AND b.execution_date <= :last ORDER BY t.id"
        ),
        columns=["transfer_id", "batch_id", "robot", "end_to_end_id", "amount_oere", "answer"],
        params={"first": first, "last": last},
    )


def answer_problems(*, connection: Connection, first: date, last: date) -> pd.DataFrame:
    """The answer lines of the period that fit no transfer, with the problem: by the day
    the bank booked them, or, where an answer gives no such day, the day it was read."""
    start, end = dates.days_span(first, last)
    sql = text(
        "SELECT f.kind, f.message_id, f.file_name, l.line, l.end_to_end_id, l.batch_id, "
        "l.status, l.amount_oere, l.problem FROM bank_answer_lines l "
        "JOIN bank_answer_files f ON f.id = l.answer_file_id "
        "WHERE l.problem IS NOT NULL AND ((l.booked_on >= :first AND l.booked_on <= :last) "
        "OR (l.booked_on IS NULL AND f.read_at >= :start AND f.read_at < :end)) "
        "ORDER BY l.id"
    ).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))
    rows = connection.execute(sql, {"start": start, "end": end, "first": first, "last": last}).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[
            "kind",
            "message_id",
            "file_name",
            "line",
            "end_to_end_id",
            "batch_id",
            "status",
            "amount_oere",
            "problem",
        ],
    )


def paid_items(*, connection: Connection, first: date, last: date) -> pd.DataFrame:
    """Every payment item of the period's batches with its claim's robot and own refusion
    percent (null: the robot's account gives it)."""
    return bulk.read_frame(
        connection=connection,
        sql=(
            "SELECT i.batch_id, c.robot, i.amount_oere, c.refusion_percent "
            "FROM payment_items i JOIN payment_batches b ON b.id = i.batch_id "
            "JOIN claims c ON c.id = i.claim_pk "
            "WHERE b.execution_date >= :first AND b.execution_date <= :last"
        ),
        columns=["batch_id", "robot", "amount_oere", "refusion_percent"],
        params={"first": first, "last": last},
    )


def open_cases_by_robot(*, connection: Connection) -> pd.DataFrame:
    """The cases open now, per robot and channel: how many, and the kroner they hold."""
    rows = connection.execute(
        text(
            "SELECT q.robot, q.kanal, COUNT(*), COALESCE(SUM(q.amount_oere), 0) FROM ("
            f"SELECT k.robot, k.kanal, c.amount_oere, {STATUS_SQL} AS status "
            "FROM cases k JOIN claims c ON c.id = k.claim_pk) q "
            "WHERE q.status IN ('open', 'taken', 'awaiting_approval') "
            "GROUP BY q.robot, q.kanal ORDER BY q.robot, q.kanal"
        )
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["robot", "kanal", "cases", "oere"])


def recoveries_opened(*, connection: Connection, first: date, last: date) -> pd.DataFrame:
    """Recoveries (tilbagebetalingskrav) opened in the period, per robot."""
    start, end = dates.days_span(first, last)
    sql = text(
        "SELECT c.robot, COUNT(*), COALESCE(SUM(e.amount_oere), 0) FROM claim_events e "
        "JOIN claims c ON c.id = e.claim_pk WHERE e.kind = 'recovery_opened' "
        "AND e.at >= :start AND e.at < :end GROUP BY c.robot ORDER BY c.robot"
    ).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))
    rows = connection.execute(sql, {"start": start, "end": end}).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["robot", "recoveries", "oere"])
