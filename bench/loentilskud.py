"""Benchmark the loentilskud robot on a national night, end to end, per stage.

A national night: 200,000 employers' claims for a month's hours under 200,000 wage-subsidy
agreements (one claim per agreement), with the CPR and CVR extracts, fleksjobs and other
benefits, as CSV files in an inbox. The night of 6 December 2026 (`robots run loentilskud`)
is timed on them in a fresh process (SQLite ledger, demo mode: the 2026 rates are
provisional and a demo night pays them, pain.001 written and XSD-validated), and seconds
and peak memory are printed per stage, with the outcomes and the rules that fired beside
the faults planted:

* ~1 % of the claims wrong on purpose, in equal parts: claimed by another employer than
  the agreement's, under an agreement the job centre does not have, for a month wholly
  outside the agreement's dates, a second claim overlapping another under the same
  agreement, more hours than the agreed weekly hours allow;
* a few dead and emigrated persons and bankrupt employers (before, during or after the
  month claimed), fleksjobs and other benefits of which a quarter overlap a claim;
* a few rows that are data errors (a wrong CVR check digit, a period ending before it
  begins).

    python bench/loentilskud.py [--claims 200000 --agreements 200000]

The target (issue text): at most 8 s and 1 GiB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
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

from bench.fleksloentilskud import _cprs, _cvrs  # noqa: E402

NIGHT = date(2026, 12, 6)
"""Every month claimed has ended: the claims suite refuses a period ending after the night."""
FIRST_MONTH = np.datetime64("2026-01", "M")
LAST_CLAIM_MONTH = 10
"""November 2026 (months counted from January, 0)."""
TARGET_GROUPS = ("dagpenge", "kontanthjaelp", "uddannelseshjaelp", "ressourceforloeb")
WEEKLY_HOURS = np.array([3700, 3700, 3700, 3700, 3050, 3000, 2500, 2000, 1525, 1000])
"""Agreed hours a week in hundredths (at most full time, 37)."""
BENEFITS = ("sygedagpenge", "kontanthjaelp", "dagpenge", "ledighedsydelse")
PLANTED = (
    "LT-OTHER-EMPLOYER",
    "LT-NO-AGREEMENT",
    "LT-OUTSIDE-AGREEMENT",
    "LT-OVERLAP",
    "LT-HOURS-ABOVE-AGREED",
)


def _days(months: np.ndarray) -> np.ndarray:
    """The first day of each month (0 = January 2026)."""
    return (FIRST_MONTH + months).astype("datetime64[D]")


def _last_days(months: np.ndarray) -> np.ndarray:
    return (FIRST_MONTH + months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")


def _text(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days, unit="D")


def _some_days(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` days in 2026 up to November, as text."""
    first = np.datetime64("2026-01-01")
    return _text(first + rng.integers(0, 334, count).astype("timedelta64[D]"))


def _hours_text(hundredths: np.ndarray) -> np.ndarray:
    """Hundredths of an hour as the `;` files write them: `37`, `30,5`, `151,25`."""
    whole = pd.Series(hundredths // 100).astype(str)
    part = pd.Series(hundredths % 100).astype(str).str.zfill(2).str.rstrip("0")
    return np.where(hundredths % 100 == 0, whole, whole + "," + part)


def generate(folder: Path, claims: int, agreements: int, seed: int = 12) -> dict[str, int]:
    """The registers and claims of a national night as CSV files in folder/inbox/; returns
    what was planted, by the rule that should find it."""
    rng = np.random.default_rng(seed)
    inbox = folder / "inbox"
    cprs = _cprs(rng, agreements + agreements // 50 + 100)[:agreements]
    agreements = len(cprs)
    claims = min(claims, agreements)
    employers = _cvrs(1_000_000, max(agreements // 5, 10))

    def write(dataset: str, frame: pd.DataFrame) -> None:
        (inbox / dataset).mkdir(parents=True, exist_ok=True)
        frame.to_csv(inbox / dataset / f"{dataset}.csv", index=False, sep=";")

    # The CPR extract: the agreements' persons, a few dead or emigrated during 2026.
    status = np.full(agreements, "active", dtype=object)
    gone = rng.choice(agreements, max(agreements // 500, 2), replace=False)
    status[gone[: len(gone) // 2]] = "dead"
    status[gone[len(gone) // 2 :]] = "emigrated"
    status_date = np.full(agreements, "", dtype=object)
    status_date[gone] = _some_days(rng, len(gone))
    write(
        "citizens",
        pd.DataFrame(
            {
                "cpr": cprs,
                "name": "Borger",
                "status": status,
                "status_date": status_date,
                "municipality_code": 173,
                "civil_status": "single",
            }
        ),
    )
    # The CVR extract: the employers, ~70 % private, a few bankrupt during 2026.
    firms = len(employers)
    bankrupt = rng.choice(firms, max(firms // 500, 1), replace=False)
    company_status = np.full(firms, "active", dtype=object)
    company_status[bankrupt] = "bankrupt"
    company_date = np.full(firms, "", dtype=object)
    company_date[bankrupt] = _some_days(rng, len(bankrupt))
    write(
        "companies",
        pd.DataFrame(
            {
                "cvr": employers,
                "name": "Firma",
                "status": company_status,
                "status_date": company_date,
                "sector": rng.choice(["private", "public"], firms, p=[0.7, 0.3]),
            }
        ),
    )
    # Agreements of whole months, 1 to 4 of them within 2026: within every duration limit.
    start_month = rng.integers(0, LAST_CLAIM_MONTH + 1, agreements)
    end_month = np.minimum(start_month + rng.integers(0, 4, agreements), 11)
    agreement_ids = np.char.add("AGR", np.char.zfill(np.arange(agreements).astype(str), 7))
    employer = employers[rng.integers(0, firms, agreements)]
    weekly = rng.choice(WEEKLY_HOURS, agreements)
    write(
        "subsidy_agreements",
        pd.DataFrame(
            {
                "agreement_id": agreement_ids,
                "cpr": cprs,
                "employer_cvr": employer,
                "target_group": rng.choice(TARGET_GROUPS, agreements, p=[0.4, 0.3, 0.15, 0.15]),
                "start_date": _text(_days(start_month)),
                "end_date": _text(_last_days(end_month)),
                "weekly_hours": _hours_text(weekly),
            }
        ),
    )
    # One claim per agreement (the first `claims`), for a month inside it up to November.
    top = np.minimum(end_month[:claims], LAST_CLAIM_MONTH)
    lo = start_month[:claims]
    month = lo + (rng.random(claims) * (top - lo + 1)).astype(np.int64)
    first, last = _days(month), _last_days(month)
    days = (last - first).astype(np.int64) + 1
    cap = weekly[:claims] * days // 7
    hours = (cap * rng.uniform(0.5, 1.0, claims)).astype(np.int64) // 25 * 25
    frame = pd.DataFrame(
        {
            "claim_id": np.char.add("K", np.char.zfill(np.arange(claims).astype(str), 7)),
            "agreement_id": agreement_ids[:claims],
            "employer_cvr": employer[:claims],
            "period_start": _text(first),
            "period_end": _text(last),
        }
    )
    share = max(claims // 500, 1)
    data_errors = max(claims // 5000, 1)
    order = rng.permutation(claims)
    kinds = {rule: order[n * share : (n + 1) * share] for n, rule in enumerate(PLANTED)}
    at = len(PLANTED) * share
    bad_cvr = order[at : at + data_errors]
    reversed_period = order[at + data_errors : at + 2 * data_errors]
    clean = order[at + 2 * data_errors :]
    # Another employer's CVR (a real one, in the extract).
    rows = kinds["LT-OTHER-EMPLOYER"]
    other = rng.integers(1, firms, len(rows))
    own = pd.Index(employers).get_indexer(frame["employer_cvr"].to_numpy()[rows])
    frame.loc[rows, "employer_cvr"] = employers[(own + other) % firms]
    # An agreement the job centre does not have.
    rows = kinds["LT-NO-AGREEMENT"]
    frame.loc[rows, "agreement_id"] = np.char.add(
        "UNKNOWN", frame["agreement_id"].to_numpy()[rows].astype(str)
    )
    # A whole month outside the agreement: the month after its end, else the month before.
    rows = kinds["LT-OUTSIDE-AGREEMENT"]
    outside = np.where(
        end_month[rows] < LAST_CLAIM_MONTH, end_month[rows] + 1, start_month[rows] - 1
    )
    frame.loc[rows, "period_start"] = _text(_days(outside))
    frame.loc[rows, "period_end"] = _text(_last_days(outside))
    # A second claim under another claim's agreement, from the 15th to the month's end.
    rows = kinds["LT-OVERLAP"]
    twins = clean[: len(rows)]
    clean = clean[len(rows) :]
    for column in ("agreement_id", "employer_cvr", "period_end"):
        frame.loc[rows, column] = frame[column].to_numpy()[twins]
    frame.loc[rows, "period_start"] = _text(first[twins] + np.timedelta64(14, "D"))
    hours[rows] = hours[twins] // 2 // 25 * 25
    # More hours than the agreed weekly hours allow for the month.
    rows = kinds["LT-HOURS-ABOVE-AGREED"]
    hours[rows] = cap[rows] + rng.integers(1, 80, len(rows)) * 25
    # Data errors: a CVR with a wrong check digit, a period ending before it begins.
    text = frame["employer_cvr"].to_numpy()[bad_cvr].astype(str)
    wrong = [c[:7] + str((int(c[7]) + 1) % 10) for c in text]
    frame.loc[bad_cvr, "employer_cvr"] = wrong
    begins = frame["period_start"].to_numpy()[reversed_period]
    frame.loc[reversed_period, "period_start"] = frame["period_end"].to_numpy()[reversed_period]
    frame.loc[reversed_period, "period_end"] = begins
    frame["hours"] = _hours_text(hours)
    write("subsidy_claims", frame)
    # Fleksjobs and other benefits of the agreements' persons: a quarter during a claim's
    # month, the rest ended in 2025.
    flex = max(claims // 100, 8)
    who = rng.choice(clean, flex, replace=False)
    during = np.arange(flex) < flex // 4
    write(
        "flex_jobs",
        pd.DataFrame(
            {
                "job_id": np.char.add("FJ", np.char.zfill(np.arange(flex).astype(str), 7)),
                "cpr": cprs[who],
                "employer_cvr": employers[rng.integers(0, firms, flex)],
                "start_date": np.where(
                    during, _text(first[who] + np.timedelta64(9, "D")), "2024-03-01"
                ),
                "end_date": np.where(during, "", "2025-12-31"),
                "weekly_hours": "15",
                "benefit_start_date": "2023-06-01",
            }
        ),
    )
    benefits = max(claims * 3 // 200, 8)
    who = rng.choice(np.setdiff1d(clean, who), benefits, replace=False)
    paid_during = np.arange(benefits) < benefits // 4
    begins_on = np.where(
        paid_during, first[who] + np.timedelta64(3, "D"), np.datetime64("2025-05-04")
    )
    write(
        "other_benefits",
        pd.DataFrame(
            {
                "cpr": cprs[who],
                "benefit": rng.choice(BENEFITS, benefits),
                "period_start": _text(begins_on),
                "period_end": _text(begins_on + np.timedelta64(13, "D")),
                "amount": "5000,00",
            }
        ),
    )
    # Delivered in the evening: the inbox leaves a file changed in the last
    # `[inbox] settle_seconds` for the next run, as one still being copied in.
    evening = time.time() - 3600
    for path in inbox.rglob("*.csv"):
        os.utime(path, (evening, evening))
    planted = {rule: len(rows) for rule, rows in kinds.items()}
    planted["LT-IN-FLEKSJOB"] = int(during.sum())
    planted["LT-OTHER-BENEFIT"] = int(paid_during.sum())
    planted["DQ-SUB-EMPLOYER-CVR"] = len(bad_cvr)
    planted["DQ-SUB-PERIOD"] = len(reversed_period)
    planted["persons dead or emigrated"] = len(gone)
    planted["employers bankrupt"] = len(bankrupt)
    planted["claims"] = claims
    planted["agreements"] = agreements
    return planted


def _report(folder: Path) -> dict[str, object]:
    """What the night's report.json says about rules and payment files."""
    found = next((folder / "outputs" / "runs").glob("*/report.json"))
    data = json.loads(found.read_text(encoding="utf-8"))
    return {
        "rules": {r["rule_id"]: r["count"] for r in data["exceptions_by_rule"]},
        "batches": len(data["batches"]),
        "transfers": sum(b["transfers"] for b in data["batches"]),
        "payment_files": [Path(b["payment_file"]).name for b in data["batches"]],
    }


CONFIRMED_2026 = """
[loentilskud.private_per_hour]
value = "86.16"
source = "benchmark only: the 2023 figure as if finance had confirmed it for 2026"

[loentilskud.public_per_hour]
value = "125.13"
source = "benchmark only: the 2023 figure as if finance had confirmed it for 2026"
"""


def _confirm_rates(folder: Path) -> None:
    """A copy of config/ in which finance has confirmed 2026's hourly rates, used by this
    process: a production night, nothing provisional, as a year with its rates entered."""
    import shutil

    config = folder / "config"
    shutil.copytree(ROOT / "config", config)
    with (config / "rates" / "2026.toml").open("a", encoding="utf-8") as rates:
        rates.write(CONFIRMED_2026)
    os.environ["ROBOTS_CONFIG_DIR"] = str(config)


def _night(claims: int, agreements: int, confirmed: bool) -> dict[str, object]:
    """In a fresh process: generate, then one timed night of the robot."""
    import bench.run as run
    from bench.run import _timed_night
    from robots.loentilskud.robot import ROBOT

    with tempfile.TemporaryDirectory(prefix="bench-lt-") as scratch:
        folder = Path(scratch)
        if confirmed:
            _confirm_rates(folder)
        started = time.perf_counter()
        planted = generate(folder / "data", claims, agreements)
        generated = time.perf_counter() - started
        run.NIGHT = NIGHT
        mode = "production" if confirmed else "demo"
        result = _timed_night(ROBOT, planted["claims"], folder / "data", generated, mode=mode)
        result["planted"] = planted
        result.update(_report(folder / "data"))
        return result


def _in_fresh_process_lt(claims: int, agreements: int, confirmed: bool) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--inner",
            "--claims",
            str(claims),
            "--agreements",
            str(agreements),
            *(["--confirmed-rates"] if confirmed else []),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _print_catch(result: dict[str, object]) -> None:
    """The faults planted beside the rules that found them."""
    planted: dict[str, int] = result["planted"]  # type: ignore[assignment]
    rules: dict[str, int] = result["rules"]  # type: ignore[assignment]
    print(f"  {'rule':<28}{'planted':>9}{'found':>9}")  # noqa: T201
    for rule in sorted(set(rules) | {r for r in planted if r.startswith(("LT-", "DQ-"))}):
        mark = planted.get(rule, "")
        print(f"  {rule:<28}{mark!s:>9}{rules.get(rule, 0):>9}")  # noqa: T201
    print(  # noqa: T201
        f"  registers: {planted['persons dead or emigrated']} persons dead or emigrated, "
        f"{planted['employers bankrupt']} employers bankrupt (before, during or after the "
        "month claimed)"
    )
    print(  # noqa: T201
        f"  paid in {result['transfers']:,} transfers, {result['batches']} pain.001 file(s) "
        "written and XSD-validated"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--agreements", type=int, default=200_000)
    parser.add_argument(
        "--confirmed-rates",
        action="store_true",
        help="a production night with 2026's rates confirmed (default: demo mode, provisional)",
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.claims > args.agreements:
        parser.error("--claims is at most --agreements: one claim per agreement")
    if args.inner:
        print(json.dumps(_night(args.claims, args.agreements, args.confirmed_rates)))  # noqa: T201
        return
    from bench.run import _print_night

    result = _in_fresh_process_lt(args.claims, args.agreements, args.confirmed_rates)
    claims = int(result["size"])  # type: ignore[call-overload]
    print(  # noqa: T201
        f"loentilskud: {claims:,} claims against {args.agreements:,} agreements, night {NIGHT}, "
        f"{'production, rates confirmed' if args.confirmed_rates else 'demo mode'}, "
        f"{os.cpu_count()} cores"
    )
    _print_night(claims, "claims", result)
    _print_catch(result)


if __name__ == "__main__":
    main()
