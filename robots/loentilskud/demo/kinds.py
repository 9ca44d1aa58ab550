"""What the answer key can say about a claim: the planted kinds, the look-alikes, the data
errors, the outcomes, and the key's columns.

Why it is a module of its own: the layout plants these kinds, the judge labels claims with
them, the night writes them in the key and the score reads them back; all four need the
same words, and none of them should import the others for it.
"""

from __future__ import annotations

from robots.loentilskud import rules

ROBOT = rules.ROBOT
TRUTH_COLUMNS = (
    "night",
    "claim_id",
    "agreement_id",
    "file",
    "line",
    "planted",
    "expected_outcome",
    "expected_rule",
    "expected_amount_oere",
    "note",
)

CLEAN = "CLEAN"
LOOKALIKE_CONSECUTIVE = "LOOKALIKE-CONSECUTIVE-MONTHS"
"""The month after a month already claimed under the same agreement: touching, not overlapping."""
LOOKALIKE_BENEFIT_ENDED = "LOOKALIKE-BENEFIT-ENDED"
"""Another benefit ended the day before the agreement began."""
LOOKALIKE_MAX_DURATION = "LOOKALIKE-EXACT-MAX-DURATION"
"""A private dagpenge agreement of exactly six months, claimed to its last allowed day."""
LOOKALIKE_HOURS_AT_CAP = "LOOKALIKE-HOURS-AT-CAP"
"""Hours claimed exactly at the cap (weekly hours x covered days / 7, rounded down)."""
LOOKALIKE_BANKRUPT_AFTER = "LOOKALIKE-BANKRUPT-AFTER"
"""The employer went bankrupt after the claimed period."""
LOOKALIKES = (
    LOOKALIKE_CONSECUTIVE,
    LOOKALIKE_BENEFIT_ENDED,
    LOOKALIKE_MAX_DURATION,
    LOOKALIKE_HOURS_AT_CAP,
    LOOKALIKE_BANKRUPT_AFTER,
)
"""Claims that look like a fault and must be paid, with no alarm."""

DATA_NEGATIVE_HOURS = "DATA-NEGATIVE-HOURS"
DATA_PERIOD_REVERSED = "DATA-PERIOD-REVERSED"
DATA_IMPOSSIBLE_DATE = "DATA-IMPOSSIBLE-DATE"
DATA_BAD_CVR = "DATA-CVR-CHECK-DIGIT"
DATA_ERROR_RULES = {
    DATA_NEGATIVE_HOURS: "DQ-SUB-HOURS",
    DATA_PERIOD_REVERSED: "DQ-SUB-PERIOD",
    DATA_IMPOSSIBLE_DATE: "READ-VALUE",
    DATA_BAD_CVR: "DQ-SUB-EMPLOYER-CVR",
}
"""Rows no check may trust, and the rule that must refuse each (robots/loentilskud/quality.py;
a date that does not exist cannot be read at all)."""
DATA_ERROR_KINDS = tuple(DATA_ERROR_RULES)

RULE_KINDS = (
    rules.NO_AGREEMENT,
    rules.OTHER_EMPLOYER,
    rules.OUTSIDE_AGREEMENT,
    rules.PARTLY_OUTSIDE,
    rules.EMPLOYER_GONE,
    rules.EMPLOYER_ENDING,
    rules.OVERLAP,
    rules.HOURS_ABOVE_AGREED,
    rules.DURATION,
    rules.DEAD,
    rules.EMIGRATED,
    rules.CITIZEN_ENDING,
    rules.IN_FLEKSJOB,
    rules.OTHER_BENEFIT,
    rules.TWO_YEARS,
    rules.DUPLICATE_PAID,
)
"""Planted kinds a cross-check must catch: the rule id is the kind (every rule of rules.py
but the provisional-rate, no-rate, changed and held-duplicate ones)."""
PLANTED_KINDS = (*RULE_KINDS, *DATA_ERROR_KINDS)
SECOND_NIGHT_KINDS = frozenset({rules.DUPLICATE_PAID})
"""Kinds that need a claim paid on an earlier night: planted on a night after the first only."""

REJECTING = frozenset(
    {
        rules.OUTSIDE_AGREEMENT,
        rules.EMPLOYER_GONE,
        rules.DEAD,
        rules.EMIGRATED,
        rules.DUPLICATE_PAID,
    }
)
"""The rules whose severity is reject (rules.py); every other rule the demo plants holds.
Stated here rather than asked of the catalogue, which loads every data-quality suite (and
great-expectations) first; the tests hold the two equal."""

PAID, HELD, REJECTED, DATA_ERROR = "paid", "held", "rejected", "data_error"
"""Expected outcomes (a run's outcomes.csv says `approved` too for a paid claim)."""
