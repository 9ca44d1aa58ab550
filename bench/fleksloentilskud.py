"""Benchmark the fleksloentilskud robot on a national month, end to end, per stage.

A national month: 100,000 fleksjobs and 1,000,000 eIndkomst rows of one wage month
(November: wages from the job's employer and from second employers, pensions and other
income), with the CPR and CVR extracts and other benefits, as CSV files in an inbox. The
run of the month December (`robots run fleksloentilskud --month 2026-12`) is timed on
them in a fresh process (SQLite ledger, pain.001
written and XSD-validated, postings with refusion), and seconds and peak memory are printed
per stage, beside a helbredstillaeg night of the same number of claims when asked.

    python bench/fleksloentilskud.py [--jobs 100000 --incomes 1000000] [--with-helbredstillaeg]

The target (issue 11): at most 15 s and 1.5 GiB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NIGHT = date(2026, 12, 10)
"""November's wage is complete: subsidy months September to December are due."""
WAGE_MONTH = "2026-11"
MONTH = "2026-12"
CVR_WEIGHTS = np.array([2, 7, 6, 5, 4, 3, 2])


def _cprs(rng: np.random.Generator, count: int) -> np.ndarray:
    """Distinct CPR numbers with real birth dates (1940-1999)."""
    days = rng.choice(np.arange(np.datetime64("1940-01-01"), np.datetime64("1999-12-31")), count)
    stamps = pd.to_datetime(days)
    # A serial from 0000 to 3999: born in the 1900s whatever the year (the 7th digit).
    serial = rng.integers(0, 4_000, count)
    text = stamps.strftime("%d%m%y").to_numpy().astype(str)
    cprs = np.char.add(text, np.char.zfill(serial.astype(str), 4))
    return pd.unique(cprs)[:count]


def _cvrs(start: int, count: int) -> np.ndarray:
    """Valid CVR numbers (modulus 11) from `start` on."""
    found: list[str] = []
    base = start
    while len(found) < count:
        digits = np.array([int(c) for c in f"{base:07d}"])
        check = (-int(digits @ CVR_WEIGHTS)) % 11
        if check < 10:
            found.append(f"{base:07d}{check}")
        base += 1
    return np.array(found)


def generate(folder: Path, jobs: int, incomes: int, seed: int = 11) -> None:
    """The registers of a national month as CSV files in folder/inbox/."""
    rng = np.random.default_rng(seed)
    inbox = folder / "inbox"
    cprs = _cprs(rng, jobs)
    jobs = len(cprs)
    employers = _cvrs(1_000_000, max(jobs // 5, 10))
    payers = _cvrs(3_000_000, 2_000)

    def write(dataset: str, frame: pd.DataFrame) -> None:
        (inbox / dataset).mkdir(parents=True, exist_ok=True)
        frame.to_csv(inbox / dataset / f"{dataset}.csv", index=False, sep=";")

    write(
        "citizens",
        pd.DataFrame(
            {
                "cpr": cprs,
                "name": "Borger",
                "status": "active",
                "status_date": "",
                "municipality_code": 173,
                "civil_status": "single",
            }
        ),
    )
    all_cvrs = np.concatenate([employers, payers])
    write(
        "companies",
        pd.DataFrame(
            {
                "cvr": all_cvrs,
                "name": "Firma",
                "status": "active",
                "status_date": "",
                "sector": "private",
            }
        ),
    )
    employer = employers[rng.integers(0, len(employers), jobs)]
    hours = rng.integers(8, 30, jobs)
    write(
        "flex_jobs",
        pd.DataFrame(
            {
                "job_id": [f"FJ{n:07d}" for n in range(jobs)],
                "cpr": cprs,
                "employer_cvr": employer,
                "start_date": "2024-03-01",
                "end_date": "",
                "weekly_hours": hours,
                "benefit_start_date": "2023-06-01",
            }
        ),
    )
    # One wage row per job from its employer; the rest of the rows are second payers'
    # wages, pensions and other income of the same month.
    base = pd.DataFrame(
        {"cpr": cprs, "payer_cvr": employer, "period": WAGE_MONTH, "income_type": "wage"}
    )
    base["hours"] = hours * 52 // 12
    rest = max(incomes - len(base), 0)
    at = rng.integers(0, jobs, rest)
    # A few second jobs' wages (held for the control group), the rest pensions and other.
    kinds = rng.choice(["pension", "other", "wage"], rest, p=[0.6, 0.39, 0.01])
    extra = pd.DataFrame(
        {
            "cpr": cprs[at],
            "payer_cvr": payers[rng.integers(0, len(payers), rest)],
            "period": WAGE_MONTH,
            "income_type": kinds,
            "hours": np.where(kinds == "wage", rng.integers(1, 20, rest), 0),
        }
    )
    rows = pd.concat([base, extra], ignore_index=True)
    rows = rows.drop_duplicates(["cpr", "period", "payer_cvr", "income_type"])
    oere = rng.integers(300_000, 2_500_000, len(rows))
    rows["amount"] = [f"{o // 100}.{o % 100:02d}" for o in oere]
    rows["hours"] = rows["hours"].where(rows["income_type"] == "wage", "").astype(str)
    (inbox / "incomes").mkdir(parents=True, exist_ok=True)
    rows[["cpr", "payer_cvr", "period", "income_type", "amount", "hours"]].to_csv(
        inbox / "incomes" / "eindkomst.csv", index=False, sep=","
    )
    benefit = rng.choice(jobs, max(jobs // 100, 1), replace=False)
    write(
        "other_benefits",
        pd.DataFrame(
            {
                "cpr": cprs[benefit],
                "benefit": "sygedagpenge",
                "period_start": "2026-12-01",
                "period_end": "2026-12-14",
                "amount": "5000,00",
            }
        ),
    )


def _night(jobs: int, incomes: int) -> dict[str, object]:
    """In a fresh process: generate, then one timed night of the robot."""
    from bench.run import _timed_night
    from robots.fleksloentilskud.robot import ROBOT

    with tempfile.TemporaryDirectory(prefix="bench-fl-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        generate(folder, jobs, incomes)
        generated = time.perf_counter() - started
        import bench.run as run

        run.NIGHT = NIGHT
        return _timed_night(ROBOT, jobs, folder, generated, period=MONTH)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--incomes", type=int, default=1_000_000)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--with-helbredstillaeg", action="store_true")
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(_night(args.jobs, args.incomes)))  # noqa: T201
        return
    from bench.run import _in_fresh_process, _print_night

    result = _in_fresh_process_fl(args.jobs, args.incomes)
    print(  # noqa: T201
        f"fleksloentilskud: {args.jobs:,} fleksjobs, {args.incomes:,} eIndkomst rows, night {NIGHT}"
    )
    _print_night(args.jobs, "jobs", result)
    if args.with_helbredstillaeg:
        ht = _in_fresh_process(["--one", str(args.jobs)])
        _print_night(args.jobs, "claims", ht)


def _in_fresh_process_fl(jobs: int, incomes: int) -> dict[str, object]:
    import os
    import subprocess

    done = subprocess.run(
        [sys.executable, __file__, "--inner", "--jobs", str(jobs), "--incomes", str(incomes)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
