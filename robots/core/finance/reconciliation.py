"""A period's reconciliation from the ledger's tables: pure, frames in and frames out.

It ties four views of the same money together and names every difference:
- each batch's payment file (its NbOfTxs and CtrlSum) against the ledger's transfers and
  payment items;
- each robot's payments against the batches, by chart-of-accounts function, with the
  state's refusion expected (the account's percent, or each claim's own);
- what went to the bank against what the bank booked, sent back or has not answered;
- the answers that fit no transfer.
A check is a difference that must be 0; one that is not names what makes it so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from robots.core.finance.payment_files import file_totals


@dataclass(frozen=True)
class Check:
    """One difference that must be 0, and what it is made of when it is not."""

    table: str
    what: str
    difference: int
    """In øre, or in rows where `unit` says so."""
    unit: str = "øre"
    items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reconciliation:
    first: date
    last: date
    made_at: datetime
    version: str
    batches: pd.DataFrame
    summary: pd.DataFrame
    bank: pd.DataFrame
    returned: pd.DataFrame
    unmatched: pd.DataFrame
    cases: pd.DataFrame
    recoveries: pd.DataFrame
    checks: list[Check]

    @property
    def ties_out(self) -> bool:
        return all(check.difference == 0 for check in self.checks)


def reconcile(
    *,
    first: date,
    last: date,
    made_at: datetime,
    version: str,
    batches: pd.DataFrame,
    transfers: pd.DataFrame,
    items: pd.DataFrame,
    unmatched: pd.DataFrame,
    cases: pd.DataFrame,
    recoveries: pd.DataFrame,
    accounts: dict[str, tuple[str, str, int | None]],
) -> Reconciliation:
    """The reconciliation of the period. `accounts`: robot -> (function, function name,
    the state's refusion percent, or None where each claim carries its own)."""
    batches = _with_file_totals(batches)
    bank = _bank_view(transfers)
    summary = _summary(batches, bank, items, accounts)
    returned = transfers[transfers["answer"] == "returned"].reset_index(drop=True)
    checks = _checks(batches, summary, returned, unmatched)
    return Reconciliation(
        first,
        last,
        made_at,
        version,
        batches,
        summary,
        bank,
        returned,
        unmatched,
        cases,
        recoveries,
        checks,
    )


def _with_file_totals(batches: pd.DataFrame) -> pd.DataFrame:
    out = batches.copy()
    totals = [file_totals(path) for path in out["payment_file"]]
    out["file_transfers"] = pd.array([t.transfers for t in totals], dtype="Int64")
    out["file_total_oere"] = pd.array([t.total_oere for t in totals], dtype="Int64")
    out["file_problem"] = [t.problem for t in totals]
    out["execution_date"] = pd.to_datetime(out["execution_date"]).dt.date
    return out


def _bank_view(transfers: pd.DataFrame) -> pd.DataFrame:
    """Per batch: sent, booked, sent back and not answered, in øre and transfers."""
    frame = transfers.assign(
        booked_oere=transfers["amount_oere"].where(transfers["answer"] == "booked", 0),
        returned_oere=transfers["amount_oere"].where(transfers["answer"] == "returned", 0),
        unanswered_oere=transfers["amount_oere"].where(transfers["answer"] == "unanswered", 0),
        returned_transfers=(transfers["answer"] == "returned").astype(int),
    )
    grouped = frame.groupby(["batch_id", "robot"], as_index=False).agg(
        sent_transfers=("transfer_id", "count"),
        sent_oere=("amount_oere", "sum"),
        booked_oere=("booked_oere", "sum"),
        returned_oere=("returned_oere", "sum"),
        unanswered_oere=("unanswered_oere", "sum"),
        returned_transfers=("returned_transfers", "sum"),
    )
    return grouped.astype(
        {c: "int64" for c in grouped.columns if c.endswith(("_oere", "_transfers"))}
    )


def _summary(
    batches: pd.DataFrame,
    bank: pd.DataFrame,
    items: pd.DataFrame,
    accounts: dict[str, tuple[str, str, int | None]],
) -> pd.DataFrame:
    rows = []
    for robot in sorted(set(batches["robot"]) | set(items["robot"])):
        function, name, percent = accounts.get(robot, ("", "", None))
        mine = items[items["robot"] == robot]
        of_bank = bank[bank["robot"] == robot]
        rows.append(
            {
                "robot": robot,
                "function": function,
                "function_name": name,
                "batches": int((batches["robot"] == robot).sum()),
                "claims_paid": len(mine),
                "paid_oere": int(mine["amount_oere"].sum()),
                "booked_oere": int(of_bank["booked_oere"].sum()),
                "returned_oere": int(of_bank["returned_oere"].sum()),
                "unanswered_oere": int(of_bank["unanswered_oere"].sum()),
                "refusion": f"{percent} %" if percent is not None else "per claim",
                "refusion_oere": _refusion(mine, percent),
            }
        )
    return pd.DataFrame(rows)


def _refusion(items: pd.DataFrame, percent: int | None) -> int:
    """The state's refusion expected: each item times its claim's percent (or the
    account's), summed exactly and rounded half up once, to the øre."""
    if not len(items):
        return 0
    own = items["refusion_percent"]
    percents = own.fillna(percent if percent is not None else 0).astype("int64")
    hundredths = int((items["amount_oere"].astype("int64") * percents).sum())
    return int((Decimal(hundredths) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _checks(
    batches: pd.DataFrame,
    summary: pd.DataFrame,
    returned: pd.DataFrame,
    unmatched: pd.DataFrame,
) -> list[Check]:
    checks = []
    missing = batches[batches["file_problem"].notna()]
    count_diff = (batches["file_transfers"].fillna(0) - batches["transfers"]).astype(int)
    sum_diff = (batches["file_total_oere"].fillna(0) - batches["total_oere"]).astype(int)
    checks.append(
        Check(
            "Batches",
            "payment files' control sums less the ledger's batch totals",
            int(sum_diff.sum()),
            items=[str(p) for p in missing["file_problem"]]
            + [
                f"{b}: file {s:+} øre"
                for b, s in zip(batches["batch_id"], sum_diff, strict=True)
                if s and b not in set(missing["batch_id"])
            ],
        )
    )
    checks.append(
        Check(
            "Batches",
            "payment files' transfer counts less the ledger's",
            int(count_diff.sum()),
            unit="transfers",
            items=[
                f"{b}: {d:+}" for b, d in zip(batches["batch_id"], count_diff, strict=True) if d
            ],
        )
    )
    item_diff = (batches["total_oere"] - batches["items_oere"]).astype(int)
    checks.append(
        Check(
            "Batches",
            "batch totals less the sum of their payment items",
            int(item_diff.sum()),
            items=[
                f"{b}: {d:+} øre" for b, d in zip(batches["batch_id"], item_diff, strict=True) if d
            ],
        )
    )
    checks.append(
        Check(
            "Summary",
            "the robots' payments less the batches' totals",
            int(summary["paid_oere"].sum() - batches["total_oere"].sum()) if len(summary) else 0,
        )
    )
    checks.append(
        Check(
            "Bank",
            "transfers sent back (not paid; paid again only after a decision)",
            int(returned["amount_oere"].sum()) if len(returned) else 0,
            items=[
                f"{r.end_to_end_id} ({r.robot}, batch {r.batch_id})"
                for r in returned.itertuples(index=False)
            ],
        )
    )
    checks.append(
        Check(
            "Bank",
            "answer lines that fit no transfer",
            len(unmatched),
            unit="lines",
            items=[
                f"{r.file_name} line {r.line}: {r.problem}"
                for r in unmatched.itertuples(index=False)
            ],
        )
    )
    return checks


def _named(names: pd.Series, differences: pd.Series, unit: str) -> list[str]:
    return [f"{n}: {d:+}{unit}" for n, d in zip(names, differences, strict=True) if d]
