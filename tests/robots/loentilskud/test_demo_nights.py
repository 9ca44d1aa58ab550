"""Two loentilskud demo nights through the real pipeline, scored against the answer key:
every planted kind caught (the same hours claimed twice across the nights too), every
look-alike and clean claim paid to the øre; then what the other users see of it: its held
claims as cases in the control group's queue, its payments in finance's reconciliation,
and the ledger's exactly-once proof after each night."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from openpyxl import load_workbook

from robots.core.finance.export import export_reconciliation
from robots.core.ledger import cases, history
from robots.core.ledger.database import open_ledger
from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.settings import Settings, clear_settings_cache
from robots.demo.generator import DemoSpec, generate_night
from robots.loentilskud.demo import LoentilskudScore, score
from robots.loentilskud.robot import ROBOT

FIRST = DemoSpec(
    night=date(2026, 12, 5),
    seed=23,
    pensioners=600,
    claims=100,
    invoices=0,
    flex_jobs=0,
    subsidy_agreements=300,
)
SECOND = DemoSpec(
    night=date(2026, 12, 6),
    seed=23,
    pensioners=600,
    claims=100,
    invoices=0,
    flex_jobs=0,
    subsidy_agreements=300,
)


@dataclass(frozen=True)
class Night:
    run: NightRun
    score: LoentilskudScore


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[Night]]:
    root = tmp_path_factory.mktemp("loentilskud")
    clear_settings_cache()
    settings = Settings(data_dir=root / "data", mode="demo", logs_dir=root / "logs")
    out = []
    for spec, previous in ((FIRST, None), (SECOND, FIRST)):
        made = generate_night(settings.data_dir, spec, previous_night=previous)
        assert made.loentilskud_ground_truth is not None
        run = run_night(ROBOT, settings=settings, night=spec.night)
        out.append(Night(run, score(made.loentilskud_ground_truth, run.outcomes)))
        engine = open_ledger(settings.ledger_url)
        with engine.connect() as connection:
            assert history.exactly_once_violations(connection=connection) == []
        engine.dispose()
    return settings, out


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 1])
def test_every_planted_kind_is_caught_and_every_look_alike_paid(
    nights: tuple[Settings, list[Night]], index: int
) -> None:
    result = nights[1][index].score
    kinds = set(result.per_kind["planted"])
    assert len([k for k in kinds if k.startswith("LT-")]) >= 15, kinds
    assert result.missed.empty, result.missed
    assert result.lookalikes_stopped.empty, result.lookalikes_stopped
    assert result.amounts_wrong.empty, result.amounts_wrong
    assert result.not_paid.empty, result.not_paid
    assert result.caught == result.planted > 0


@pytest.mark.slow
def test_the_same_hours_across_the_nights_and_the_copies_are_caught(
    nights: tuple[Settings, list[Night]],
) -> None:
    per_kind = nights[1][1].score.per_kind.set_index("planted")
    for kind in ("LT-OVERLAP", "LT-DUPLICATE"):
        assert per_kind.loc[kind, "rows"] >= 2
        assert per_kind.loc[kind, "caught"] == per_kind.loc[kind, "rows"]


@pytest.mark.slow
def test_its_held_claims_are_cases_and_its_payments_are_reconciled(
    nights: tuple[Settings, list[Night]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings, ran = nights
    held = sum(int((n.run.outcomes["outcome"] == "held").sum()) for n in ran)
    engine = open_ledger(settings.ledger_url)
    with engine.connect() as connection:
        queue = cases.queue_page(
            connection=connection, queue_filter=cases.QueueFilter(robot=ROBOT.name), limit=500
        )
    engine.dispose()
    assert held > 0 and queue.count == held
    assert {row["robot"] for row in queue.rows} == {ROBOT.name}
    engine = open_ledger(settings.ledger_url)
    try:
        # The batches are made today (the demo nights are dated, the ledger's clock is not).
        exported = export_reconciliation(
            engine, date(2020, 1, 1), date(2035, 12, 31), tmp_path_factory.mktemp("finance")
        )
    finally:
        engine.dispose()
    summary = load_workbook(exported.path)["Oversigt"]
    robots = [row[0] for row in summary.iter_rows(min_row=2, values_only=True) if row[0]]
    assert ROBOT.name in robots
