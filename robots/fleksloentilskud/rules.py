"""The fleksloentilskud rules: what each check looks for, how serious it is.

Sources: domain.md 3 (the subsidy) and 8.2 (where flex subsidy goes wrong). The checks
themselves are in `checks.py`; the rules are named here so the catalogue, the demo's
answer key and the checks share one list.
"""

from __future__ import annotations

from checks.rules import Kind, Severity, rule_maker

ROBOT = "fleksloentilskud"

_rule = rule_maker(ROBOT)
R, H, INFO = Severity.REJECT, Severity.HOLD, Severity.INFO
NE, SE, SF, DE = Kind.NOT_ELIGIBLE, Kind.SUSPECTED_ERROR, Kind.SUSPECTED_FRAUD, Kind.DATA_ERROR

OTHER_EMPLOYER = _rule(
    "FL-OTHER-EMPLOYER",
    "Wage in the wage month from an employer other than the fleksjob's (an unreported second "
    "job, S29): held for the control group; the amount already deducts it.",
    H,
    SE,
    compares=("employer_cvr", "other_payers", "wage_oere", "other_wage_oere"),
)
NO_WAGE = _rule(
    "FL-NO-WAGE",
    "No wage reported to eIndkomst for the wage month (or none above zero): the subsidy "
    "presupposes a wage (S22); held, never guessed.",
    H,
    SE,
    compares=("wage_month", "wage_rows", "wage_oere"),
)
JOB_ENDED = _rule(
    "FL-JOB-ENDED",
    "The fleksjob ended before the subsidy month.",
    R,
    NE,
    compares=("start_date", "end_date", "month"),
)
JOB_NOT_BEGUN = _rule(
    "FL-JOB-NOT-BEGUN",
    "The fleksjob begins after the subsidy month.",
    R,
    NE,
    compares=("start_date", "end_date", "month"),
)
DOUBLE_SUPPORT = _rule(
    "FL-DOUBLE-SUPPORT",
    "Another public benefit (other_benefits) covers days of the subsidy month while the job "
    "runs: double support, held for the control group.",
    H,
    SF,
    compares=("benefit", "benefit_start", "benefit_end", "month", "start_date"),
)
DEAD = _rule(
    "FL-DEAD",
    "The citizen died before the subsidy month (CPR status dead).",
    R,
    NE,
    compares=("cit_status", "cit_status_date", "month"),
)
EMIGRATED = _rule(
    "FL-EMIGRATED",
    "The citizen emigrated before the subsidy month (CPR status emigrated).",
    R,
    NE,
    compares=("cit_status", "cit_status_date", "month"),
)
MISSING = _rule(
    "FL-MISSING",
    "The citizen's CPR status is 'missing' (forsvundet), or the citizen is not in the CPR extract.",
    H,
    SF,
    compares=("cit_status", "cit_status_date"),
    missing_from="citizens",
)
HOURS_HIGH = _rule(
    "FL-HOURS-HIGH",
    "Paid hours in the wage month far above the agreed hours (config/checks.toml "
    "[fleksloentilskud] hours_factor times weekly hours x 52/12).",
    H,
    SE,
    compares=("hours", "weekly_hours", "agreed_month_hours"),
)
INCOME_UNREADABLE = _rule(
    "FL-INCOME-UNREADABLE",
    "An eIndkomst row of the citizen's wage month could not be read (a data error on its own "
    "row): the month waits until the row is sent again readable, or a person decides.",
    H,
    DE,
    compares=("wage_month", "unreadable_rows"),
)
PROVISIONAL = _rule(
    "FL-PROVISIONAL-RATE",
    "The year's maximum or wage threshold is provisional (carried forward, no source for the "
    "year): production waits until it is confirmed; demo pays and says so.",
    H,
    SE,
    provisional=True,
    compares=("rate_year", "rate_provisional"),
)
PROVISIONAL_DEMO = _rule(
    "FL-PROVISIONAL-RATE-DEMO",
    "Demo mode only: a provisional rate was used and the month paid; the report says so.",
    INFO,
    SE,
    provisional=True,
    compares=("rate_year", "rate_provisional"),
)
NO_RATE = _rule(
    "FL-NO-RATE",
    "No rate at all for the subsidy month's year (config/rates/<year>.toml).",
    H,
    SE,
    compares=("rate_year",),
)
DUPLICATE_PAID = _rule(
    "FL-DUPLICATE",
    "The same citizen's same month, with the same facts, already paid or approved under "
    "another fleksjob id (a job registered twice).",
    R,
    SE,
    compares=("job_id", "month"),
)
DUPLICATE_HELD = _rule(
    "FL-DUPLICATE-HELD",
    "The same citizen's same month already held under another fleksjob id.",
    H,
    SE,
    compares=("job_id", "month"),
)
CHANGED = _rule(
    "FL-CHANGED",
    "Never fires: a corrected wage month is the month's next version, and the difference is "
    "paid or asked back.",
    H,
    SE,
)
