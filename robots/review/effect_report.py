"""The effect report from the ledger's per-case rows: KL's columns per case and benefit,
totals per rule, robot and channel, kroner stopped before payment, the false-alarm rate per
rule, and cases and kroner per month. Pure: rows in, tables out (tested with plain rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from robots import registry
from robots.core import dates

STATUS_WORDS = {
    "open": "åben",
    "taken": "under behandling",
    "awaiting_approval": "afventer godkendelse",
    "decided": "afgjort",
    "superseded": "erstattet af ny version",
}

KL_COLUMNS = (
    "Sag",
    "Kanal",
    "Sagstype",
    "Ydelsestype",
    "Tilbagebetalingskrav (kr.)",
    "Fremadrettet besparelse (kr.)",
    "Videresendt til anden myndighed",
    "Politianmeldt",
    "Status",
)
"""KL's columns of the effect measurement, in its words. Fremadrettet besparelse is here
what the case stopped before it was paid (a held claim stopped); the months of benefit a
stop saves further ahead are not in the ledger and are not guessed."""


@dataclass(frozen=True)
class EffectReport:
    first: date
    last: date
    cases: list[dict[str, Any]]
    per_rule: list[dict[str, Any]]
    per_robot: list[dict[str, Any]]
    per_kanal: list[dict[str, Any]]
    per_month: list[dict[str, Any]]
    totals: dict[str, int]


def build(rows: list[dict[str, Any]], first: date, last: date) -> EffectReport:
    """The report of the cases opened from `first` to `last`."""
    cases = [_kl_row(row) for row in rows]
    per_rule: dict[str, dict[str, Any]] = {}
    for row in rows:
        for rule_id in (row["rule_ids"] or "").split(",") if row["kanal"] == "robot" else []:
            if rule_id:
                _add(per_rule, rule_id, row)
        if row["kanal"] != "robot":
            _add(per_rule, "(opened by hand)", row)
    per_robot: dict[str, dict[str, Any]] = {}
    per_kanal: dict[str, dict[str, Any]] = {}
    per_month: dict[str, dict[str, Any]] = {}
    for row in rows:
        _add(per_robot, row["robot"], row)
        _add(per_kanal, row["kanal"], row)
        _add(per_month, row["opened_at"].astimezone(dates.COPENHAGEN).strftime("%Y-%m"), row)
    totals = {
        "cases": len(rows),
        "decided": sum(1 for r in rows if r["decided"]),
        "recover_oere": sum(r["recover_oere"] for r in rows),
        "stopped_oere": sum(r["stopped_oere"] for r in rows),
        "false_alarms": sum(1 for r in rows if r["decided"] == "false_alarm"),
        "referred_authority": sum(1 for r in rows if r["referred_to"] == "authority"),
        "referred_police": sum(1 for r in rows if r["referred_to"] == "police"),
    }
    return EffectReport(
        first=first,
        last=last,
        cases=cases,
        per_rule=_listed(per_rule, "rule"),
        per_robot=_listed(per_robot, "robot"),
        per_kanal=_listed(per_kanal, "kanal"),
        per_month=_listed(per_month, "month"),
        totals=totals,
    )


def _kl_row(row: dict[str, Any]) -> dict[str, Any]:
    robot = registry.ROBOTS.get(row["robot"])
    return {
        "Sag": row["case_id"],
        "Kanal": row["kanal"],
        "Sagstype": (row["rule_ids"] or "").replace(",", ", ")
        if row["kanal"] == "robot"
        else "tip",
        "Ydelsestype": robot.title if robot is not None else row["robot"],
        "Tilbagebetalingskrav (kr.)": row["recover_oere"],
        "Fremadrettet besparelse (kr.)": row["stopped_oere"],
        "Videresendt til anden myndighed": "ja" if row["referred_to"] == "authority" else "nej",
        "Politianmeldt": "ja" if row["referred_to"] == "police" else "nej",
        "Status": STATUS_WORDS.get(row["status"], row["status"])
        + (f" ({row['decided'].replace('_', ' ')})" if row["decided"] else ""),
    }


def _add(groups: dict[str, dict[str, Any]], key: str, row: dict[str, Any]) -> None:
    group = groups.setdefault(
        key,
        {"cases": 0, "decided": 0, "false_alarms": 0, "recover_oere": 0, "stopped_oere": 0},
    )
    group["cases"] += 1
    group["decided"] += 1 if row["decided"] else 0
    group["false_alarms"] += 1 if row["decided"] == "false_alarm" else 0
    group["recover_oere"] += row["recover_oere"]
    group["stopped_oere"] += row["stopped_oere"]


def _listed(groups: dict[str, dict[str, Any]], name: str) -> list[dict[str, Any]]:
    out = []
    for key in sorted(groups):
        group = dict(groups[key])
        decided = group["decided"]
        # The false-alarm rate is of decided cases: an open case has not been judged yet.
        group["false_alarm_percent"] = (
            round(100 * group["false_alarms"] / decided, 1) if decided else None
        )
        out.append({name: key, **group})
    return out
