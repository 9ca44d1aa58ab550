"""What the answer key can say about a month: the planted kinds, the look-alikes, the
corrections, and the key's columns.

Why it is a module of its own: the groups plant these kinds, the judge labels months with
them, the night writes them in the key and the score reads them back; all four need the
same words, and none of them should import the others for it.
"""

from __future__ import annotations

from robots.fleksloentilskud import rules

ROBOT = rules.ROBOT
TRUTH_COLUMNS = ("night", "job_id", "month", "planted", "expected_amount_oere", "note")
CLEAN = "CLEAN"
LOOKALIKE_PENSION = "LOOKALIKE-PENSION"
LOOKALIKE_BENEFIT_ENDED = "LOOKALIKE-BENEFIT-ENDED"
LOOKALIKE_CPR = "LOOKALIKE-CPR-NO-MOD11"
LOOKALIKE_SECOND_PAYER = "LOOKALIKE-SECOND-PAYER-PENSION"
LOOKALIKES = (LOOKALIKE_PENSION, LOOKALIKE_BENEFIT_ENDED, LOOKALIKE_CPR, LOOKALIKE_SECOND_PAYER)
"""Months that look like a fault and must be paid, with no alarm."""
CORRECTION_UP, CORRECTION_DOWN, REDELIVERY_SAME = (
    "CORRECTION-UP",
    "CORRECTION-DOWN",
    "REDELIVERY-SAME",
)
HISTORY_KINDS = (CORRECTION_UP, CORRECTION_DOWN, REDELIVERY_SAME)
"""Planted on a night after the first: group A's past wage months sent again."""
RULE_KINDS = (
    rules.OTHER_EMPLOYER,
    rules.NO_WAGE,
    rules.JOB_ENDED,
    rules.JOB_NOT_BEGUN,
    rules.DOUBLE_SUPPORT,
    rules.DEAD,
    rules.EMIGRATED,
    rules.MISSING,
    rules.HOURS_HIGH,
    rules.INCOME_UNREADABLE,
    rules.DUPLICATE_PAID,
)
"""Planted kinds: the rule that must catch the month (also the label's order of precedence)."""
PLANTED_KINDS = (*RULE_KINDS, *LOOKALIKES)
ONE_MONTH_KINDS = frozenset(
    {
        rules.OTHER_EMPLOYER,
        rules.NO_WAGE,
        rules.DOUBLE_SUPPORT,
        rules.HOURS_HIGH,
        rules.INCOME_UNREADABLE,
        LOOKALIKE_PENSION,
        LOOKALIKE_SECOND_PAYER,
    }
)
"""Kinds whose fault touches one month only: spread over the due months. The others touch
every month after theirs (a death, a job that ended) and are put in the newest month."""
