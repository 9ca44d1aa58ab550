"""Where a night's bytes and system time go, stage by stage.

Runs one night of a robot on a generated input (copied to a scratch folder) and, at each
stage's start and at the end, reads what the kernel counted for the process: bytes
written to storage (`write_bytes`; of them `cancelled_write_bytes`, dropped because their
file was deleted before the kernel wrote it out: what reached the disk is the difference)
and through write calls (`wchar`), bytes read from storage, system and user CPU seconds
and minor page faults. Linux only (/proc). The "start" row is the run's set-up before its
first stage (ledger opened, run recorded).

    python bench/night_io.py --input /path/to/generated/night [--robot helbredstillaeg]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from robots.core.pipeline.nightly import run_night
from robots.core.settings import Settings
from robots.registry import ROBOTS

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project root, for `bench`
    sys.path.insert(0, str(ROOT))

from bench import TAKEN_AT_ONCE  # noqa: E402  (after the path is set)

NIGHT = date(2026, 11, 23)


def counters() -> dict[str, float]:
    """The process's I/O and CPU counters now (children included: the pain.001 worker)."""
    io = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines() if line)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": time.perf_counter(),
        "user_s": own.ru_utime + kids.ru_utime,
        "system_s": own.ru_stime + kids.ru_stime,
        "minor_faults": own.ru_minflt + kids.ru_minflt,
        "written_mb": int(io["write_bytes"]) / 1e6,
        # Of those, dropped before they reached the disk (a scratch file deleted first).
        "cancelled_mb": int(io["cancelled_write_bytes"]) / 1e6,
        "wchar_mb": int(io["wchar"]) / 1e6,
        "read_mb": int(io["read_bytes"]) / 1e6,
    }


def measure(robot_name: str, source: Path) -> list[dict[str, object]]:
    """The night's counters per stage (differences between stage starts)."""
    marks: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="robots-night-io-") as scratch:
        work = Path(scratch) / "data"
        shutil.copytree(source, work)
        os.environ.update(TAKEN_AT_ONCE)
        settings = Settings(data_dir=work, mode="demo", logs_dir=work / "logs")
        marks.append(("start", counters()))
        run_night(
            ROBOTS[robot_name],
            settings=settings,
            night=NIGHT,
            progress=lambda stage: marks.append((stage, counters())),
        )
        marks.append(("end", counters()))
    rows = []
    for (stage, before), (_, after) in itertools.pairwise(marks):
        rows.append({"stage": stage, **{k: round(after[k] - before[k], 2) for k in before}})
    first, last = marks[0][1], marks[-1][1]
    rows.append({"stage": "night", **{k: round(last[k] - first[k], 2) for k in first}})
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--robot", default="helbredstillaeg", choices=sorted(ROBOTS))
    args = parser.parse_args()
    for row in measure(args.robot, args.input):
        sys.stdout.write(json.dumps(row) + "\n")
