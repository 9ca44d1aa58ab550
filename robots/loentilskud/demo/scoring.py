"""Scoring the demo: the robot's outcomes matched to the answer key by claim id.

Why it is a module of its own: the key names each claim's planted kind, the outcome it
must have and the amount a paid claim must be paid, so amounts are scored too, not only
alarms; the command line scores the runs in a data folder (`summary`), the tests score a
frame of outcomes (`score`) without running anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from checks.rules import Severity
from checks.rules import get as rule_of
from robots.core.money import format_kroner, to_oere
from robots.loentilskud.demo import kinds as k

PAID_OUTCOMES = frozenset({"paid", "approved"})
STOPPED = frozenset({"held", "rejected"})
NOT_DECIDED_AGAIN = frozenset({"already_processed"})
"""An outcome row of a run that did not decide the claim (a re-run's)."""
RUN_CODE = "LT"
"""The robot's code: its runs are outputs/runs/LT-*."""


@dataclass(frozen=True)
class LoentilskudScore:
    """Planted kinds caught, look-alikes stopped, amounts that differ."""

    per_kind: pd.DataFrame
    """planted, rows, caught: a rule kind caught by its rule, a data error refused as one,
    a clean claim or look-alike paid the expected amount with no alarm."""
    missed: pd.DataFrame
    """Planted claims (rules and data errors) not caught."""
    lookalikes_stopped: pd.DataFrame
    """Look-alikes held or rejected, or with an alarm (must be empty)."""
    amounts_wrong: pd.DataFrame
    """Claims to be paid that were paid another amount (columns include amount_oere)."""
    not_paid: pd.DataFrame
    """Clean claims and look-alikes not paid (held, rejected, waiting or missing)."""

    @property
    def planted(self) -> int:
        kinds = self.per_kind["planted"].isin(k.PLANTED_KINDS)
        return int(self.per_kind.loc[kinds, "rows"].sum())

    @property
    def caught(self) -> int:
        kinds = self.per_kind["planted"].isin(k.PLANTED_KINDS)
        return int(self.per_kind.loc[kinds, "caught"].sum())


def _alarming(rule_ids: str) -> bool:
    """Any rule that is not merely informative (LT-PROVISIONAL-RATE-DEMO pays)."""
    for rule_id in filter(None, (r.strip() for r in rule_ids.split(","))):
        try:
            if rule_of(rule_id).severity != Severity.INFO:
                return True
        except KeyError:
            return True
    return False


def _oere(text: object) -> int | None:
    """An outcome file's amount ('17902.48') as exact øre; blank: none."""
    if text is None or pd.isna(text) or str(text).strip() == "":
        return None
    try:
        return to_oere(Decimal(str(text).strip()))
    except InvalidOperation:
        return None


def decided_rows(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One outcome per claim id: the latest row that decided it (a re-run's
    `already_processed` row does not replace the decision)."""
    out = outcomes.copy()
    if "amount_oere" not in out.columns:
        out["amount_oere"] = out["amount"].map(_oere) if "amount" in out else None
    for column in ("claim_id", "outcome", "rule_ids"):
        out[column] = out[column].astype("string").fillna("")
    out["claim_id"] = out["claim_id"].str.removeprefix("'")
    out["amount_oere"] = pd.to_numeric(out["amount_oere"], errors="coerce").astype("Int64")
    deciding = ~out["outcome"].isin(NOT_DECIDED_AGAIN)
    out = pd.concat([out[~deciding], out[deciding]], ignore_index=True)
    out = out.drop_duplicates("claim_id", keep="last")
    return out.loc[:, ["claim_id", "outcome", "amount_oere", "rule_ids"]].reset_index(drop=True)


def score(ground_truth_csv: Path, outcomes: pd.DataFrame) -> LoentilskudScore:
    """Match a night's answer key to outcomes by claim id.

    `outcomes`: claim_id, outcome, rule_ids (comma-separated) and amount_oere; or, as in a
    run's outcomes.csv, `amount` in kroner (the rows of several runs may be given together:
    each claim's latest deciding row counts).
    """
    truth = pd.read_csv(ground_truth_csv, dtype=str, keep_default_na=False)
    merged = truth.merge(decided_rows(outcomes), how="left", on="claim_id")
    merged["found"] = merged["outcome"].notna()
    merged["outcome"] = merged["outcome"].fillna("")
    merged["rule_ids"] = merged["rule_ids"].fillna("")
    merged["caught"] = [_handled(row) for row in merged.itertuples(index=False)]
    per_kind = (
        merged.groupby("planted")
        .agg(rows=("caught", "size"), caught=("caught", "sum"))
        .reset_index()
    )
    planted = merged["planted"].isin(k.PLANTED_KINDS)
    to_pay = merged["planted"].isin([k.CLEAN, *k.LOOKALIKES])
    lookalike = merged["planted"].isin(k.LOOKALIKES)
    stopped = merged["outcome"].isin(STOPPED) | merged["rule_ids"].map(_alarming)
    paid = merged["outcome"].isin(PAID_OUTCOMES)
    expected = pd.to_numeric(merged["expected_amount_oere"], errors="coerce").astype("Int64")
    wrong_amount = to_pay & paid & (merged["amount_oere"].astype("Int64") != expected).fillna(True)
    return LoentilskudScore(
        per_kind=per_kind,
        missed=merged[planted & ~merged["caught"]].reset_index(drop=True),
        lookalikes_stopped=merged[lookalike & stopped].reset_index(drop=True),
        amounts_wrong=merged[wrong_amount].reset_index(drop=True),
        not_paid=merged[to_pay & ~paid].reset_index(drop=True),
    )


def _handled(row: Any) -> bool:
    """Whether one claim of the key came out as it must (see LoentilskudScore.per_kind)."""
    kind, outcome, fired = str(row.planted), str(row.outcome), str(row.rule_ids)
    if kind in k.RULE_KINDS:
        return kind in fired.split(",")
    if kind in k.DATA_ERROR_KINDS:
        return outcome == k.DATA_ERROR
    amount = None if pd.isna(row.amount_oere) else int(row.amount_oere)
    return (
        outcome in PAID_OUTCOMES
        and not _alarming(fired)
        and str(amount) == str(row.expected_amount_oere)
    )


def run_outcomes(data_dir: Path, code: str = RUN_CODE) -> pd.DataFrame:
    """Every outcome row of the robot's runs in a data folder, oldest run first."""
    paths = sorted(
        (Path(data_dir) / "outputs" / "runs").glob(f"{code}-*/outcomes.csv"),
        key=lambda p: (p.stat().st_mtime, p.parent.name),
    )
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths]
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame(columns=["claim_id", "outcome", "amount", "rule_ids"])
    return pd.concat(frames, ignore_index=True)


def summary(data_dir: Path, ground_truth: Path, code: str = RUN_CODE) -> str:
    """The robot's runs in `data_dir` against one night's answer key, as lines to print:
    planted kinds caught, data errors refused, look-alikes held by mistake, clean claims
    and look-alikes not paid, paid amounts that differ from the key's."""
    result = score(ground_truth, run_outcomes(data_dir, code))
    kinds = result.per_kind.set_index("planted")
    rules = kinds[kinds.index.isin(k.RULE_KINDS)]
    errors = kinds[kinds.index.isin(k.DATA_ERROR_KINDS)]
    to_pay = kinds[kinds.index.isin([k.CLEAN, *k.LOOKALIKES])]
    lines = [
        f"Loentilskud against its answer key ({Path(ground_truth).name}): planted errors "
        f"caught {int(rules['caught'].sum())} of {int(rules['rows'].sum())} claims "
        f"({len(rules)} kinds); data errors refused {int(errors['caught'].sum())} of "
        f"{int(errors['rows'].sum())}; clean claims and look-alikes paid as expected "
        f"{int(to_pay['caught'].sum())} of {int(to_pay['rows'].sum())}; look-alikes held by "
        f"mistake: {len(result.lookalikes_stopped)}; paid amounts that differ: "
        f"{len(result.amounts_wrong)}; not paid: {len(result.not_paid)}",
        "  per kind (caught/planted): "
        + ", ".join(
            f"{kind} {int(row.caught)}/{int(row.rows)}"
            for kind, row in kinds.iterrows()
            if kind in k.PLANTED_KINDS or kind in k.LOOKALIKES
        ),
    ]
    for row in result.missed.itertuples(index=False):
        lines.append(
            f"  missed {row.planted}: {row.claim_id} came out {row.outcome or 'not at all'}"
            f" ({row.rule_ids or 'no rule'})"
        )
    for row in result.lookalikes_stopped.itertuples(index=False):
        lines.append(
            f"  look-alike stopped {row.planted}: {row.claim_id} {row.outcome} ({row.rule_ids})"
        )
    for row in result.amounts_wrong.itertuples(index=False):
        got = "none" if pd.isna(row.amount_oere) else format_kroner(int(row.amount_oere))
        lines.append(
            f"  amount differs: {row.claim_id} paid {got} kr., expected "
            f"{format_kroner(int(row.expected_amount_oere))} kr."
        )
    return "\n".join(lines)
