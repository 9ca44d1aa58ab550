"""Two revisions of the robots on the same nights, in one run: before and after a change.

Figures from different days or machines are not comparable (the machines are shared and
noisy), so this script times both revisions here and now, on byte-identical inputs, in
alternating order, and prints them side by side with the ratio. The other revision is
checked out as a git worktree beside the project (nothing of it is committed here).

    python bench/compare.py --base issue9-base --claims 1000000 --invoices 100000 --rounds 2

It also scores both revisions on two demo nights (the generator of the current revision,
so both read the same files): for each robot and night, the share of clean claim rows paid
straight through and the share of planted errors caught, from each run's outcome file.

    python bench/compare.py --base issue9-base --demo-only
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project root, for `bench`
    sys.path.insert(0, str(ROOT))

from bench import TAKEN_AT_ONCE  # noqa: E402  (after the path is set)

NIGHT = date(2026, 11, 23)
DEMO_NIGHTS = (date(2026, 11, 22), date(2026, 11, 23))


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _worktree(base: str) -> Path:
    """The base revision checked out beside the project (made once, reused)."""
    revision = subprocess.run(
        ["git", "rev-parse", "--short", base], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    target = Path(tempfile.gettempdir()) / f"robots-base-{revision}"
    if not (target / "robots").is_dir():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(target), revision],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return target


def _python(tree: Path, code: str, *args: str) -> str:
    """Run `code` with `tree`'s robots importable (this venv's packages), return stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: {done.stderr[-3000:]}")
    return done.stdout


_GENERATE = """
import sys
from datetime import date
from pathlib import Path
from robots.demo.generator import DemoSpec, generate_night
claims, invoices, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
spec = DemoSpec(night=date(2026, 11, 23), seed=1, pensioners=max(2_000, max(claims, 1) // 2),
                claims=max(claims, 1), formats="csv", invoices=invoices, xml_share=0.1,
                flex_jobs=0)
generate_night(folder, spec)
"""

_TIMED = """
import json, sys
from pathlib import Path
from bench.run import _timed_night
from robots.registry import ROBOTS
robot, size, folder = ROBOTS[sys.argv[1]], int(sys.argv[2]), Path(sys.argv[3])
print(json.dumps(_timed_night(robot, size, folder, 0.0)))
"""


def _inputs(claims: int, invoices: int, folder: Path) -> dict[str, Path]:
    """One night of N claims and one of M invoices, generated once by the current tree."""
    made = {}
    for robot, (c, i) in (("helbredstillaeg", (claims, 0)), ("laegeregninger", (100, invoices))):
        if (robot == "helbredstillaeg" and claims) or (robot == "laegeregninger" and invoices):
            target = folder / f"input-{robot}"
            _python(ROOT, _GENERATE, str(c), str(i), str(target))
            if robot == "laegeregninger":
                shutil.rmtree(target / "inbox" / "health_claims", ignore_errors=True)
            made[robot] = target
    return made


def _timed(tree: Path, robot: str, size: int, source: Path, work: Path) -> dict:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(source, work)
    timed = json.loads(_python(tree, _TIMED, robot, str(size), str(work)).splitlines()[-1])
    return {**timed, "what": night_digest(work)}


OUTCOME_FIELDS = ("file", "line", "claim_id", "outcome", "amount", "rule_ids")
"""What a night decided of each row: the outcome file's columns both revisions must agree
on (run ids and timings differ by nature)."""


def night_digest(data: Path) -> dict:
    """What the (last) night in `data` decided, in a form two revisions can be compared
    by: a hash of every outcome row's decision, the exceptions per rule, and the payments
    (batches' claims, transfers and øre)."""
    reports = sorted((data / "outputs" / "runs").glob("*/report.json"))
    report = json.loads(reports[-1].read_text(encoding="utf-8"))
    with Path(report["outcome_file"]).open(encoding="utf-8", newline="") as handle:
        rows = sorted("|".join(row[f] for f in OUTCOME_FIELDS) for row in csv.DictReader(handle))
    digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
    exceptions = {e["rule_id"]: e["count"] for e in report["exceptions_by_rule"]}
    payments = [(b["claims"], b["transfers"], b["total_oere"]) for b in report["batches"]]
    return {"rows": len(rows), "outcomes": digest, "exceptions": exceptions, "payments": payments}


def _print_same(robot: str, results: dict[str, list[dict]]) -> None:
    """Whether every run of both revisions decided the same (rows, exceptions, payments)."""
    seen = {json.dumps(r["what"], sort_keys=True) for runs in results.values() for r in runs}
    first = results["after"][0]["what"]
    if len(seen) == 1:
        _say(
            f"  same decisions in every run: {first['rows']:,} outcome rows (sha256 "
            f"{first['outcomes']}), {sum(first['exceptions'].values()):,} exceptions in "
            f"{len(first['exceptions'])} rules, payments {first['payments']}"
        )
        return
    _say(f"  DIFFERENT decisions for {robot}:")
    for name, runs in results.items():
        for run in runs:
            _say(f"    {name}: {json.dumps(run['what'], sort_keys=True)[:600]}")


def compare_speed(base: str, claims: int, invoices: int, rounds: int) -> None:
    """Both revisions on the same inputs, alternating, each night in a fresh process."""
    trees = {"before": _worktree(base), "after": ROOT}
    with tempfile.TemporaryDirectory(prefix="robots-compare-") as scratch:
        folder = Path(scratch)
        inputs = _inputs(claims, invoices, folder)
        for robot, source in inputs.items():
            size = claims if robot == "helbredstillaeg" else invoices
            results: dict[str, list[dict]] = {"before": [], "after": []}
            bare: list[float] = []
            for number in range(rounds):
                order = ("before", "after") if number % 2 == 0 else ("after", "before")
                for name in order:
                    results[name].append(
                        _timed(trees[name], robot, size, source, folder / f"work-{name}")
                    )
                if robot == "helbredstillaeg":
                    bare.append(_bare(source))
            _print_speed(robot, size, base, results)
            _print_same(robot, results)
            if bare:
                _print_bare(results, bare)


def _bare(source: Path) -> float:
    """The bare steps (bench/bare_steps.py) on the same input, in a fresh process."""
    code = (
        "import runpy, sys; sys.argv = sys.argv[1:]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    out = _python(ROOT, code, str(ROOT / "bench" / "bare_steps.py"), "--input", str(source))
    return float(json.loads(out.splitlines()[-1])["total"])


def _print_bare(results: dict[str, list[dict]], bare: list[float]) -> None:
    middle = statistics.median(bare)
    _say(f"  bare steps    median {middle:.2f} s (every run: {[round(b, 2) for b in bare]})")
    for name, runs in results.items():
        night = statistics.median(r["total_seconds"] for r in runs)
        _say(f"  {name:<6} night / bare steps = {night / middle:.2f} (goal: at most 2.5)")


def _print_speed(robot: str, size: int, base: str, results: dict[str, list[dict]]) -> None:
    best = {name: min(runs, key=lambda r: r["total_seconds"]) for name, runs in results.items()}
    _say(f"\n{robot}, {size:,} rows, best of {len(results['before'])} each")
    _say(f"  {'stage':<14}{'before s':>10}{'after s':>10}{'after/before':>14}")
    stages = list(best["after"]["stages"])
    for stage in stages:
        was = best["before"]["stages"].get(stage, {}).get("seconds", float("nan"))
        now = best["after"]["stages"][stage]["seconds"]
        _say(f"  {stage:<14}{was:>10.2f}{now:>10.2f}{now / was if was else float('nan'):>14.2f}")
    was, now = best["before"]["total_seconds"], best["after"]["total_seconds"]
    _say(f"  {'total':<14}{was:>10.2f}{now:>10.2f}{now / was:>14.2f}")
    _say(f"  peak MiB      {best['before']['peak_mib']:>10.0f}{best['after']['peak_mib']:>10.0f}")
    every = {name: [round(r["total_seconds"], 2) for r in runs] for name, runs in results.items()}
    middle = {name: statistics.median(times) for name, times in every.items()}
    _say(
        f"  median total  {middle['before']:>10.2f}{middle['after']:>10.2f}"
        f"{middle['after'] / middle['before']:>14.2f}"
    )
    _say(f"  (before = {base}; every run, s: before {every['before']}, after {every['after']})")


_DEMO_NIGHT = """
import sys
from datetime import date
from pathlib import Path
from robots.demo.generator import DemoSpec, generate_night
night, folder = date.fromisoformat(sys.argv[1]), Path(sys.argv[2])
previous = DemoSpec(night=date.fromisoformat(sys.argv[3])) if len(sys.argv) > 3 else None
generate_night(folder, DemoSpec(night=night), previous_night=previous)
"""


def compare_demo(base: str, drop: str | None = None) -> None:
    """Both revisions on the same two demo nights: straight-through and catch rate
    (`drop`: a file name pattern taken out of both nights' inboxes, and out of the answer
    key, to see the other situations without it)."""
    trees = {"before": _worktree(base), "after": ROOT}
    with tempfile.TemporaryDirectory(prefix="robots-demo-compare-") as scratch:
        folder = Path(scratch)
        first, second = DEMO_NIGHTS
        _python(ROOT, _DEMO_NIGHT, first.isoformat(), str(folder / "night1"))
        _python(ROOT, _DEMO_NIGHT, second.isoformat(), str(folder / "night2"), first.isoformat())
        unwanted = list(folder.glob(f"night*/inbox/*/{drop}")) if drop else []
        dropped = {path.name for path in unwanted}
        for path in unwanted:
            path.unlink()
        seen: dict[tuple[str, str, date], tuple[list[dict], dict[str, str]]] = {}
        for name, tree in trees.items():
            data = folder / f"data-{name}"
            for number, night in enumerate(DEMO_NIGHTS, start=1):
                shutil.copytree(
                    folder / f"night{number}" / "inbox", data / "inbox", dirs_exist_ok=True
                )
                _run_all(tree, data, night)
                for robot in ("helbredstillaeg", "laegeregninger"):
                    seen[(name, robot, night)] = _outcome_rows(data, robot, night)
        without = f", without {sorted(dropped)}" if dropped else ""
        _say(f"\nDemo nights {first} and {second} (default spec), the same files for both{without}")
        _say(f"  {'robot':<17}{'night':<12}{'':<8}{'clean paid':>22}{'caught':>20}")
        for robot, dataset in (
            ("helbredstillaeg", "health_claims"),
            ("laegeregninger", "doctor_invoices"),
        ):
            for number, night in enumerate(DEMO_NIGHTS, start=1):
                truth_file = folder / f"night{number}" / "ground_truth" / f"{night.isoformat()}.csv"
                with truth_file.open(encoding="utf-8", newline="") as handle:
                    truth = [
                        t
                        for t in csv.DictReader(handle)
                        if t["dataset"] == dataset and t["file"] not in dropped
                    ]
                places = {
                    place
                    for name in trees
                    for place, row in seen[(name, robot, night)][0].items()
                    if row["outcome"] != "already_processed"
                }
                for name in trees:
                    rows, status = seen[(name, robot, night)]
                    clean, caught = score(rows, status, truth, places)
                    _say(f"  {robot:<17}{night.isoformat():<12}{name:<8}{clean:>22}{caught:>20}")
                _say(f"  {'':<29}{_same_rows(seen, robot, night)}")


def _same_rows(seen: dict, robot: str, night: date) -> str:
    """Whether both revisions decided every row of the night alike (outcome, amount, rules)."""
    before, after = (seen[(name, robot, night)][0] for name in ("before", "after"))

    def decided(rows: dict, place: tuple) -> tuple:
        row = rows.get(place, {})
        return tuple(row.get(f) for f in ("claim_id", "outcome", "amount", "rule_ids"))

    differ = sorted(p for p in set(before) | set(after) if decided(before, p) != decided(after, p))
    if not differ:
        return f"same decision on all {len(after):,} rows"
    shown = "; ".join(f"{p}: {decided(before, p)} -> {decided(after, p)}" for p in differ[:3])
    return f"{len(differ)} rows decided differently, e.g. {shown}"


def _run_all(tree: Path, data: Path, night: date) -> None:
    done = subprocess.run(
        [
            sys.executable,
            *("-m", "robots.cli", "run", "all", "--data-dir", str(data)),
            *("--mode", "demo", "--date", night.isoformat()),
        ],
        cwd=tree,
        env={
            **os.environ,
            **TAKEN_AT_ONCE,
            "PYTHONPATH": str(tree),
            "ROBOTS_LOGS_DIR": str(data / "logs"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])


def _outcome_rows(data: Path, robot: str, night: date) -> tuple[dict, dict[str, str]]:
    """The night's outcome rows by (file, line), and each file's status, of its last run."""
    runs = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (data / "outputs" / "runs").glob("*/report.json")
    ]
    mine = [r for r in runs if r["robot"] == robot and r["night"] == night.isoformat()]
    if not mine:
        return {}, {}
    report = max(mine, key=lambda r: r["run_id"])
    with Path(report["outcome_file"]).open(encoding="utf-8", newline="") as handle:
        rows = {(r["file"].lstrip("'"), r["line"]): r for r in csv.DictReader(handle)}
    return rows, {f["file"]: f["status"] for f in report["files"]}


def score(
    rows: dict, status: dict[str, str], truth: list[dict[str, str]], places: set
) -> tuple[str, str]:
    """Clean rows paid / clean rows (every row either revision reported, planted ones out;
    a row one revision never read counts as not paid), planted rows caught / planted."""
    planted = {(t["file"], t["line"]) for t in truth if t["line"]}
    caught = 0
    for t in truth:
        if t["planted"] == "FILE-UNREADABLE":
            caught += status.get(t["file"]) == "quarantined"
        elif t["planted"] == "FILE-ALREADY-PROCESSED":
            caught += status.get(t["file"]) == "seen_before"
        else:
            row = rows.get((t["file"], t["line"]))
            caught += bool(row) and t["planted"] in row["rule_ids"].split(",")
    clean = places - planted
    paid = sum(1 for place in clean if rows.get(place, {}).get("outcome") == "paid")
    share = f"{paid / len(clean):.1%}" if clean else "-"
    caught_share = f"{caught / len(truth):.1%}" if truth else "-"
    return f"{paid}/{len(clean)} {share}", f"{caught}/{len(truth)} {caught_share}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, help="the revision before, e.g. a tag")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--demo-only", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--drop", help="demo: leave files matching this pattern out")
    args = parser.parse_args()
    if not args.speed_only:
        compare_demo(args.base, args.drop)
    if not args.demo_only:
        compare_speed(args.base, args.claims, args.invoices, args.rounds)
