"""Hits a person marked a false alarm do not hold a claim again on the same facts.

When the control group marks a case a false alarm, the ledger remembers each rule that
held it with the claim's subject (the person's CPR, else the payee) and the values the rule
compared (robots.core.ledger.case_decisions). Tonight, a finding of the same rule on the
same subject whose compared values are the same is that hit again: it is dropped from the
claim's decision and noted as KNOWN-FALSE-ALARM (info, paid), naming the rule and the event
that marked it. Any changed value is a new fact and holds the claim as before.

Only findings of rules with a remembered false alarm on a remembered subject have their
evidence built: a night with none costs one small query.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from checks.reading import KNOWN_FALSE_ALARM
from robots.core.ledger import case_decisions
from robots.core.pipeline.exceptions import mask_messages
from robots.core.pipeline.recording import finding_evidence
from robots.core.robot import Robot


def without_known_false_alarms(
    engine: Engine, robot: Robot, computed: pd.DataFrame, findings: pd.DataFrame
) -> pd.DataFrame:
    """The findings less the hits a person already found false on the same facts, each of
    those replaced by a KNOWN-FALSE-ALARM note on the same claim."""
    if not len(findings):
        return findings
    with engine.connect() as connection:
        known = case_decisions.known_false_alarms(connection=connection, robot=robot.name)
    if not known:
        return findings
    subjects = _subjects(computed)
    rule_ids = findings["rule_id"].astype(str).to_numpy()
    rows = findings["row"].to_numpy()
    finding_subjects = subjects.reindex(rows).to_numpy()
    pairs = {(rule_id, subject) for rule_id, subject, _, _ in known}
    # First by rule in arrays, then by subject among the few left.
    at = np.flatnonzero(np.isin(rule_ids, sorted({p[0] for p in pairs})))
    at = np.array([i for i in at if (rule_ids[i], finding_subjects[i]) in pairs], dtype=np.int64)
    if not len(at):
        return findings
    evidence = mask_messages(
        pd.Series(finding_evidence(computed, findings.iloc[at], robot), dtype="string")
    )
    events = {(r, s, f): e for r, s, f, e in known}
    matched: list[int] = []
    notes: list[dict[str, object]] = []
    for position, text in zip(at, evidence.to_numpy(), strict=True):
        rule_id, subject = rule_ids[position], finding_subjects[position]
        event_id = events.get((rule_id, subject, case_decisions.facts_of(text)))
        if event_id is None:
            continue
        matched.append(int(position))
        notes.append(
            {
                "row": rows[position],
                "rule_id": KNOWN_FALSE_ALARM.id,
                "message": f"{rule_id} found the same facts a person marked a false alarm "
                f"(event {event_id}): not held for it again",
            }
        )
    if not matched:
        return findings
    kept = findings.drop(index=findings.index[matched])
    return pd.concat(
        [kept, pd.DataFrame(notes).astype(findings.dtypes.to_dict())], ignore_index=True
    )


def _subjects(computed: pd.DataFrame) -> pd.Series:
    """Whom each claim is about: the person's CPR where the claim has one, else the payee."""
    payee = computed["payee_id"].astype("string")
    if "cpr" not in computed:
        return payee
    return computed["cpr"].astype("string").fillna(payee)
