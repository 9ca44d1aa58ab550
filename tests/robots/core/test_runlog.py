"""No CPR number in clear in robocorp's log, the terminal, the report or the outcome file.

log.html is compressed; the plain `output.robolog` beside it holds the same content, so
that is what we read. A control task that logs a CPR argument the robocorp default way
proves the search would see a leak.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from nightdata import ANNA, BO, CARL, run_robots_command, write_inbox

CPR_IN_CLEAR = re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}-?\d{4}(?!\d)")
OUR_CPRS = [ANNA, BO, CARL, f"{ANNA[:6]}-{ANNA[6:]}"]


def _leaks(text: str) -> list[str]:
    return [m.group(0) for m in CPR_IN_CLEAR.finditer(text)]


def test_a_plain_robocorp_task_would_leak_a_cpr_so_the_check_can_fail(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky_tasks.py"
    leaky.write_text(
        "from robocorp.tasks import task\n"
        "def lookup(cpr):\n    found = cpr\n    return found\n"
        f"@task\ndef leak():\n    lookup('{ANNA}')\n",
        encoding="utf-8",
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "robocorp.tasks",
            "run",
            str(leaky),
            "-t",
            "leak",
            "--output",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        check=True,
        cwd=tmp_path,
    )
    assert ANNA in _leaks((tmp_path / "out" / "output.robolog").read_text(encoding="utf-8"))


def test_no_cpr_in_robolog_terminal_report_or_outcomes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_inbox(data_dir)
    logs = tmp_path / "logs"
    done = run_robots_command(data_dir, logs)
    assert done.returncode == 0, done.stdout[-2000:]
    robologs = list(logs.rglob("output.robolog"))
    assert len(robologs) == 1 and (robologs[0].parent / "log.html").exists()
    robolog = robologs[0].read_text(encoding="utf-8")
    assert "stage 7/7: report" in robolog, "the log does record the run"
    # robocorp's closing process snapshot dumps live frames' variables unless suppressed;
    # its raw memory sizes (vms=2201927680) read like CPR numbers.
    assert "pmem(" not in robolog
    texts = {
        "output.robolog": robolog,
        "terminal": done.stdout + done.stderr,
        **{
            p.name: p.read_text(encoding="utf-8")
            for p in (data_dir / "outputs" / "runs").rglob("*.*")
        },
    }
    for name, text in texts.items():
        assert _leaks(text) == [], f"CPR in clear in {name}"
        assert not any(cpr in text for cpr in OUR_CPRS), f"CPR in clear in {name}"
    assert "010150-****" in done.stdout or "paid straight through" in done.stdout


def test_no_cpr_in_the_doctors_invoice_robots_output(tmp_path: Path) -> None:
    from datetime import date

    from robots.demo.generator import DemoSpec, generate_night

    data_dir = tmp_path / "data"
    spec = DemoSpec(night=date(2026, 11, 23), seed=3, pensioners=600, claims=100, invoices=200)
    generate_night(data_dir, spec)
    logs = tmp_path / "logs"
    done = run_robots_command(data_dir, logs, robot="laegeregninger")
    assert done.returncode == 0, done.stdout[-2000:]
    robolog = next(logs.rglob("output.robolog")).read_text(encoding="utf-8")
    assert "stage 7/7: report" in robolog
    assert "pmem(" not in robolog  # no frame variables from robocorp's process snapshot
    texts = {
        "output.robolog": robolog,
        "terminal": done.stdout + done.stderr,
        **{
            p.name: p.read_text(encoding="utf-8")
            for p in (data_dir / "outputs" / "runs").rglob("*.*")
        },
    }
    for name, text in texts.items():
        assert _leaks(text) == [], f"CPR in clear in {name}: {_leaks(text)[:3]}"
    assert "paid straight through" in done.stdout


def test_no_cpr_in_the_fleksloentilskud_robots_output(tmp_path: Path) -> None:
    """The monthly robot writes CPR numbers into the claim list it reads (its inbox, like
    any sender's file), never into its log, terminal, report or outcome file."""
    from datetime import date

    from robots.demo.generator import DemoSpec, generate_night

    data_dir = tmp_path / "data"
    spec = DemoSpec(
        night=date(2026, 12, 5), seed=3, pensioners=600, claims=100, invoices=0, flex_jobs=120
    )
    generate_night(data_dir, spec)
    logs = tmp_path / "logs"
    done = run_robots_command(data_dir, logs, robot="fleksloentilskud", night="2026-12-05")
    assert done.returncode == 0, done.stdout[-2000:]
    robolog = next(logs.rglob("output.robolog")).read_text(encoding="utf-8")
    assert "stage 7/7: report" in robolog
    texts = {
        "output.robolog": robolog,
        "terminal": done.stdout + done.stderr,
        **{
            p.name: p.read_text(encoding="utf-8")
            for p in (data_dir / "outputs" / "runs").rglob("*.*")
        },
    }
    for name, text in texts.items():
        assert _leaks(text) == [], f"CPR in clear in {name}: {_leaks(text)[:3]}"
    assert "paid straight through" in done.stdout


def test_a_run_id_is_never_shaped_like_a_cpr_number(monkeypatch) -> None:
    """CI once started a run at 22:10:27 and drew the token 4541: `221027-4541`."""
    from datetime import UTC, date, datetime

    from robots.core import dates
    from robots.core.pipeline import nightly
    from robots.registry import ROBOTS

    monkeypatch.setattr(dates, "now", lambda: datetime(2026, 11, 23, 22, 10, 27, tzinfo=UTC))
    monkeypatch.setattr(nightly.secrets, "token_hex", lambda n: "4541"[: 2 * n])
    for robot in ROBOTS.values():
        run_id = nightly.new_run_id(robot, date(2026, 11, 23))
        assert run_id.startswith(f"{robot.code}-20261123T221027-")
        assert _leaks(run_id) == [], run_id
