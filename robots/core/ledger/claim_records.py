"""The claims the ledger holds, as the night asks about them.

Part of the ledger's API (see robots/core/ledger/__init__.py): functions take the
connection as a keyword argument, so the caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
from sqlalchemy import Connection, text

from robots.core.ledger import bulk


def bill_keys(
    *, connection: Connection, claim_pks: list[int]
) -> list[tuple[int, str, str, str | None]]:
    """claim_pk, claim_id, fingerprint and bill_key of the given claims (a few: released)."""
    if not claim_pks:
        return []
    placeholders = ", ".join(f":c{n}" for n in range(len(claim_pks)))
    rows = connection.execute(
        text(
            "SELECT id, claim_id, fingerprint, bill_key FROM claims "
            f"WHERE id IN ({placeholders}) ORDER BY id"
        ),
        {f"c{n}": pk for n, pk in enumerate(claim_pks)},
    ).all()
    return [(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]


def copies_paid_since_held(*, connection: Connection, claim_pks: list[int]) -> dict[int, str]:
    """For released claims, a copy of each (same bill, or the same request) paid in a batch
    made after the claim was held (its run, or the robot's last hold of it again): the
    claim id of that copy. What a person released must not be paid a second time."""
    if not claim_pks:
        return {}
    placeholders = ", ".join(f":c{n}" for n in range(len(claim_pks)))
    rows = connection.execute(
        text(
            "SELECT c.id, MIN(o.claim_id) FROM claims c "
            "JOIN runs r ON r.id = c.run_id "
            "JOIN claims o ON o.robot = c.robot AND o.id <> c.id AND (o.fingerprint = "
            "c.fingerprint OR (c.bill_key IS NOT NULL AND o.bill_key = c.bill_key)) "
            "JOIN payment_items i ON i.claim_pk = o.id "
            "JOIN payment_batches b ON b.id = i.batch_id "
            # By the paying run's start (to the microsecond), not the batch's whole second.
            "JOIN runs paying ON paying.id = b.run_id "
            f"WHERE c.id IN ({placeholders}) "
            "AND paying.started_at > COALESCE((SELECT MAX(h.at) FROM claim_events h "
            "WHERE h.claim_pk = c.id AND h.kind = 'held_again'), r.started_at) "
            "AND NOT EXISTS (SELECT 1 FROM claim_events x WHERE x.claim_pk = o.id "
            "AND x.kind = 'returned' AND x.attempt = i.attempt) "
            "GROUP BY c.id"
        ),
        {f"c{n}": pk for n, pk in enumerate(claim_pks)},
    ).all()
    return {int(pk): str(other) for pk, other in rows}


def claims_already_known(*, connection: Connection, keys: Iterable[str]) -> pd.DataFrame:
    """Claims in the ledger with any of these idempotency keys."""
    return bulk.lookup_via_temp_table(
        connection=connection,
        values=keys,
        query=(
            "SELECT c.idempotency_key, c.id, c.fingerprint, c.run_id, c.decision, c.version "
            "FROM tmp_lookup t CROSS JOIN claims c WHERE c.idempotency_key = t.k"
        ),
        columns=["idempotency_key", "claim_pk", "fingerprint", "run_id", "decision", "version"],
        candidates="SELECT 1 FROM claims LIMIT 1",
    )


STANDING_DECISIONS = ("pay", "hold")
"""Decisions that still stand for a bill: paid (or approved) or held for the control group.
A copy of either must not be paid: the held original may be released."""


def earlier_bills(
    *, connection: Connection, robot: str, fingerprints: Iterable[str]
) -> pd.DataFrame:
    """Claims decided earlier, paid or held (not rejected) and not superseded by a newer
    version, with any of these fingerprints (the same bill): per fingerprint and decision,
    the first claim id and its run. A superseded version stands no more: a correction
    back to its content is the claim's next version, not a copy of a bill."""
    return bulk.lookup_via_temp_table(
        connection=connection,
        values=fingerprints,
        query=(
            "SELECT c.fingerprint, c.decision, MIN(c.claim_id), MIN(c.run_id) "
            "FROM tmp_lookup t CROSS JOIN claims c "
            "WHERE c.robot = :robot AND c.fingerprint = t.k AND c.decision IN ('pay', 'hold') "
            "AND NOT EXISTS (SELECT 1 FROM claim_events e "
            "WHERE e.claim_pk = c.id AND e.kind = 'superseded') "
            "GROUP BY c.fingerprint, c.decision"
        ),
        columns=["fingerprint", "decision", "claim_id", "run_id"],
        params={"robot": robot},
        candidates=(
            "SELECT 1 FROM claims WHERE robot = :robot AND decision IN ('pay', 'hold') LIMIT 1"
        ),
    )


LOOKUP_COLUMNS = frozenset({"fingerprint", "bill_key", "document_key"})
"""Ledger columns a robot may look claims up by (names, never input, go into the SQL)."""


def claims_by_key(
    *,
    connection: Connection,
    robot: str,
    column: str,
    keys: Iterable[str],
    decision: str = "pay",
) -> pd.DataFrame:
    """Per key: the first claim decided `decision` with that value in `column`, and the sum
    of their amounts."""
    if column not in LOOKUP_COLUMNS:
        raise ValueError(f"claims cannot be looked up by {column!r}")
    if decision not in STANDING_DECISIONS:
        raise ValueError(f"claims are not looked up by the decision {decision!r}")
    frame = bulk.lookup_via_temp_table(
        connection=connection,
        values=[str(k) for k in keys],
        query=(
            f"SELECT c.{column}, MIN(c.claim_id), SUM(c.amount_oere) "
            "FROM tmp_lookup t CROSS JOIN claims c "
            f"WHERE c.robot = :robot AND c.{column} = t.k AND c.decision = :decision "
            f"GROUP BY c.{column}"
        ),
        columns=["key", "claim_id", "amount_oere"],
        params={"robot": robot, "decision": decision},
        candidates=(
            f"SELECT 1 FROM claims WHERE robot = :robot AND decision = :decision "
            f"AND {column} IS NOT NULL LIMIT 1"
        ),
    )
    frame["amount_oere"] = pd.to_numeric(frame["amount_oere"]).astype("Int64")
    return frame


PERIOD_COLUMNS = ["key", "claim_id", "idempotency_key", "service_date", "service_end"]
"""What `standing_periods_by_key` gives per claim: its key, ids and days."""


def standing_periods_by_key(
    *,
    connection: Connection,
    robot: str,
    column: str,
    keys: Iterable[str],
    ending_from: date | None = None,
) -> pd.DataFrame:
    """Every claim of the robot that still stands, with one of these values in `column`,
    and its days: `service_date` and `service_end` (NaT where it has no end: it covers its
    service_date only), as datetime64 days.

    Standing as for a copy of a bill (`earlier_bills`): decided 'pay' or 'hold' (a held
    claim is paid once released), and not superseded by a newer version (its days are the
    newer version's now). All of a key's claims, not the first: which of them share days
    with a claim depends on that claim's own days, which the caller knows. `ending_from`:
    only claims whose last day is on or after it (the earliest first day among the
    caller's claims): a year of monthly claims per key is not read every night to find
    the one or two that could still overlap.
    """
    if column not in LOOKUP_COLUMNS:
        raise ValueError(f"claims cannot be looked up by {column!r}")
    frame = bulk.lookup_via_temp_table(
        connection=connection,
        values=keys,  # text already: not turned to text one key at a time
        query=(
            f"SELECT c.{column}, c.claim_id, c.idempotency_key, c.service_date, c.service_end "
            "FROM tmp_lookup t CROSS JOIN claims c "
            f"WHERE c.robot = :robot AND c.{column} = t.k AND c.decision IN ('pay', 'hold') "
            "AND NOT EXISTS (SELECT 1 FROM claim_events e "
            "WHERE e.claim_pk = c.id AND e.kind = 'superseded')"
            + (
                " AND COALESCE(c.service_end, c.service_date) >= :ending_from"
                if ending_from is not None
                else ""
            )
        ),
        columns=PERIOD_COLUMNS,
        params={"robot": robot, **({"ending_from": ending_from} if ending_from else {})},
        candidates=(
            "SELECT 1 FROM claims WHERE robot = :robot AND decision IN ('pay', 'hold') "
            f"AND {column} IS NOT NULL LIMIT 1"
        ),
    )
    return frame.astype(
        {"key": "string", "claim_id": "string", "idempotency_key": "string"}
    ).assign(service_date=_days(frame["service_date"]), service_end=_days(frame["service_end"]))


def _days(values: pd.Series) -> pd.Series:
    """Days as the driver gives them (ISO text on SQLite, dates on PostgreSQL) as the
    pipeline's datetime64[s], so both ledgers answer alike."""
    return pd.to_datetime(values, format="ISO8601").astype("datetime64[s]")


def paid_by_key(
    *, connection: Connection, robot: str, column: str, keys: Iterable[str]
) -> pd.DataFrame:
    """Per key: the first claim decided 'pay' with that value in `column`, and their sum."""
    return claims_by_key(connection=connection, robot=robot, column=column, keys=keys)


def recent_amounts(*, connection: Connection, robot: str, limit: int) -> pd.DataFrame:
    """The category and claimed amount of the robot's `limit` most recent claims: what a
    usual bill of each kind looks like."""
    return bulk.read_frame(
        connection=connection,
        sql=(
            "SELECT category, basis_oere FROM claims WHERE robot = :robot "
            "ORDER BY id DESC LIMIT :limit"
        ),
        columns=["category", "basis_oere"],
        params={"robot": robot, "limit": int(limit)},
    ).astype({"category": "string", "basis_oere": "int64"})


def claims_of_run(*, connection: Connection, run_id: str) -> pd.DataFrame:
    """Every claim a run decided, with its file's name and whether it is in a payment."""
    return bulk.read_frame(
        connection=connection,
        sql=(
            "SELECT c.claim_id, c.source_id, c.decision, c.basis_oere, c.amount_oere, "
            "c.rule_ids, f.file_name, c.source_line, "
            "CASE WHEN i.claim_pk IS NULL THEN 0 ELSE 1 END "
            "FROM claims c LEFT JOIN source_files f ON f.id = c.source_file_id "
            "LEFT JOIN payment_items i ON i.claim_pk = c.id WHERE c.run_id = :run_id"
        ),
        columns=[
            "claim_id",
            "source_id",
            "decision",
            "basis_oere",
            "amount_oere",
            "rule_ids",
            "file_name",
            "source_line",
            "in_payment",
        ],
        params={"run_id": run_id},
    )
