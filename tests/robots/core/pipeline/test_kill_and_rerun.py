"""Kill the real `robots run` process (SIGKILL) at every step, run again, pay exactly once.

Each case kills a run at one named point (robots/core/killpoints.py), then runs the same
night again with nothing changed, and checks what an auditor would: every claim decided
for payment sits in exactly one released batch, the payment files on disk hold each
transfer once and add up to exactly what the ledger says, and nothing is left behind.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from lxml import etree
from nightdata import PAID_OERE, run_robots_command, write_inbox
from sqlalchemy import create_engine, text

from robots.core.killpoints import POINTS
from robots.core.payments.pain001 import validate_pain001

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def _ledger(data_dir: Path, sql: str) -> list[tuple]:
    engine = create_engine(f"sqlite:///{data_dir / 'ledger.sqlite'}")
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(text(sql)).fetchall()]
    engine.dispose()
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_killed_anywhere_then_rerun_pays_every_claim_exactly_once(
    point: str, tmp_path: Path
) -> None:
    _kill_rerun_and_check(point, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "point", ["after_batch_prepared", "after_payment_file", "after_batch_released"]
)
def test_killed_between_bundles_then_rerun_pays_every_claim_exactly_once(
    point: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transfer per file ([bank] max_transfers_per_file = 1): the night's two payees
    are two batches, and a kill between them leaves the second for the rerun to finish."""
    config = tmp_path / "config"
    shutil.copytree(Path(__file__).parents[4] / "config", config)
    settings = config / "settings.toml"
    text_of = settings.read_text(encoding="utf-8")
    assert "max_transfers_per_file = 10000" in text_of
    settings.write_text(
        text_of.replace("max_transfers_per_file = 10000", "max_transfers_per_file = 1"),
        encoding="utf-8",
    )
    monkeypatch.setenv("ROBOTS_CONFIG_DIR", str(config))
    _kill_rerun_and_check(point, tmp_path)
    assert len(_ledger(tmp_path / "data", "SELECT id FROM payment_batches")) == 2


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS[2:])
def test_a_drafted_night_killed_anywhere_then_rerun_pays_every_claim_exactly_once(
    point: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The night's batch drafted by a worker process while the ledger records the night
    (here for two claims: [payment] draft_from_claims = 1): killed from the ledger's
    commit on, the worker dies with the run, and the rerun pays each claim once."""
    monkeypatch.setenv("ROBOTS_PAYMENT__DRAFT_FROM_CLAIMS", "1")
    _kill_rerun_and_check(point, tmp_path)
    staging = tmp_path / "data" / "outputs" / ".staging"
    assert not [p for p in staging.rglob("*") if p.is_file()], "a draft's files were left"


def _kill_rerun_and_check(point: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_inbox(data_dir)
    killed = run_robots_command(data_dir, tmp_path / "logs", kill_at=point)
    assert killed.returncode != 0, f"the run was not killed at {point}:\n{killed.stdout[-2000:]}"
    rerun = run_robots_command(data_dir, tmp_path / "logs")
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    final = run_robots_command(data_dir, tmp_path / "logs")  # and once more: nothing may change
    assert final.returncode == 0, final.stdout[-3000:]

    # Every claim row decided appears in the outcome file of the run that decided it or of
    # the run that finished its work: here, of the killed run or the rerun, once.
    killed_id = _ledger(data_dir, "SELECT id FROM runs ORDER BY started_at LIMIT 1")[0][0]
    killed_rows = _outcome_rows(data_dir, killed_id)
    rerun_rows = _outcome_rows(data_dir, _run_id(rerun.stdout))
    reported = killed_rows + rerun_rows
    assert sorted((r["file"], r["line"]) for r in reported) == [
        ("claims.csv", str(n)) for n in range(2, 7)
    ]
    assert {r["claim_id"]: r["outcome"] for r in reported if r["claim_id"]} == {
        "C1": "paid",
        "C2": "rejected",
        "C3": "data_error",
        "C4": "paid",
    }
    if (
        not killed_rows
        and _ledger(data_dir, f"SELECT COUNT(*) FROM claims WHERE run_id = '{killed_id}'")[0][0]
    ):
        assert f"also reports the decisions of {killed_id}" in rerun.stdout
        assert {r["run_id"] for r in rerun_rows} == {killed_id}
    assert _outcome_rows(data_dir, _run_id(final.stdout)) == []

    decided = _ledger(data_dir, "SELECT COUNT(*) FROM claims WHERE decision = 'pay'")[0][0]
    paid = _ledger(
        data_dir, "SELECT COUNT(*), COUNT(DISTINCT claim_pk), SUM(amount_oere) FROM payment_items"
    )[0]
    assert decided == 2
    assert paid == (2, 2, PAID_OERE), "each claim decided for payment is paid once, in full"
    assert _ledger(data_dir, "SELECT COUNT(*) FROM payment_batches WHERE status <> 'released'") == [
        (0,)
    ]

    files = sorted((data_dir / "outputs" / "payments").glob("*.xml"))
    batches = _ledger(data_dir, "SELECT id FROM payment_batches")
    assert [f.name.split(".")[0] for f in files] == sorted(b[0] for b in batches)
    end_to_end: list[str] = []
    total = 0
    for path in files:
        validate_pain001(path)
        tree = etree.parse(str(path))
        end_to_end += tree.xpath("//p:EndToEndId/text()", namespaces=NS)
        total += sum(
            int(a.replace(".", "")) for a in tree.xpath("//p:InstdAmt/text()", namespaces=NS)
        )
    assert len(end_to_end) == len(set(end_to_end)) == 2
    assert total == PAID_OERE
    # Everything the robot reads is taken in; the laegeregninger register waits for its robot.
    left = [p.relative_to(data_dir / "inbox") for p in (data_dir / "inbox").rglob("*")]
    assert [p for p in left if p.suffix] == [Path("certificate_requests/requests.csv")]
    assert _ledger(data_dir, "SELECT status FROM runs ORDER BY started_at")[0][0] in (
        "failed",
        "interrupted",
        "completed",
    )
    assert _ledger(data_dir, "SELECT status FROM runs ORDER BY started_at DESC LIMIT 1") == [
        ("completed",)
    ]


def _run_id(stdout: str) -> str:
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith("Run "))


def _outcome_rows(data_dir: Path, run_id: str) -> list[dict[str, str]]:
    """A run's outcome file ([] for a run that never wrote one)."""
    path = data_dir / "outputs" / "runs" / run_id / "outcomes.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
