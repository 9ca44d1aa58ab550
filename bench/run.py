"""Benchmark the nightly pipeline and the usual RPA way, and print the figures.

For each size N: generate N demo claims (CSV, ~1 % planted errors of every kind), run the
real helbredstillaeg night on them (SQLite ledger, pain.001 written and XSD-validated) in
a fresh process, and print seconds, claims per second and peak memory (RSS of the process
and its workers, sampled every 10 ms) per stage and in total. Then the same decisions made
the usual RPA way, one robocorp work item per claim, at the sizes where that finishes, and
the ratio.

    python bench/run.py --sizes 10000,100000,1000000 --rpa-sizes 1000,10000

Doctors' invoices (the laegeregninger robot) the same way, a share of them as OIOUBL XML
documents (one file each, parsed safely with lxml), printing invoices per second:

    python bench/run.py --sizes "" --rpa-sizes "" --invoice-sizes 10000,100000 --xml-share 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project root, for `bench`
    sys.path.insert(0, str(ROOT))

from bench import TAKEN_AT_ONCE  # noqa: E402  (after the path is set)

NIGHT = date(2026, 11, 23)


def _pipeline_once(size: int, workdir: Path) -> dict[str, object]:
    """Runs inside a fresh process: generate, then one timed night."""
    from robots.demo.generator import DemoSpec, generate_night
    from robots.helbredstillaeg.robot import ROBOT

    started = time.perf_counter()
    spec = DemoSpec(
        night=NIGHT,
        seed=1,
        pensioners=max(2_000, size // 2),
        claims=size,
        formats="csv",
        invoices=0,
        flex_jobs=0,
    )
    generate_night(workdir, spec)
    generated = time.perf_counter() - started
    return _timed_night(ROBOT, size, workdir, generated)


def _invoices_once(size: int, workdir: Path, xml_share: float) -> dict[str, object]:
    """Runs inside a fresh process: N doctors' invoice lines, a share of them as OIOUBL."""
    from robots.demo.generator import DemoSpec, generate_night
    from robots.laegeregninger.robot import ROBOT as LAEGEREGNINGER

    started = time.perf_counter()
    spec = DemoSpec(
        night=NIGHT,
        seed=1,
        pensioners=max(2_000, size // 4),
        claims=100,
        formats="csv",
        invoices=size,
        xml_share=xml_share,
        flex_jobs=0,
    )
    generate_night(workdir, spec)
    # Only the invoices are timed: the registers and the few health claims go first.
    for folder in ("health_claims",):
        for path in (workdir / "inbox" / folder).iterdir():
            path.unlink()
    generated = time.perf_counter() - started
    xml_files = sum(1 for p in (workdir / "inbox" / "doctor_invoices").glob("*.xml"))
    result = _timed_night(LAEGEREGNINGER, size, workdir, generated)
    result["xml_files"] = xml_files
    return result


def _timed_night(
    robot: object,
    size: int,
    workdir: Path,
    generated: float,
    period: str | None = None,
    mode: str = "demo",
) -> dict[str, object]:
    """One night of `robot` in `workdir`, timed per stage with peak memory sampled."""
    import psutil

    from robots.core.pipeline.nightly import run_night
    from robots.core.settings import Settings

    process = psutil.Process()
    peaks: dict[str, int] = {}
    current = {"stage": "start"}
    done = threading.Event()

    own_command = process.cmdline()
    started_own_program: set[int] = set()
    page = os.sysconf("SC_PAGE_SIZE")

    def rss_of(pid: int | str) -> int:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * page

    def children() -> list[int]:
        """The night's child processes, read from /proc (psutil's children() scans every
        process on the machine: at 100 samples a second that cost the night ~0.9 s,
        measured on a million claims, where the bare steps it is compared with pay none)."""
        found: list[int] = []
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children", "rb") as handle:
                    found += [int(pid) for pid in handle.read().split()]
            except OSError:
                pass  # the thread ended between listing and reading (the claims' reader)
        return found

    def resident() -> int:
        """The night's memory: this process and any worker it started (the payment file
        is written in a child process for large batches).

        A child caught between fork and exec still runs this process's command and maps
        its pages: counted, it doubled the peak for one sample (2.6 GiB where the night
        used 1.65, seen in a comparison run), so it is not counted until it has started
        its own program."""
        total = rss_of("self")
        for child in children():
            try:
                if child not in started_own_program:
                    if psutil.Process(child).cmdline() == own_command:
                        continue
                    started_own_program.add(child)
                total += rss_of(child)
            except (OSError, psutil.Error):
                pass  # the child ended between listing and reading
        return total

    def sample() -> None:
        while not done.is_set():
            rss = resident()
            stage = current["stage"]
            peaks[stage] = max(peaks.get(stage, 0), rss)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    os.environ.update(TAKEN_AT_ONCE)
    settings = Settings(data_dir=workdir, mode=mode, logs_dir=workdir / "logs")
    began = time.perf_counter()
    result = run_night(
        robot,  # type: ignore[arg-type]
        settings=settings,
        night=NIGHT,
        progress=lambda s: current.update(stage=s),
        period=period,
    )
    total = time.perf_counter() - began
    done.set()
    sampler.join()
    counts = result.outcomes["outcome"].value_counts().to_dict()
    return {
        "size": size,
        "generate_seconds": generated,
        "total_seconds": total,
        "stages": {
            k: {"seconds": v, "peak_mib": peaks.get(k, 0) / 2**20}
            for k, v in result.timings.items()
        },
        "peak_mib": max(peaks.values()) / 2**20,
        "outcomes": {k: int(v) for k, v in counts.items()},
    }


def _in_fresh_process(args: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rpa_once(size: int, workdir: Path) -> dict[str, object]:
    """The usual RPA way: one robocorp work item per claim, decided one at a time."""
    from bench.rpa import prepare_work_items

    items = prepare_work_items(size, workdir)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RC_WORKITEM_ADAPTER": "FileAdapter",
        "RC_WORKITEM_INPUT_PATH": str(items),
        "RC_WORKITEM_OUTPUT_PATH": str(workdir / "output-items.json"),
    }
    began = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "robocorp.tasks",
            "run",
            str(ROOT / "bench" / "rpa.py"),
            "-t",
            "one_item_per_claim",
            "--output",
            str(workdir / "rpa-log"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=workdir,
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:])
    processed = len(json.loads((workdir / "output-items.json").read_text(encoding="utf-8")))
    return {"size": size, "seconds": seconds, "processed": processed}


def _print_night(size: int, unit: str, result: dict[str, object]) -> None:
    """One size's table: seconds, items per second and peak memory per stage."""
    extra = f", {result['xml_files']:,} of them OIOUBL files" if "xml_files" in result else ""
    print(  # noqa: T201
        f"\n{size:,} {unit}{extra} (generated in {result['generate_seconds']:.1f} s, not counted)"
    )
    print(f"  {'stage':<14}{'seconds':>9}{unit + '/s':>13}{'peak MiB':>10}")  # noqa: T201
    for stage, figures in result["stages"].items():  # type: ignore[attr-defined]
        rate = size / figures["seconds"] if figures["seconds"] else float("inf")
        print(  # noqa: T201
            f"  {stage:<14}{figures['seconds']:>9.2f}{rate:>13,.0f}{figures['peak_mib']:>10.0f}"
        )
    total = float(result["total_seconds"])  # type: ignore[arg-type]
    # Writing the report files and closing the run happen after the last stage's clock.
    stages = result["stages"].values()  # type: ignore[attr-defined]
    other = total - sum(f["seconds"] for f in stages)
    print(f"  {'(files, end)':<14}{other:>9.2f}")  # noqa: T201
    print(f"  {'total':<14}{total:>9.2f}{size / total:>13,.0f}{result['peak_mib']:>10.0f}")  # noqa: T201
    print(f"  outcomes: {result['outcomes']}")  # noqa: T201


def main(
    sizes: list[int], rpa_sizes: list[int], invoice_sizes: list[int], xml_share: float
) -> None:
    """Print the benchmark tables (the figures quoted in the issue notes)."""
    print(f"Benchmark on {os.cpu_count()} cores; every size in a fresh process.")  # noqa: T201
    ours: dict[int, float] = {}
    for size in sizes:
        result = _in_fresh_process(["--one", str(size)])
        ours[size] = float(result["total_seconds"])  # type: ignore[arg-type]
        _print_night(size, "claims", result)
    for size in invoice_sizes:
        result = _in_fresh_process(["--invoices-one", str(size), "--xml-share", str(xml_share)])
        _print_night(size, "invoices", result)
    for size in rpa_sizes:
        result = _in_fresh_process(["--rpa", str(size)])
        seconds = float(result["seconds"])  # type: ignore[arg-type]
        line = (
            f"\nRPA way, one work item per claim, {size:,} claims: {seconds:.1f} s "
            f"({size / seconds:,.0f} claims/s)"
        )
        if size in ours:
            line += f"; the pipeline is {seconds / ours[size]:.0f}x faster at this size"
        else:
            smallest = min(ours) if ours else None
            per_claim_ours = ours[smallest] / smallest if smallest else None
            if per_claim_ours:
                faster = seconds / size / per_claim_ours
                line += f"; the pipeline at its smallest size ran {faster:.0f}x faster per claim"
        print(line)  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rpa-sizes", default="1000,10000")
    parser.add_argument("--invoice-sizes", default="10000,100000")
    parser.add_argument("--xml-share", type=float, default=0.1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--invoices-one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rpa", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one or args.rpa or args.invoices_one:
        with tempfile.TemporaryDirectory(prefix="robots-bench-") as folder:
            if args.one:
                out = _pipeline_once(args.one, Path(folder))
            elif args.invoices_one:
                out = _invoices_once(args.invoices_one, Path(folder), args.xml_share)
            else:
                out = _rpa_once(args.rpa, Path(folder))
        print(json.dumps(out))  # noqa: T201
    else:
        main(
            [int(s) for s in args.sizes.split(",") if s],
            [int(s) for s in args.rpa_sizes.split(",") if s],
            [int(s) for s in args.invoice_sizes.split(",") if s],
            args.xml_share,
        )
