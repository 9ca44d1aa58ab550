"""How many planted errors the robots caught, and how many clean claims they flagged.

Matches each ground-truth row (file, line, planted rule) to the run's outcome for that
file and line. Used by the tests (which require every planted error caught and no clean
claim flagged) and by the demo's closing figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from checks.rules import Severity, catalogue
from robots.core.pipeline.nightly import NightRun


@dataclass(frozen=True)
class Score:
    """Planted errors caught, per rule, and clean claims wrongly flagged."""

    per_rule: pd.DataFrame
    missed: pd.DataFrame
    false_alarms: pd.DataFrame

    @property
    def planted(self) -> int:
        return int(self.per_rule["planted"].sum())

    @property
    def caught(self) -> int:
        return int(self.per_rule["caught"].sum())

    @property
    def share(self) -> float:
        return self.caught / self.planted if self.planted else 1.0


def _outcomes_by_place(run: NightRun) -> pd.DataFrame:
    names = [f.path.name for f in run.claim_files]
    out = run.outcomes.copy()
    out["file_name"] = out["file"].map(lambda i: names[int(i)] if pd.notna(i) else "")
    out["line"] = pd.to_numeric(out["line"], errors="coerce").astype("Int64")
    return out


def score(ground_truth: Path, run: NightRun, data_dir: Path) -> Score:
    """Compare one night's ground truth with that night's run."""
    truth = pd.read_csv(ground_truth, dtype=str, keep_default_na=False)
    truth = truth[truth["dataset"] == run.robot.claims.name].copy()
    outcomes = _outcomes_by_place(run)
    seen_files = {f.path.name for f in run.claim_files if f.status == "seen_before"}
    quarantined = {p.name for p in (data_dir / "quarantine").rglob("*") if p.is_file()}
    places = outcomes.set_index(["file_name", "line"])["rule_ids"].to_dict()

    def caught(row: pd.Series) -> bool:
        if row["planted"] == "FILE-UNREADABLE":
            return row["file"] in quarantined
        if row["planted"] == "FILE-ALREADY-PROCESSED":
            return row["file"] in seen_files
        fired = places.get(
            (row["file"], int(row["line"])) if row["line"] else (row["file"], -1), ""
        )
        return row["planted"] in str(fired).split(",")

    truth["caught"] = truth.apply(caught, axis=1) if len(truth) else []
    per_rule = (
        truth.groupby("planted").agg(rows=("caught", "size"), found=("caught", "sum")).reset_index()
    )
    per_rule.columns = ["rule_id", "planted", "caught"]
    planted_places = {(r.file, int(r.line)) for r in truth.itertuples() if r.line}
    flagged = outcomes[
        (outcomes["rule_ids"].fillna("") != "") & (outcomes["outcome"] != "already_processed")
    ]
    false_alarms = flagged[
        [
            (f, int(ln)) not in planted_places
            for f, ln in zip(flagged["file_name"], flagged["line"], strict=True)
        ]
    ]
    # Rules that only inform (e.g. a provisional rate paid in demo mode) are not alarms.
    informing = {r.id for r in catalogue() if r.severity == Severity.INFO}
    alarming = (
        false_alarms["rule_ids"]
        .fillna("")
        .map(lambda ids: any(i and i not in informing for i in ids.split(",")))
    )
    false_alarms = false_alarms[alarming.astype(bool)]
    return Score(per_rule, truth[~truth["caught"]], false_alarms)
