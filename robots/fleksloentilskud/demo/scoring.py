"""Scoring a night: the robot's outcomes matched to the answer key by job and month.

Why it is a module of its own: the key names the job, the month and the amount each month
must be paid, so amounts are scored too, not only alarms; the command line and the tests
score a run without building a night.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from checks.rules import Severity
from checks.rules import get as rule_of
from robots.core.money import to_oere
from robots.fleksloentilskud.demo.kinds import (
    CLEAN,
    CORRECTION_DOWN,
    CORRECTION_UP,
    LOOKALIKES,
    REDELIVERY_SAME,
    RULE_KINDS,
)

PAID, HELD_OR_REJECTED = frozenset({"approved", "paid"}), frozenset({"held", "rejected"})
SETTLED = PAID | {"settled"}
"""A correction is decided again and settled: the difference paid, or a recovery opened."""


@dataclass(frozen=True)
class FlexScore:
    """Planted kinds caught, look-alikes and clean months stopped, amounts that differ."""

    per_kind: pd.DataFrame
    """planted, rows, caught: a rule caught its month; a look-alike, clean month or
    correction was paid (settled) with the expected amount; a re-delivery changed nothing."""
    missed: pd.DataFrame
    """Planted rule months their rule did not catch."""
    lookalikes_stopped: pd.DataFrame
    """Look-alike months held or rejected, or with an alarm (must be empty)."""
    clean_wrong: pd.DataFrame
    """Clean, look-alike and correction months not paid, or paid another amount."""
    unexpected: pd.DataFrame
    """Outcome rows with an alarm for months the ground truth does not list."""

    @property
    def planted(self) -> int:
        return int(self.per_kind["rows"].sum())

    @property
    def caught(self) -> int:
        return int(self.per_kind["caught"].sum())


def _alarming(rule_ids: str) -> bool:
    """Any rule that is not merely informative (FL-PROVISIONAL-RATE-DEMO pays)."""
    for rule_id in filter(None, (r.strip() for r in rule_ids.split(","))):
        try:
            if rule_of(rule_id).severity != Severity.INFO:
                return True
        except KeyError:
            return True
    return False


_DIFFERENCE = re.compile(r"difference (-?[0-9.]+,[0-9]{2}) kr\.")


def _difference(note: str) -> int | None:
    found = _DIFFERENCE.search(note)
    if found is None:
        return None
    return int(found.group(1).replace(".", "").replace(",", ""))


def score(ground_truth_csv: Path, outcomes: pd.DataFrame) -> FlexScore:
    """Match a night's ground truth to its outcomes by (claim_id = job_id, period = month).

    `outcomes`: claim_id, period, outcome, amount_oere, rule_ids (comma-separated); or, as
    in a run's outcomes.csv, `amount` in kroner instead of `amount_oere`.
    """
    truth = pd.read_csv(ground_truth_csv, dtype=str, keep_default_na=False)
    if "amount_oere" not in outcomes.columns:
        outcomes = outcomes.assign(amount_oere=outcomes["amount"].map(_oere_of_kroner))
    out = outcomes.loc[:, ["claim_id", "period", "outcome", "amount_oere", "rule_ids"]].copy()
    out["claim_id"] = out["claim_id"].astype("string")
    out["period"] = out["period"].astype("string")
    out["rule_ids"] = out["rule_ids"].astype("string").fillna("")
    out["outcome"] = out["outcome"].astype("string").fillna("")
    out["amount_oere"] = pd.to_numeric(out["amount_oere"], errors="coerce").astype("Int64")
    out = out.drop_duplicates(["claim_id", "period"], keep="last")
    merged = truth.merge(
        out, how="left", left_on=["job_id", "month"], right_on=["claim_id", "period"]
    )
    merged["found"] = merged["claim_id"].notna()
    merged["caught"] = [_handled(r) for r in merged.itertuples(index=False)]
    per_kind = (
        merged.groupby("planted")
        .agg(rows=("caught", "size"), caught=("caught", "sum"))
        .reset_index()
    )
    is_rule = merged["planted"].isin(RULE_KINDS)
    is_lookalike = merged["planted"].isin(LOOKALIKES)
    paid_kinds = merged["planted"].isin([CLEAN, *LOOKALIKES, CORRECTION_UP, CORRECTION_DOWN])
    stopped = merged["found"] & (
        merged["outcome"].isin(HELD_OR_REJECTED) | merged["rule_ids"].fillna("").map(_alarming)
    )
    listed = set(zip(truth["job_id"], truth["month"], strict=True))
    alarm = out["outcome"].isin(HELD_OR_REJECTED) | out["rule_ids"].map(_alarming)
    unlisted = [(c, p) not in listed for c, p in zip(out["claim_id"], out["period"], strict=True)]
    return FlexScore(
        per_kind=per_kind,
        missed=merged[is_rule & ~merged["caught"]].reset_index(drop=True),
        lookalikes_stopped=merged[is_lookalike & stopped].reset_index(drop=True),
        clean_wrong=merged[paid_kinds & ~merged["caught"]].reset_index(drop=True),
        unexpected=out[alarm & pd.Series(unlisted, index=out.index)].reset_index(drop=True),
    )


def _oere_of_kroner(text: object) -> int | None:
    """An outcome file's amount ('17902.48') as exact øre; blank: none."""
    if text is None or pd.isna(text) or str(text).strip() == "":
        return None
    return to_oere(Decimal(str(text).strip()))


def _handled(row: Any) -> bool:
    """Whether one ground-truth month came out as it must (see FlexScore.per_kind)."""
    kind, found = str(row.planted), bool(row.found)
    fired = str(row.rule_ids) if found else ""
    outcome = str(row.outcome) if found else ""
    amount = None if not found or pd.isna(row.amount_oere) else int(row.amount_oere)
    expected = str(row.expected_amount_oere)
    if kind in RULE_KINDS:
        return kind in fired.split(",")
    if kind == REDELIVERY_SAME:
        return (
            not found
            or outcome == "already_processed"
            or (outcome not in HELD_OR_REJECTED and not amount)
        )
    if kind in (CORRECTION_UP, CORRECTION_DOWN):
        wanted = {int(expected), _difference(str(row.note))}
        return outcome in SETTLED and not _alarming(fired) and amount in wanted
    return outcome in PAID and not _alarming(fired) and amount == int(expected)
