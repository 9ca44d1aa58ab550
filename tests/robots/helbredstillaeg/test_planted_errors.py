"""Two demo nights through the real pipeline: every planted error is caught, no clean
claim is flagged, the look-alikes are paid, and the second night pays nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest

from robots.core.pipeline.nightly import NightRun, run_night
from robots.core.settings import Settings, clear_settings_cache
from robots.demo.claims import DENTURES, share_bounds
from robots.demo.generator import (
    DemoNight,
    DemoSpec,
    _night_claims,
    _population,
    generate_night,
)
from robots.demo.policy import EXPENSE_TYPES, load_policy
from robots.demo.population import ROLE_FOERTID_OLD_BLANK
from robots.demo.scoring import Score, score
from robots.helbredstillaeg.robot import ROBOT

FIRST = DemoSpec(night=date(2026, 11, 22), seed=7, pensioners=1_500, claims=600)
SECOND = DemoSpec(night=date(2026, 11, 23), seed=7, pensioners=1_500, claims=600)


@dataclass(frozen=True)
class Night:
    spec: DemoSpec
    made: DemoNight
    run: NightRun
    score: Score


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> list[Night]:
    root = tmp_path_factory.mktemp("planted")
    clear_settings_cache()
    settings = Settings(data_dir=root / "data", mode="demo", logs_dir=root / "logs")
    out = []
    for spec, previous in ((FIRST, None), (SECOND, FIRST)):
        made = generate_night(settings.data_dir, spec, previous_night=previous)
        run = run_night(ROBOT, settings=settings, night=spec.night)
        out.append(Night(spec, made, run, score(made.ground_truth, run, settings.data_dir)))
    return out


def _outcomes(night: Night) -> pd.DataFrame:
    names = [f.path.name for f in night.run.claim_files]
    out = night.run.outcomes.copy()
    out["file_name"] = out["file"].map(lambda i: names[int(i)] if pd.notna(i) else "")
    return out


def test_every_planted_error_is_caught_and_no_clean_claim_is_flagged(nights: list[Night]) -> None:
    for night in nights:
        assert night.score.planted > 100
        assert night.score.missed.empty, night.score.missed.to_string()
        assert night.score.false_alarms.empty, night.score.false_alarms.to_string()
    kinds = set(nights[0].score.per_rule["rule_id"]) | set(nights[1].score.per_rule["rule_id"])
    assert {
        "HT-DUP-PAID",
        "HT-DUP-HELD",
        "HT-RESUBMIT-CHANGED",
        "HT-HIGH-AMOUNT",
        "HT-FOERTID-UNKNOWN",
        "CLAIM-ALREADY-PROCESSED",
        "CLAIM-COPY-TONIGHT",
        "FILE-ALREADY-PROCESSED",
        "FILE-UNREADABLE",
        "READ-MALFORMED",
        "HT-DEAD",
        "HT-STALE",
    } <= kinds
    # Both kinds of HT-HIGH-AMOUNT: above the ceiling, and unusual for the type below it.
    truth = pd.read_csv(nights[0].made.ground_truth, dtype=str, keep_default_na=False)
    high = truth[truth["planted"] == "HT-HIGH-AMOUNT"]
    assert high["note"].str.contains("times the median").sum() == len(high) // 2


def test_look_alikes_are_read_and_paid(nights: list[Night]) -> None:
    """What looks odd but is right goes straight through: an old Mac export (CR line ends),
    foertidspension with no award date whose record shows the old scheme, large dentures
    usual among dentures, and the originals of tonight's re-exported claims."""
    policy = load_policy()
    population = _population(FIRST, policy)
    for night in nights:
        outcomes = _outcomes(night)
        paid = set(outcomes.loc[outcomes["outcome"] == "paid", "claim_id"])
        mac = outcomes[outcomes["file_name"] == f"{night.spec.night.isoformat()}_claims_mac.csv"]
        assert len(mac) >= 3 and (mac["outcome"] == "paid").all()

        rows = _night_claims(night.spec, policy, population).rows
        lookalike = (rows["kind"] == "") & rows["cpr"].isin(
            population.pools[ROLE_FOERTID_OLD_BLANK]
        )
        assert lookalike.sum() >= 3 and set(rows.loc[lookalike, "claim_id"]) <= paid
        top = share_bounds(policy)[2][DENTURES]
        large = (rows["kind"] == "") & (rows["etype"] == DENTURES) & (rows["share"] >= top * 4 // 5)
        assert large.sum() >= 3 and set(rows.loc[large, "claim_id"]) <= paid
        medicine = rows.loc[
            (rows["kind"] == "") & (rows["etype"] == EXPENSE_TYPES.index("medicin")), "share"
        ]
        assert rows.loc[large, "share"].min() > policy.times_median * np.median(medicine)

    truth = pd.read_csv(nights[1].made.ground_truth, dtype=str, keep_default_na=False)
    copies = truth[
        (truth["planted"] == "CLAIM-COPY-TONIGHT") & (truth["dataset"] == ROBOT.claims.name)
    ]
    outcomes = _outcomes(nights[1])
    originals = outcomes[outcomes["claim_id"].isin(copies["claim_id"])]
    assert len(originals) == 2 * len(copies) > 0
    assert (
        originals.groupby("claim_id")["outcome"].apply(set) == {"paid", "already_processed"}
    ).all()


def test_a_second_citizens_file_is_combined_with_the_full_extract(nights: list[Night]) -> None:
    second = nights[1].run
    assert "citizens" not in second.registers_in_doubt
    assert not (_outcomes(nights[1])["outcome"] == "waiting").any()
    assert any("laid over the register by key" in note for note in second.register_notes)


def test_each_exception_keeps_the_values_its_rule_compared(nights: list[Night]) -> None:
    """Every claim rule that fired kept, with each exception, a value for every column it
    names (`Rule.compares`): a case page can show them all."""
    import json

    from sqlalchemy import text

    from checks import rules
    from robots.core.ledger.database import open_ledger

    settings = Settings(data_dir=nights[0].run.report_path.parents[3], mode="demo")
    engine = open_ledger(settings.ledger_url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT rule_id, evidence FROM exceptions WHERE claim_pk IS NOT NULL")
        ).all()
    engine.dispose()
    by_rule = {r.id: r for r in rules.catalogue()}
    seen = set()
    for rule_id, evidence in found:
        if not by_rule[rule_id].compares or evidence is None:
            continue
        kept = json.loads(evidence)
        assert kept["rule"] == rule_id
        assert list(kept["compared"]) == list(by_rule[rule_id].compares), rule_id
        seen.add(rule_id)
    assert {"HT-DEAD", "HT-ASSETS", "HT-PROVIDER-CLOSED", "HT-STALE"} <= seen
