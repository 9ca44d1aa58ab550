"""Benchmark the control group's workbench on a large ledger: 1,000,000 claims of which
100,000 are held (open cases), 300,000 transfers, one exception with evidence per case.

Timed through the real app (Flask's test client, logged in as the control group, so the
time includes the session, the role check, the queries and the template), each page
several times and the median printed:

- the queue's first page, a filtered page (a rule, an amount, days waiting), a case page;
- the Excel export of the whole open queue (100,000 rows);
- the effect report for the year (page and XLSX).

    python bench/workbench.py [--claims 1000000 --cases 100000] [--postgres URL]

The target (issue 12): each page well under half a second on 2 cores. The ledger is made
by bulk inserts, not by running nights (a night of a million claims is benchmarked in
bench/run.py); its rows have the shape the nights write.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from robots.core.ledger import bulk, cases, staff  # noqa: E402
from robots.core.ledger.database import open_ledger  # noqa: E402
from robots.core.settings import Settings  # noqa: E402
from robots.review.app import create_app  # noqa: E402

PASSWORD = "benchmark-kodeord"
FILTERED = "/queue?rule=HT-DEAD&min_kr=1000&max_kr=40000&min_days=30"
RULES = ["HT-HIGH-AMOUNT", "HT-DEAD", "HT-EMIGRATED", "HT-MISSING-PERSON", "HT-STALE"]


def build_ledger(url: str, claims: int, held: int, seed: int = 12) -> None:
    """A ledger of `claims` claims, `held` of them held with one rule each, as nights
    would have left it (a case per held claim opened by one INSERT ... SELECT)."""
    rng = np.random.default_rng(seed)
    engine = open_ledger(url)
    started = datetime(2026, 1, 5, 22, tzinfo=UTC)
    runs = 10
    with engine.begin() as connection:
        bulk.bulk_insert(
            connection=connection,
            table="runs",
            frame=pd.DataFrame(
                {
                    "id": [f"BENCH-{n}" for n in range(runs)],
                    "robot": "helbredstillaeg",
                    "night": [date(2026, 1, 6) + timedelta(days=30 * n) for n in range(runs)],
                    "mode": "demo",
                    "status": "completed",
                    "started_at": [started + timedelta(days=30 * n) for n in range(runs)],
                }
            ),
        )
        bulk.bulk_insert(
            connection=connection,
            table="source_files",
            frame=pd.DataFrame(
                {
                    "sha256": [f"{n:064d}" for n in range(runs)],
                    "dataset": "health_claims",
                    "file_name": [f"claims_{n}.csv" for n in range(runs)],
                    "stored_path": "archive",
                    "run_id": [f"BENCH-{n}" for n in range(runs)],
                    "status": "processed",
                    "rows_read": claims // runs,
                    "rows_rejected": 0,
                }
            ),
        )
        ids = np.arange(1, claims + 1)
        run = (ids - 1) * runs // claims
        people = rng.integers(0, claims // 4, claims)
        cpr = pd.Series(
            [f"{1 + p % 28:02d}{1 + p % 12:02d}{50 + p % 40:02d}{p % 10000:04d}" for p in people]
        )
        hold = np.zeros(claims, dtype=bool)
        hold[rng.choice(claims, held, replace=False)] = True
        amount = rng.integers(10_000, 5_000_000, claims)
        rule = np.where(hold, np.array(RULES)[rng.integers(0, len(RULES), claims)], "")
        bulk.bulk_insert(
            connection=connection,
            table="claims",
            frame=pd.DataFrame(
                {
                    "id": ids,
                    "idempotency_key": [f"helbredstillaeg:HC-{n:08d}" for n in ids],
                    "robot": "helbredstillaeg",
                    "claim_id": [f"HC-{n:08d}" for n in ids],
                    "run_id": [f"BENCH-{r}" for r in run],
                    "source_file_id": run + 1,
                    "source_line": ids,
                    "cpr": cpr,
                    "payee_kind": "cpr",
                    "payee_id": cpr,
                    "category": "tandprotese",
                    "counterparty": None,
                    "service_date": date(2026, 1, 2),
                    "basis_oere": amount,
                    "amount_oere": amount,
                    "rate_year": 2026,
                    "rate_provisional": False,
                    "rule_basis": "HT-AMOUNT 85 %",
                    "fingerprint": [f"f{n}" for n in ids],
                    "decision": np.where(hold, "hold", "pay"),
                    "rule_ids": rule,
                }
            ),
        )
        at = np.flatnonzero(hold)
        bulk.bulk_insert(
            connection=connection,
            table="exceptions",
            frame=pd.DataFrame(
                {
                    "run_id": [f"BENCH-{r}" for r in run[at]],
                    "robot": "helbredstillaeg",
                    "claim_pk": ids[at],
                    "claim_ref": [f"HC-{n:08d}" for n in ids[at]],
                    "source_file_id": run[at] + 1,
                    "source_line": ids[at],
                    "rule_id": rule[at],
                    "kind": "suspected_error",
                    "severity": "hold",
                    "message": "citizen share far above the median",
                    "status": "open",
                    "evidence": [
                        f'{{"rule": "{r}", "compared": {{"citizen_share": {a}}}}}'
                        for r, a in zip(rule[at], amount[at], strict=True)
                    ],
                }
            ),
        )
        for n in range(runs):
            cases.open_cases_of_run(
                connection=connection,
                run_id=f"BENCH-{n}",
                robot="helbredstillaeg",
                at=started + timedelta(days=30 * n),
            )
        _payments(connection, rng, ids[~hold], cpr.to_numpy()[~hold], amount[~hold])
        staff.add_staff(
            connection=connection,
            name="kontrol.bench",
            role="control_group",
            password=PASSWORD,
            by="bench",
        )
    engine.dispose()


def _payments(connection, rng, ids, payees, amounts) -> None:  # type: ignore[no-untyped-def]
    """300,000 transfers in ten batches (one per payee per batch), with their items."""
    batches = 10
    bulk.bulk_insert(
        connection=connection,
        table="payment_batches",
        frame=pd.DataFrame(
            {
                "id": [f"B{n}" for n in range(batches)],
                "robot": "helbredstillaeg",
                "run_id": [f"BENCH-{n}" for n in range(batches)],
                "status": "released",
                "created_at": datetime(2026, 1, 6, tzinfo=UTC),
                "execution_date": [
                    date(2026, 1, 7) + timedelta(days=30 * n) for n in range(batches)
                ],
                "transfers": 0,
                "total_oere": 0,
            }
        ),
    )
    take = min(300_000, len(ids))
    frame = pd.DataFrame(
        {
            "claim": ids[:take],
            "payee": payees[:take],
            "amount": amounts[:take],
            "batch": (np.arange(take) * batches // take),
        }
    ).drop_duplicates(["batch", "payee"])
    frame["transfer"] = np.arange(1, len(frame) + 1)
    bulk.bulk_insert(
        connection=connection,
        table="payment_transfers",
        frame=pd.DataFrame(
            {
                "id": frame["transfer"],
                "batch_id": "B" + frame["batch"].astype(str),
                "end_to_end_id": "E2E-" + frame["transfer"].astype(str),
                "payee_kind": "cpr",
                "payee_id": frame["payee"],
                "amount_oere": frame["amount"],
                "claims": 1,
            }
        ),
    )
    bulk.bulk_insert(
        connection=connection,
        table="payment_items",
        frame=pd.DataFrame(
            {
                "claim_pk": frame["claim"],
                "attempt": 1,
                "transfer_id": frame["transfer"],
                "batch_id": "B" + frame["batch"].astype(str),
                "amount_oere": frame["amount"],
            }
        ).sort_values("claim_pk"),
    )


def _median(fetch: Callable[[], object], rounds: int) -> tuple[float, object]:
    seconds, last = [], None
    for _ in range(rounds):
        began = time.perf_counter()
        last = fetch()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL to build the ledger in instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.postgres or f"sqlite:///{folder / 'ledger.sqlite'}"
        began = time.perf_counter()
        build_ledger(url, args.claims, args.cases)
        print(  # noqa: T201
            f"ledger: {args.claims:,} claims, {args.cases:,} open cases, built in "
            f"{time.perf_counter() - began:.1f} s ({url.split(':')[0]})"
        )
        settings = Settings(data_dir=folder, database_url=args.postgres, mode="demo")
        app = create_app(settings)
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post(
            "/login",
            data={"name": "kontrol.bench", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        first = client.get("/queue")
        case_id = re.search(r"/cases/(\d+)", first.text)
        assert case_id is not None, first.text[:400]
        pages = {
            "queue, first page": "/queue",
            "queue, filtered (rule, amount, days)": FILTERED,
            "queue, page 100": "/queue?page=100",
            "case page": f"/cases/{case_id.group(1)}",
            "effect report, the year (page)": "/effect?from=2026-01-01&to=2026-12-31",
            "effect report, the year (XLSX)": "/effect.xlsx?from=2026-01-01&to=2026-12-31",
        }
        if any(r.endpoint == "queue.workbook" for r in app.url_map.iter_rules()):
            pages["queue as XLSX (every open case)"] = "/queue.xlsx"
        for name, path in pages.items():
            seconds, response = _median(lambda p=path: client.get(p), args.rounds)
            status = getattr(response, "status_code", "?")
            size = len(getattr(response, "data", b""))
            print(  # noqa: T201
                f"{name:40s} {seconds * 1000:8.0f} ms  (HTTP {status}, {size:,} bytes)"
            )


if __name__ == "__main__":
    main()
