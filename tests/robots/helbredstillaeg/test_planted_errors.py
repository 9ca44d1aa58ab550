"""Two demo nights through the real pipeline: every planted error is caught, no clean
claim is flagged, and the second night pays nothing twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from robots.core.demo.generator import DemoSpec, generate_night
from robots.core.demo.scoring import score
from robots.core.pipeline.nightly import run_night
from robots.helbredstillaeg.robot import ROBOT


def test_every_planted_error_is_caught_and_no_clean_claim_is_flagged(
    settings_for, tmp_path: Path
) -> None:
    settings = settings_for(None, mode="demo")
    first = DemoSpec(night=date(2026, 11, 22), seed=7, pensioners=1_500, claims=600)
    second = DemoSpec(night=date(2026, 11, 23), seed=7, pensioners=1_500, claims=600)
    scores = []
    for spec, previous in ((first, None), (second, first)):
        made = generate_night(settings.data_dir, spec, previous_night=previous)
        run = run_night(ROBOT, settings=settings, night=spec.night)
        scores.append(score(made.ground_truth, run, settings.data_dir))
    for result in scores:
        assert result.planted > 100
        assert result.missed.empty, result.missed.to_string()
        assert result.false_alarms.empty, result.false_alarms.to_string()
    kinds = set(scores[0].per_rule["rule_id"]) | set(scores[1].per_rule["rule_id"])
    assert {
        "HT-DUP-PAID",
        "HT-RESUBMIT-CHANGED",
        "CLAIM-ALREADY-PROCESSED",
        "FILE-ALREADY-PROCESSED",
        "FILE-UNREADABLE",
        "READ-MALFORMED",
        "HT-DEAD",
        "HT-STALE",
    } <= kinds
