"""The rule catalogue: what each check looks for, how serious it is, what happens.

Severity decides the claim's fate: `reject` stops it with a reason, `hold` sends it to
the control group for a decision, `data_error` means the row could not be trusted at
all, `info` is recorded and the claim is paid. The worst severity of a claim's findings
decides its outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """Ordered from harmless to stopping."""

    INFO = "info"
    HOLD = "hold"
    REJECT = "reject"
    DATA_ERROR = "data_error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.HOLD: 1, Severity.REJECT: 2, Severity.DATA_ERROR: 3}


class Kind(StrEnum):
    """The exception kinds of contracts.md, for caseworkers and the control group."""

    DATA_ERROR = "data_error"
    NOT_ELIGIBLE = "not_eligible"
    SUSPECTED_ERROR = "suspected_error"
    SUSPECTED_FRAUD = "suspected_fraud"


ACTIONS = {
    Severity.INFO: "paid; noted in the run report",
    Severity.HOLD: "held for the control group to decide",
    Severity.REJECT: "rejected with the reason; not paid",
    Severity.DATA_ERROR: "not processed; the source system must correct and resend the row",
}


@dataclass(frozen=True)
class Rule:
    """One check as the catalogue shows it."""

    id: str
    robot: str
    looks_for: str
    severity: Severity
    kind: Kind
    what_happens: str | None = None
    """What happens to the claim, where the severity's usual words would mislead (an
    `info` rule on a file read once pays nothing)."""
    marks_provisional: bool = False
    """Fires when a claim's amount rests on a provisional (carried forward) rate or fee:
    the report says so, whatever the rule's name."""
    missing_from: str | None = None
    """The register whose missing row makes the rule fire: while that register is in doubt
    (its last extract refused, or none received), a claim stopped by such rules alone
    waits for it instead of being decided."""
    compares: tuple[str, ...] = ()
    """The columns of the computed claim (its values and the register rows joined to it)
    the rule compares: kept as JSON evidence with each exception it raises. Empty: the
    robot's `evidence_columns`."""

    @property
    def action(self) -> str:
        return self.what_happens or ACTIONS[self.severity]


_CATALOGUE: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule to the catalogue; ids are unique across all robots."""
    existing = _CATALOGUE.get(rule.id)
    if existing is not None and existing != rule:
        raise ValueError(f"rule id {rule.id} is registered twice with different content")
    _CATALOGUE[rule.id] = rule
    return rule


def rule_maker(robot: str) -> Callable[..., str]:
    """A function that registers one of `robot`'s rules and gives back its id (so a check
    module names its rules as constants: `DEAD = _rule("HT-DEAD", ...)`)."""

    def make(
        rule_id: str,
        looks_for: str,
        severity: Severity,
        kind: Kind,
        *,
        provisional: bool = False,
        missing_from: str | None = None,
        compares: tuple[str, ...] = (),
    ) -> str:
        register(
            Rule(
                rule_id,
                robot,
                looks_for,
                severity,
                kind,
                marks_provisional=provisional,
                missing_from=missing_from,
                compares=compares,
            )
        )
        return rule_id

    return make


def catalogue() -> list[Rule]:
    """Every registered rule, by robot and id."""
    _load_all()
    return sorted(_CATALOGUE.values(), key=lambda r: (r.robot, r.id))


def get(rule_id: str) -> Rule:
    """A rule by id (KeyError names the unknown id)."""
    _load_all()
    return _CATALOGUE[rule_id]


def _load_all() -> None:
    # Importing the rule modules registers their rules. A robot's own rules are registered
    # when its package is imported (robots/<name>/checks.py and quality.py, by its robot.py),
    # which the command line does for every robot and a night does for the one it runs.
    import checks.quality.suites
    import checks.reading  # noqa: F401
