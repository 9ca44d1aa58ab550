"""The loentilskud rules: what each check looks for, how serious it is.

Sources: domain.md 4 (the subsidy: BEK § 88, the duration limits of STAR S53) and 8.2
(where wage subsidy goes wrong: hours never worked or paid, agreements that ended,
companies that are gone, the same hours claimed twice). The checks are in checks.py; the
rules are named here so the catalogue, the demo's answer key and the checks share one list.
"""

from __future__ import annotations

from checks.rules import Kind, Severity, rule_maker

ROBOT = "loentilskud"

_rule = rule_maker(ROBOT)
R, H, INFO = Severity.REJECT, Severity.HOLD, Severity.INFO
NE, SE, SF = Kind.NOT_ELIGIBLE, Kind.SUSPECTED_ERROR, Kind.SUSPECTED_FRAUD

NO_AGREEMENT = _rule(
    "LT-NO-AGREEMENT",
    "The claim names an agreement the job centre does not have (subsidy_agreements): no "
    "subsidy without a written agreement approved before the start (S53).",
    H,
    SF,
    missing_from="subsidy_agreements",
    compares=("agreement_id", "employer_cvr"),
)
OTHER_EMPLOYER = _rule(
    "LT-OTHER-EMPLOYER",
    "The claim comes from a CVR that is not the agreement's employer.",
    H,
    SF,
    compares=("employer_cvr", "agr_employer_cvr", "agreement_id"),
)
OUTSIDE_AGREEMENT = _rule(
    "LT-OUTSIDE-AGREEMENT",
    "The claimed period lies wholly outside the agreement's dates: nothing is owed.",
    R,
    NE,
    compares=("period_start", "period_end", "agr_start", "agr_end"),
)
PARTLY_OUTSIDE = _rule(
    "LT-PARTLY-OUTSIDE",
    "Part of the claimed period lies outside the agreement's dates: only the days inside "
    "count (the capped amount is what could be paid); a person decides.",
    H,
    SE,
    compares=("period_start", "period_end", "agr_start", "agr_end", "covered_days"),
)
EMPLOYER_GONE = _rule(
    "LT-EMPLOYER-GONE",
    "The employer was bankrupt, closed or in liquidation (CVR) before the claimed period.",
    R,
    NE,
    compares=("employer_cvr", "comp_status", "comp_status_date", "period_start"),
)
EMPLOYER_ENDING = _rule(
    "LT-EMPLOYER-ENDING",
    "The employer went bankrupt, closed or into liquidation during the claimed period, or "
    "is not in the CVR extract: a person decides.",
    H,
    SF,
    missing_from="companies",
    compares=("employer_cvr", "comp_status", "comp_status_date", "period_start", "period_end"),
)
OVERLAP = _rule(
    "LT-OVERLAP",
    "The period overlaps an earlier claim under the same agreement (paid, held, or earlier "
    "tonight): the same hours claimed twice.",
    H,
    SF,
    compares=("agreement_id", "period_start", "period_end", "overlap_claim_id"),
)
HOURS_ABOVE_AGREED = _rule(
    "LT-HOURS-ABOVE-AGREED",
    "More hours claimed than the agreement's weekly hours allow for the period's weeks: held; "
    "the amount computed is on the capped hours, what could be paid.",
    H,
    SE,
    compares=("hours", "weekly_hours", "covered_days", "capped_hours"),
)
DURATION = _rule(
    "LT-DURATION",
    "The period runs beyond the legal maximum for the sector and target group counted from "
    "the agreement's start (private 6 months; public 4 for dagpenge; config/checks.toml "
    "[loentilskud.max_months], S53/S54); exactly the maximum is allowed.",
    H,
    NE,
    compares=("sector", "target_group", "agr_start", "duration_limit_end", "period_end"),
)
DEAD = _rule(
    "LT-DEAD",
    "The person employed with subsidy died before the claimed period (CPR status dead).",
    R,
    NE,
    compares=("cit_status", "cit_status_date", "period_start"),
)
EMIGRATED = _rule(
    "LT-EMIGRATED",
    "The person emigrated before the claimed period (CPR status emigrated).",
    R,
    NE,
    compares=("cit_status", "cit_status_date", "period_start"),
)
CITIZEN_ENDING = _rule(
    "LT-CITIZEN-ENDING",
    "The person died, emigrated or went missing during the claimed period, or is not in "
    "the CPR extract: a person decides.",
    H,
    SF,
    missing_from="citizens",
    compares=("cit_status", "cit_status_date", "period_start", "period_end"),
)
IN_FLEKSJOB = _rule(
    "LT-IN-FLEKSJOB",
    "The person is in a fleksjob (flex_jobs) during the claimed period: two wage subsidies "
    "for one person.",
    H,
    SF,
    compares=("flex_job_id", "flex_start", "flex_end", "period_start", "period_end"),
)
OTHER_BENEFIT = _rule(
    "LT-OTHER-BENEFIT",
    "The person received another public benefit (other_benefits) for days of the claimed "
    "period: double support.",
    H,
    SF,
    compares=("benefit", "benefit_start", "benefit_end", "period_start", "period_end"),
)
TWO_YEARS = _rule(
    "LT-TWO-YEARS",
    "The claimed period spans two calendar years, whose hourly rates differ: computed on "
    "the first year's rate; a person splits it.",
    H,
    SE,
    compares=("period_start", "period_end", "rate_year"),
)
PROVISIONAL = _rule(
    "LT-PROVISIONAL-RATE",
    "The year's hourly rate is provisional (2024-2026 are NOT FOUND, carried forward from "
    "2023): production holds until it is confirmed; demo pays and says so.",
    H,
    SE,
    provisional=True,
    compares=("rate_year", "rate_provisional", "sector"),
)
PROVISIONAL_DEMO = _rule(
    "LT-PROVISIONAL-RATE-DEMO",
    "Demo mode only: a provisional hourly rate was used and the claim paid; the report says so.",
    INFO,
    SE,
    provisional=True,
    compares=("rate_year", "rate_provisional", "sector"),
)
NO_RATE = _rule(
    "LT-NO-RATE",
    "No hourly rate for the period's year and the employer's sector (config/rates/<year>.toml), "
    "or the employer's sector is unknown.",
    H,
    SE,
    compares=("rate_year", "sector"),
)
DUPLICATE_PAID = _rule(
    "LT-DUPLICATE",
    "The same claim (agreement, employer, period and hours) already paid or approved under "
    "another claim id.",
    R,
    SE,
    compares=("agreement_id", "period_start", "period_end", "hours"),
)
DUPLICATE_HELD = _rule(
    "LT-DUPLICATE-HELD",
    "The same claim already held under another claim id.",
    H,
    SE,
    compares=("agreement_id", "period_start", "period_end", "hours"),
)
CHANGED = _rule(
    "LT-CHANGED",
    "A claim id already decided, sent again with other content: held for a person (the "
    "claim as first decided stands).",
    H,
    SE,
    compares=("agreement_id", "period_start", "period_end", "hours"),
)
