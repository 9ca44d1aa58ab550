"""Tonight's payment drafted while the ledger records the night: the draft is the plain
path's twin, and the ledger decides whether it holds.

Why these tests matter: a drafted batch is planned from the night's own decisions, not
read back from the ledger. It may be paid only when it is exactly what the ledger holds
as payable, its files must be byte for byte what the ledger alone would write (a batch
finished after a crash is rewritten from the ledger), and a draft that does not hold, or
whose worker dies, must cost nothing but time.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from robots.core.ledger.database import open_ledger
from robots.core.payments import drafting, filing, paying
from robots.core.pipeline.inbox import DataFolders
from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.robot import Robot
from robots.core.settings import PaymentSettings, Settings
from robots.demo.generator import DemoSpec, generate_night
from robots.helbredstillaeg.robot import ROBOT as HELBREDSTILLAEG
from robots.laegeregninger.robot import ROBOT as LAEGEREGNINGER

NIGHT = date(2026, 11, 23)
ALWAYS = PaymentSettings(draft_from_claims=1)
NEVER = PaymentSettings(draft_from_claims=10**9)


class _Killed(Exception):
    """Stands in for SIGKILL at a kill point, inside one test process."""


@pytest.fixture(scope="module")
def demo_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated night: many payees, invoices with credit notes and own numbers."""
    folder = tmp_path_factory.mktemp("demo-night")
    spec = DemoSpec(
        night=NIGHT, seed=7, pensioners=400, claims=300, invoices=200, formats="csv", flex_jobs=0
    )
    generate_night(folder, spec)
    return folder


@pytest.fixture
def plain_path_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The robots whose night was paid by the plain path (from what the ledger holds)."""
    calls: list[str] = []
    pay_new = paying._pay_new

    def spy(engine: Engine, robot: Robot, *args: object) -> list[paying.BatchResult]:
        calls.append(robot.name)
        return pay_new(engine, robot, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(paying, "_pay_new", spy)
    return calls


def _settings(
    settings_for: Callable[..., Settings],
    ledger_url: str,
    data_dir: Path,
    payment: PaymentSettings,
    max_transfers: int = 7,
    *,
    night: Path,
) -> Settings:
    """Settings for a data folder holding a copy of `night`'s inbox."""
    settings = settings_for(ledger_url, data_dir=data_dir)
    shutil.copytree(night / "inbox", settings.data_dir / "inbox")
    bank = settings.bank.model_copy(update={"max_transfers_per_file": max_transfers})
    return settings.model_copy(update={"payment": payment, "bank": bank})


def _night(settings: Settings, robot: Robot) -> NightRun:
    return run_night(robot, settings=settings, night=NIGHT)


@pytest.fixture
def engine_of() -> Iterator[Callable[[Settings], Engine]]:
    engines: list[Engine] = []

    def make(settings: Settings) -> Engine:
        engines.append(open_ledger(settings.ledger_url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def _payments(engine: Engine, robot: str) -> dict[str, object]:
    """What a robot's batches pay, without their ids (drawn at random each run)."""
    with engine.connect() as connection:
        transfers = connection.execute(
            text(
                "SELECT t.payee_kind, t.payee_id, t.amount_oere, t.claims, "
                "replace(t.remittance, t.batch_id, '') FROM payment_transfers t "
                "JOIN payment_batches b ON b.id = t.batch_id WHERE b.robot = :robot"
            ),
            {"robot": robot},
        ).all()
        items = connection.execute(
            text(
                "SELECT c.claim_id, c.idempotency_key, i.amount_oere, i.attempt "
                "FROM payment_items i JOIN claims c ON c.id = i.claim_pk WHERE c.robot = :robot"
            ),
            {"robot": robot},
        ).all()
        statuses = connection.execute(
            text("SELECT status, COUNT(*) FROM payment_batches WHERE robot = :robot GROUP BY 1"),
            {"robot": robot},
        ).all()
    return {
        "transfers": sorted(tuple(t) for t in transfers),
        "items": sorted(tuple(i) for i in items),
        "batches": {str(s): int(n) for s, n in statuses},
    }


def _rewritten_from_ledger(
    engine: Engine, robot: Robot, settings: Settings, batch: paying.BatchResult, folder: Path
) -> filing.StagedFiles:
    """The batch's two files as the ledger alone writes them (a crash's rewrite)."""
    from_ledger = paying._batch_from_ledger(engine, batch.batch_id, robot.refusion_per_claim)
    job = paying._files_job(from_ledger, robot, settings, DataFolders(settings.data_dir))
    return filing.write_batch_files(
        folder=folder / batch.batch_id,
        header=job.header,
        transfers=job.transfers,
        claims=job.claims,
        postings=job.postings,
    )


@pytest.mark.parametrize("robot", [HELBREDSTILLAEG, LAEGEREGNINGER], ids=lambda r: r.name)
def test_a_drafted_night_pays_what_the_plain_path_pays_in_the_same_bytes(
    robot: Robot,
    ledger_url: str,
    settings_for: Callable[..., Settings],
    demo_night: Path,
    tmp_path: Path,
    plain_path_calls: list[str],
    engine_of: Callable[[Settings], Engine],
) -> None:
    plain = _settings(
        settings_for,
        f"sqlite:///{tmp_path / 'plain.sqlite'}",
        tmp_path / "a",
        NEVER,
        night=demo_night,
    )
    plain_night = _night(plain, robot)
    assert plain_path_calls == [robot.name]

    drafted = _settings(settings_for, ledger_url, tmp_path / "b", ALWAYS, night=demo_night)
    drafted_night = _night(drafted, robot)
    assert plain_path_calls == [robot.name], "the drafted night fell back to the plain path"

    # The same decisions, and the same payments: payees, amounts, remittances, claims.
    columns = ["file", "line", "claim_id", "outcome", "amount_oere", "rule_ids"]
    assert drafted_night.outcomes[columns].sort_values(["file", "line"]).to_numpy().tolist() == (
        plain_night.outcomes[columns].sort_values(["file", "line"]).to_numpy().tolist()
    )
    plain_paid = _payments(engine_of(plain), robot.name)
    drafted_paid = _payments(engine_of(drafted), robot.name)
    assert drafted_paid == plain_paid
    assert len(drafted_night.batches) >= 2, "the night should be cut into several bundles"
    assert drafted_paid["batches"] == {"released": len(drafted_night.batches)}

    # Each released file is the one the ledger alone would write for its batch.
    engine = engine_of(drafted)
    for batch in drafted_night.batches:
        again = _rewritten_from_ledger(engine, robot, drafted, batch, tmp_path / "rewrite")
        assert batch.payment_file.read_bytes() == again.payment_file.read_bytes()
        assert batch.posting_file.read_bytes() == again.posting_file.read_bytes()
    staging = filing.staging_folder(drafted.data_dir / "outputs", robot.name)
    assert not staging.exists() or not any(staging.iterdir())


def test_a_draft_the_ledger_does_not_confirm_is_dropped_and_the_ledger_pays_all(
    settings_for: Callable[..., Settings],
    demo_night: Path,
    tmp_path: Path,
    plain_path_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    engine_of: Callable[[Settings], Engine],
) -> None:
    """A claim of an earlier run still payable (its run stopped before paying) makes the
    ledger's payable claims more than tonight's: the draft does not hold, and the plain
    path pays them all, each once."""
    settings = _settings(
        settings_for,
        f"sqlite:///{tmp_path / 'l.sqlite'}",
        tmp_path / "d",
        ALWAYS,
        1000,
        night=demo_night,
    )
    claims = settings.data_dir / "inbox" / "health_claims"
    aside = tmp_path / "aside"
    aside.mkdir()
    largest = max(claims.glob("*.csv"), key=lambda p: p.stat().st_size)
    header, *lines = largest.read_bytes().splitlines(keepends=True)
    largest.write_bytes(header + b"".join(lines[: len(lines) // 2]))
    (aside / "later.csv").write_bytes(header + b"".join(lines[len(lines) // 2 :]))

    def stopped(**_: object) -> list[paying.BatchResult]:
        raise _Killed("stopped before paying")

    with monkeypatch.context() as patch:
        patch.setattr("robots.core.pipeline.nightly.pay_outstanding", stopped)
        with pytest.raises(_Killed):
            _night(settings, HELBREDSTILLAEG)
    engine = engine_of(settings)
    earlier = _scalar(engine, "SELECT COUNT(*) FROM claims WHERE decision = 'pay'")
    assert earlier > 0 and _scalar(engine, "SELECT COUNT(*) FROM payment_items") == 0

    for path in aside.iterdir():
        shutil.move(path, claims / path.name)
    night = _night(settings, HELBREDSTILLAEG)
    assert plain_path_calls == [HELBREDSTILLAEG.name]
    paid = _scalar(engine, "SELECT COUNT(*) FROM claims WHERE decision = 'pay'")
    assert paid > earlier
    assert sum(b.claims for b in night.batches) == paid
    assert _scalar(engine, "SELECT COUNT(DISTINCT claim_pk) FROM payment_items") == paid
    assert not any((settings.data_dir / "outputs" / ".staging").rglob("*.xml"))


def test_a_draft_whose_worker_cannot_start_costs_nothing_but_time(
    settings_for: Callable[..., Settings],
    demo_night: Path,
    tmp_path: Path,
    plain_path_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    engine_of: Callable[[Settings], Engine],
) -> None:
    settings = _settings(
        settings_for, f"sqlite:///{tmp_path / 'l.sqlite'}", tmp_path / "d", ALWAYS, night=demo_night
    )
    monkeypatch.setattr(drafting, "__name__", "robots.core.payments.no_such_drafter")
    night = _night(settings, HELBREDSTILLAEG)
    assert plain_path_calls == [HELBREDSTILLAEG.name]
    engine = engine_of(settings)
    paid = _scalar(engine, "SELECT COUNT(*) FROM claims WHERE decision = 'pay'")
    assert paid > 0 and sum(b.claims for b in night.batches) == paid
    assert _scalar(engine, "SELECT COUNT(*) FROM payment_items") == paid


def test_a_drafted_night_killed_after_its_batches_are_prepared_is_finished_from_the_ledger(
    settings_for: Callable[..., Settings],
    demo_night: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    engine_of: Callable[[Settings], Engine],
) -> None:
    """Killed once the drafted batches are in the ledger: nothing was released, the
    draft's files are gone, and the next run writes and releases every batch from the
    ledger, each claim once."""
    settings = _settings(
        settings_for, f"sqlite:///{tmp_path / 'l.sqlite'}", tmp_path / "d", ALWAYS, night=demo_night
    )
    kill_point = paying.kill_point

    def killed_after_prepared(name: str) -> None:
        if name == "after_batch_prepared":
            raise _Killed(name)
        kill_point(name)

    with monkeypatch.context() as patch:
        patch.setattr(paying, "kill_point", killed_after_prepared)
        with pytest.raises(_Killed):
            _night(settings, HELBREDSTILLAEG)
    engine = engine_of(settings)
    prepared = _scalar(engine, "SELECT COUNT(*) FROM payment_batches WHERE status = 'prepared'")
    assert prepared >= 2
    outputs = settings.data_dir / "outputs"
    assert not list(outputs.glob("payments/*.xml"))
    assert not any((outputs / ".staging").rglob("*.xml")), "the draft's files were left"

    finished = _night(settings, HELBREDSTILLAEG)
    assert [b.completed_after_crash for b in finished.batches] == [True] * prepared
    paid = _scalar(engine, "SELECT COUNT(*) FROM claims WHERE decision = 'pay'")
    assert _scalar(engine, "SELECT COUNT(*) FROM payment_items") == paid
    assert len(list(outputs.glob("payments/*.xml"))) == prepared


def _scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_the_payable_summary_counts_what_payable_claims_reads(
    tmp_path: Path, settings_for: Callable[..., Settings], demo_night: Path
) -> None:
    """The draft's proof asks the ledger for figures instead of rows: they must be the
    figures of the rows the plain path reads."""
    settings = _settings(
        settings_for, f"sqlite:///{tmp_path / 'l.sqlite'}", tmp_path / "d", NEVER, night=demo_night
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("robots.core.pipeline.nightly.pay_outstanding", lambda **_: [])
        night = _night(settings, LAEGEREGNINGER)
    engine = create_engine(settings.ledger_url)
    from robots.core.ledger import payment_records

    with engine.connect() as connection:
        rows = payment_records.payable_claims(connection=connection, robot=LAEGEREGNINGER.name)
        summary = payment_records.payable_summary(
            connection=connection, robot=LAEGEREGNINGER.name, run_id=night.run_id
        )
    engine.dispose()
    amounts = rows.column("amount_oere").to_pylist()
    assert rows.num_rows > 0
    assert summary == payment_records.PayableSummary(
        claims=rows.num_rows, of_run=rows.num_rows, total_oere=sum(amounts), versions=0
    )


def test_a_draft_that_cannot_even_be_started_leaves_the_night_to_the_ledger(
    settings_for: Callable[..., Settings],
    demo_night: Path,
    tmp_path: Path,
    plain_path_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    engine_of: Callable[[Settings], Engine],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Drafting is only a way to save time: a disk that refuses the draft's job file costs
    the night nothing but that time."""
    settings = _settings(
        settings_for, f"sqlite:///{tmp_path / 'l.sqlite'}", tmp_path / "d", ALWAYS, night=demo_night
    )

    def no_room(**_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("robots.core.pipeline.nightly.draft_tonight", no_room)
    night = _night(settings, HELBREDSTILLAEG)
    assert plain_path_calls == [HELBREDSTILLAEG.name]
    assert "could not be drafted" in caplog.text
    paid = _scalar(engine_of(settings), "SELECT COUNT(*) FROM claims WHERE decision = 'pay'")
    assert paid > 0 and sum(b.claims for b in night.batches) == paid


def _batch(claims: int, *, from_draft: bool) -> paying.BatchResult:
    return paying.BatchResult(
        batch_id="B",
        run_id="R",
        transfers=claims,
        claims=claims,
        total_oere=100 * claims,
        execution_date=NIGHT,
        payment_file=Path("p.xml"),
        posting_file=Path("p.csv"),
        completed_after_crash=False,
        from_draft=from_draft,
    )


def test_only_drafted_batches_holding_every_claim_decided_pay_spare_the_unpaid_question() -> None:
    """The report asks the ledger which claims decided 'pay' went unpaid unless tonight's
    drafted batches hold every one of them: a payee whose credit outweighs its bills is
    left out of the plan (a bank pays no negative amount), and its claims must be
    reported 'approved', not paid; a batch finished for an earlier run counts for nothing."""
    assert paying.drafted_batches_pay_all(
        [_batch(4, from_draft=True), _batch(3, from_draft=True)], 7
    )
    assert not paying.drafted_batches_pay_all([_batch(4, from_draft=True)], 7)
    assert not paying.drafted_batches_pay_all(
        [_batch(4, from_draft=True), _batch(3, from_draft=False)], 7
    )
    assert not paying.drafted_batches_pay_all([], 0)
    assert not paying.drafted_batches_pay_all([_batch(0, from_draft=True)], 0)
