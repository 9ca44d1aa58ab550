"""Two fleksloentilskud demo nights through the real pipeline, scored against the answer
key by job and month: every planted kind caught, every look-alike and clean month paid to
the øre, the second night's corrections settled by their difference and its unchanged
re-deliveries changing nothing; the ledger's exactly-once proof after each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from robots.core.ledger import history
from robots.core.ledger.database import open_ledger
from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.settings import Settings, clear_settings_cache
from robots.demo.generator import DemoSpec, generate_night
from robots.fleksloentilskud.demo import FlexScore, score
from robots.fleksloentilskud.robot import ROBOT

FIRST = DemoSpec(night=date(2026, 12, 5), seed=11, pensioners=600, claims=300, invoices=0)
SECOND = DemoSpec(night=date(2026, 12, 6), seed=11, pensioners=600, claims=300, invoices=0)


@dataclass(frozen=True)
class Night:
    run: NightRun
    score: FlexScore


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> list[Night]:
    root = tmp_path_factory.mktemp("flex")
    clear_settings_cache()
    settings = Settings(data_dir=root / "data", mode="demo", logs_dir=root / "logs")
    out = []
    for spec, previous in ((FIRST, None), (SECOND, FIRST)):
        made = generate_night(settings.data_dir, spec, previous_night=previous)
        assert made.flex_ground_truth is not None
        run = run_night(ROBOT, settings=settings, night=spec.night)
        out.append(Night(run, score(made.flex_ground_truth, run.outcomes)))
        engine = open_ledger(settings.ledger_url)
        with engine.connect() as connection:
            assert history.exactly_once_violations(connection=connection) == []
        engine.dispose()
    return out


@pytest.mark.parametrize("index", [0, 1])
def test_every_planted_kind_is_caught_and_every_look_alike_paid(
    nights: list[Night], index: int
) -> None:
    result = nights[index].score
    kinds = result.per_kind.set_index("planted")
    planted = [k for k in kinds.index if k.startswith("FL-")]
    assert len(planted) >= 10, kinds
    assert result.missed.empty, result.missed
    assert result.lookalikes_stopped.empty, result.lookalikes_stopped
    assert result.clean_wrong.empty, result.clean_wrong
    assert result.unexpected.empty, result.unexpected
    assert result.caught == result.planted


def test_the_second_night_settles_corrections_and_skips_unchanged_months(
    nights: list[Night],
) -> None:
    kinds = nights[1].score.per_kind.set_index("planted")
    for kind in ("CORRECTION-UP", "CORRECTION-DOWN", "REDELIVERY-SAME"):
        assert kinds.loc[kind, "rows"] >= 2 and kinds.loc[kind, "caught"] == kinds.loc[kind, "rows"]
    assert "settled" in set(nights[1].run.outcomes["outcome"])
