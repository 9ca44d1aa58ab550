"""The reconciliation of a period, read from the ledger and written as a workbook under
outputs/reconciliation/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import Engine

from robots.core import dates
from robots.core.errors import ConfigError
from robots.core.finance.reconciliation import Reconciliation, reconcile
from robots.core.finance.reconciliation_workbook import reconciliation_workbook
from robots.core.ledger import reconciliation_records as records
from robots.core.payments.posting import account


@dataclass(frozen=True)
class Exported:
    path: Path
    reconciliation: Reconciliation


def suite_version() -> str:
    """The version written on the workbook (the installed package's)."""
    try:
        return version("ydelsesrobotter")
    except PackageNotFoundError:
        return "unknown"


def reconciliation_of(engine: Engine, first: date, last: date) -> Reconciliation:
    """The period's reconciliation, read in one transaction (a consistent picture)."""
    with engine.connect() as connection, connection.begin():
        batches = records.batches_executed(connection=connection, first=first, last=last)
        transfers = records.transfer_answers(connection=connection, first=first, last=last)
        items = records.paid_items(connection=connection, first=first, last=last)
        unmatched = records.answer_problems(connection=connection, first=first, last=last)
        cases = records.open_cases_by_robot(connection=connection)
        recoveries = records.recoveries_opened(connection=connection, first=first, last=last)
    accounts = {}
    for robot in sorted(set(batches["robot"]) | set(items["robot"])):
        try:
            found = account(robot)
        except ConfigError:
            continue
        accounts[robot] = (found.function, found.function_name, found.state_refund_percent)
    return reconcile(
        first=first,
        last=last,
        made_at=dates.now(),
        version=suite_version(),
        batches=batches,
        transfers=transfers,
        items=items,
        unmatched=unmatched,
        cases=cases,
        recoveries=recoveries,
        accounts=accounts,
    )


def export_reconciliation(engine: Engine, first: date, last: date, outputs: Path) -> Exported:
    """The workbook written (atomically: a half-written file never has the final name)."""
    made = reconciliation_of(engine, first, last)
    folder = outputs / "reconciliation"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"afstemning_{first.isoformat()}_{last.isoformat()}.xlsx"
    partial = path.with_suffix(".xlsx.partial")
    partial.write_bytes(reconciliation_workbook(made))
    partial.replace(path)
    return Exported(path, made)
