"""Benchmark finance's side of a month: 1,000,000 paid claims in 20 nightly batches, and the
bank's camt.054 files booking every transfer (a few rejected by a pain.002), read back,
matched and appended to the claims' histories, then the month's reconciliation workbook.

    python bench/reconciliation.py [--claims 1000000 --batches 20] [--postgres URL]

Prints seconds and the peak memory of the measured process (the ledger and files are made in
a child process first). The target (issue 13):
at most 60 s and 1.5 GiB in all on 2 cores. The ledger is made by bulk inserts in the
shape the nights write (the nights themselves are benchmarked in bench/run.py).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from robots.core.finance.export import export_reconciliation  # noqa: E402
from robots.core.ledger import bulk  # noqa: E402
from robots.core.ledger.database import open_ledger  # noqa: E402
from robots.core.payments.feedback import take_in_answers  # noqa: E402
from robots.demo.bank_answers import _camt054, _pain002  # noqa: E402

IBAN = "DK5000400440116243"
FIRST = date(2026, 11, 2)


def build(url: str, folder: Path, claims: int, batches: int, seed: int = 13) -> pd.DataFrame:
    """The month's ledger; returns its transfers (batch_id, end_to_end_id, amount_oere)."""
    rng = np.random.default_rng(seed)
    engine = open_ledger(url)
    ids = np.arange(1, claims + 1)
    batch = (ids - 1) * batches // claims
    person = rng.integers(0, claims // 3, claims)
    amount = rng.integers(10_000, 500_000, claims)
    days = [FIRST + timedelta(days=n) for n in range(batches)]
    runs = [f"RUN-{n:02d}" for n in range(batches)]
    batch_ids = [f"HT{d:%Y%m%d}-{n:04d}" for n, d in enumerate(days)]
    cpr = np.array(
        [f"{1 + p % 28:02d}{1 + p % 12:02d}{50 + p % 40:02d}{p % 10000:04d}" for p in person]
    )
    items = pd.DataFrame({"claim": ids, "batch": batch, "payee": cpr, "amount": amount})
    transfers = items.groupby(["batch", "payee"], as_index=False, sort=True).agg(
        amount=("amount", "sum"), claims=("claim", "count")
    )
    transfers["transfer_id"] = np.arange(1, len(transfers) + 1)
    transfers["batch_id"] = [batch_ids[b] for b in transfers["batch"]]
    transfers["end_to_end_id"] = [
        f"{batch_ids[b]}-{n:06d}" for n, b in enumerate(transfers["batch"])
    ]
    items = items.merge(transfers[["batch", "payee", "transfer_id"]], on=["batch", "payee"])
    with engine.begin() as connection:
        bulk.bulk_insert(
            connection=connection,
            table="runs",
            frame=pd.DataFrame(
                {
                    "id": runs,
                    "robot": "helbredstillaeg",
                    "night": [d - timedelta(days=1) for d in days],
                    "mode": "demo",
                    "status": "completed",
                    "started_at": [datetime(d.year, d.month, d.day, tzinfo=UTC) for d in days],
                }
            ),
        )
        bulk.bulk_insert(
            connection=connection,
            table="source_files",
            frame=pd.DataFrame(
                {
                    "sha256": [f"{n:064d}" for n in range(batches)],
                    "dataset": "health_claims",
                    "file_name": [f"c{n}.csv" for n in range(batches)],
                    "stored_path": "a",
                    "run_id": runs,
                    "status": "processed",
                    "rows_read": 0,
                    "rows_rejected": 0,
                }
            ),
        )
        bulk.bulk_insert(
            connection=connection,
            table="claims",
            frame=pd.DataFrame(
                {
                    "id": ids,
                    "idempotency_key": [f"helbredstillaeg:HC-{n:08d}" for n in ids],
                    "robot": "helbredstillaeg",
                    "claim_id": [f"HC-{n:08d}" for n in ids],
                    "run_id": [runs[b] for b in batch],
                    "source_file_id": batch + 1,
                    "source_line": ids,
                    "cpr": cpr,
                    "payee_kind": "cpr",
                    "payee_id": cpr,
                    "category": "medicin",
                    "counterparty": None,
                    "service_date": date(2026, 10, 15),
                    "basis_oere": amount,
                    "amount_oere": amount,
                    "rate_year": 2026,
                    "rate_provisional": False,
                    "rule_basis": "HT 85 %",
                    "fingerprint": [f"f{n}" for n in ids],
                    "decision": "pay",
                    "rule_ids": "",
                }
            ),
        )
        totals = transfers.groupby("batch")["amount"].sum()
        counts = transfers.groupby("batch")["transfer_id"].count()
        files = []
        for n, batch_id in enumerate(batch_ids):
            path = folder / "payments" / f"{batch_id}.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(  # the group header is all the reconciliation reads of it
                '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">'
                f"<CstmrCdtTrfInitn><GrpHdr><MsgId>{batch_id}</MsgId>"
                f"<NbOfTxs>{counts[n]}</NbOfTxs><CtrlSum>{totals[n] // 100}."
                f"{totals[n] % 100:02d}</CtrlSum></GrpHdr></CstmrCdtTrfInitn></Document>"
            )
            files.append(str(path))
        bulk.bulk_insert(
            connection=connection,
            table="payment_batches",
            frame=pd.DataFrame(
                {
                    "id": batch_ids,
                    "robot": "helbredstillaeg",
                    "run_id": runs,
                    "status": "released",
                    "created_at": [datetime(d.year, d.month, d.day, tzinfo=UTC) for d in days],
                    "execution_date": days,
                    "transfers": counts.to_numpy(),
                    "total_oere": totals.to_numpy(),
                    "payment_file": files,
                    "posting_file": "",
                }
            ),
        )
        bulk.bulk_insert(
            connection=connection,
            table="payment_transfers",
            frame=pd.DataFrame(
                {
                    "id": transfers["transfer_id"],
                    "batch_id": transfers["batch_id"],
                    "end_to_end_id": transfers["end_to_end_id"],
                    "payee_kind": "cpr",
                    "payee_id": transfers["payee"],
                    "amount_oere": transfers["amount"],
                    "claims": transfers["claims"],
                }
            ),
        )
        bulk.bulk_insert(
            connection=connection,
            table="payment_items",
            frame=pd.DataFrame(
                {
                    "claim_pk": items["claim"],
                    "attempt": 1,
                    "transfer_id": items["transfer_id"],
                    "batch_id": [batch_ids[b] for b in items["batch"]],
                    "amount_oere": items["amount"],
                }
            ).sort_values("claim_pk"),
        )
    engine.dispose()
    return transfers.rename(columns={"amount": "amount_oere"})


def write_answers(inbox: Path, transfers: pd.DataFrame, rejected_per_batch: int = 5) -> int:
    """One camt.054 per batch booking its transfers, and a pain.002 rejecting a few."""
    inbox.mkdir(parents=True, exist_ok=True)
    rejected = 0
    for n, (batch_id, of_batch) in enumerate(transfers.groupby("batch_id", sort=True)):
        refused = list(of_batch["end_to_end_id"].iloc[:rejected_per_batch])
        rejected += len(refused)
        (inbox / f"a_pain002_{batch_id}.xml").write_text(
            _pain002(f"STS-{n}", str(batch_id), refused), encoding="utf-8"
        )
        rest = of_batch[~of_batch["end_to_end_id"].isin(refused)]
        (inbox / f"b_camt054_{batch_id}.xml").write_text(
            _camt054(f"CAMT-{n}", IBAN, rest, FIRST + timedelta(days=n)), encoding="utf-8"
        )
    return rejected


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(url: str, folder: Path, claims: int, batches: int) -> tuple[int, int, float, float]:
    """The month's ledger and the bank's files, made in a child process so that its memory
    does not count in the peak measured for the stages (transfers, rejected, seconds)."""
    began = time.perf_counter()
    transfers = build(url, folder, claims, batches)
    built = time.perf_counter() - began
    began = time.perf_counter()
    rejected = write_answers(folder / "inbox" / "bank_answers", transfers)
    return len(transfers), rejected, built, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.postgres or f"sqlite:///{folder / 'ledger.sqlite'}"
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            transfers, rejected, built, written = child.submit(
                prepare, url, folder, args.claims, args.batches
            ).result()
        say(
            f"ledger: {args.claims:,} claims in {transfers:,} transfers, "
            f"{args.batches} batches ({built:.1f} s); answer files written ({written:.1f} s); "
            "both in a child process, not timed or measured below"
        )
        inbox = folder / "inbox" / "bank_answers"
        engine = open_ledger(url)
        stages = {}
        began = time.perf_counter()
        taken = take_in_answers(
            engine=engine,
            inbox=inbox,
            archive=folder / "archive",
            quarantine=folder / "q",
            debtor_iban=IBAN,
            postings=folder / "postings",
        )
        stages["read, match and append the answers"] = time.perf_counter() - began
        say(
            f"  booked {sum(t.booked_claims for t in taken):,} claims, returned "
            f"{sum(t.returned_claims for t in taken):,} ({rejected} transfers rejected), "
            f"unmatched lines {sum(t.unmatched for t in taken)}; peak {_peak_mib():,.0f} MiB"
        )
        began = time.perf_counter()
        made = export_reconciliation(engine, FIRST, FIRST + timedelta(days=29), folder / "outputs")
        stages["the month's reconciliation workbook"] = time.perf_counter() - began
        engine.dispose()
        for name, seconds in stages.items():
            say(f"{name:40s} {seconds:7.1f} s")
        say(
            f"{'in all':40s} {sum(stages.values()):7.1f} s; peak {_peak_mib():,.0f} MiB "
            f"(this process, from its start); workbook {made.path.stat().st_size:,} bytes"
        )
        for check in made.reconciliation.checks:
            if check.difference:
                say(
                    f"  named difference: {check.table} / {check.what}: {check.difference:,} "
                    f"{check.unit} ({len(check.items)} items)"
                )


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
