"""What a caseworker would check first about a claim of the answer key, in one line.

Why it is a module of its own: the note names the facts each planted kind turns on (dates,
hours, statuses, the claim it repeats) from the registers the demo writes, which is a
table of small texts the night itself need not hold. No CPR number is ever written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeAlias

from robots.core.money import format_kroner
from robots.loentilskud import rules
from robots.loentilskud.demo import kinds as k
from robots.loentilskud.demo import terms as t
from robots.loentilskud.demo.cast import Agreement, Cast, Claim
from robots.loentilskud.demo.judging import Verdict
from robots.loentilskud.demo.people import Employer

Places: TypeAlias = dict[int, tuple[int, str, str, int]]
"""Claim order -> (night, claim id, file name, line)."""


def _h(hundredths: int) -> str:
    return format_kroner(hundredths)


def _span(first: date, last: date) -> str:
    return f"{first} to {last}"


def note(claim: Claim, verdict: Verdict, cast: Cast, places: Places) -> str:
    """One line: the facts the claim's kind turns on, and for a claim to be paid, its sum."""
    agreement = next((a for a in cast.agreements if a.agreement_id == claim.agreement_id), None)
    text = _facts(claim, verdict, cast, places, agreement)
    if verdict.amount is not None and verdict.rate is not None:
        sum_text = (
            f"{verdict.sector} {claim.start.year} rate {format_kroner(verdict.rate)} kr."
            f"{' (provisional, demo pays)' if t.provisional(claim.start.year) else ''} x "
            f"{_h(min(claim.hours, verdict.cap))} h (cap {_h(verdict.cap)} h over "
            f"{verdict.covered} days) = {format_kroner(verdict.amount)} kr."
        )
        text = f"{text}; {sum_text}" if text else sum_text
    also = [r for r in verdict.fired if r != claim.plan and claim.plan not in k.DATA_ERROR_KINDS]
    return text + (f" (also {', '.join(also)})" if also else "")


def _facts(
    claim: Claim, verdict: Verdict, cast: Cast, places: Places, agreement: Agreement | None
) -> str:
    plan = claim.plan
    period = _span(claim.start, claim.end)
    employer = next((e for e in cast.employers if e.cvr == claim.employer), None)
    said: dict[str, Callable[[], str]] = {
        rules.NO_AGREEMENT: lambda: f"agreement {claim.agreement_id} is not in the register",
        k.DATA_NEGATIVE_HOURS: lambda: f"hours {_h(claim.hours)}: below 0",
        k.DATA_PERIOD_REVERSED: lambda: f"period_end {claim.end} before period_start {claim.start}",
        k.DATA_IMPOSSIBLE_DATE: lambda: f"period_end is 30 February {claim.end.year}",
        k.DATA_BAD_CVR: lambda: f"employer_cvr {claim.employer:08d} has a wrong check digit",
        rules.DUPLICATE_PAID: lambda: (
            f"same agreement, employer, period and hours as {_place(places, claim.copy_of)}, paid"
        ),
        rules.OVERLAP: lambda: f"period {period} overlaps {_overlapped(claim, cast, places)}",
        rules.TWO_YEARS: lambda: f"period {period} spans two years",
    }
    if plan in said:
        return said[plan]()
    if agreement is None:
        return ""
    months = t.max_months(verdict.sector or "private", agreement.target_group)
    status = next(p for p in cast.people if p.cpr == agreement.cpr)
    facts: dict[str, Callable[[], str]] = {
        rules.OTHER_EMPLOYER: lambda: (
            f"claimed by CVR {claim.employer:08d}; agreement with CVR {agreement.employer:08d}"
        ),
        rules.OUTSIDE_AGREEMENT: lambda: (
            f"period {period}; agreement {_span(agreement.start, agreement.end)}"
        ),
        rules.PARTLY_OUTSIDE: lambda: (
            f"period {period}; agreement {_span(agreement.start, agreement.end)}: "
            f"{verdict.covered} days inside"
        ),
        rules.EMPLOYER_GONE: lambda: _employer_text(employer),
        rules.EMPLOYER_ENDING: lambda: _employer_text(employer),
        k.LOOKALIKE_BANKRUPT_AFTER: lambda: f"{_employer_text(employer)}, after {claim.end}",
        rules.HOURS_ABOVE_AGREED: lambda: (
            f"{_h(claim.hours)} h claimed; {_h(agreement.weekly)} a week allow "
            f"{_h(verdict.cap)} h over {verdict.covered} days"
        ),
        k.LOOKALIKE_HOURS_AT_CAP: lambda: f"{_h(claim.hours)} h claimed, exactly the cap",
        rules.DURATION: lambda: _duration_text(agreement, verdict, months, claim),
        k.LOOKALIKE_MAX_DURATION: lambda: _duration_text(agreement, verdict, months, claim),
        rules.DEAD: lambda: f"CPR status {status.status} since {status.status_date}",
        rules.EMIGRATED: lambda: f"CPR status {status.status} since {status.status_date}",
        rules.CITIZEN_ENDING: lambda: f"CPR status {status.status} since {status.status_date}",
        rules.IN_FLEKSJOB: lambda: "; ".join(
            f"in fleksjob {j.job_id} {_span(j.start, j.end)}"
            for j in cast.flex_jobs
            if j.cpr == agreement.cpr
        ),
        rules.OTHER_BENEFIT: lambda: _benefits_text(cast, agreement),
        k.LOOKALIKE_BENEFIT_ENDED: lambda: (
            f"{_benefits_text(cast, agreement)}; agreement from {agreement.start}"
        ),
        k.LOOKALIKE_CONSECUTIVE: lambda: (
            f"period {period} follows {_previous(claim, cast, places)}"
        ),
    }
    return facts[plan]() if plan in facts else ""


def _place(places: Places, order: int | None) -> str:
    if order is None or order not in places:
        return "an earlier claim"
    night, claim_id, name, line = places[order]
    return f"{claim_id} ({name} line {line}, night {night})"


def _overlapped(claim: Claim, cast: Cast, places: Places) -> str:
    earlier = [
        c
        for c in cast.claims
        if c.agreement_id == claim.agreement_id
        and c.order != claim.order
        and c.start <= claim.end
        and claim.start <= c.end
        and (c.night, c.start, c.order) < (claim.night, claim.start, claim.order)
    ]
    return ", ".join(f"{_place(places, c.order)} {_span(c.start, c.end)}" for c in earlier)


def _previous(claim: Claim, cast: Cast, places: Places) -> str:
    before = [
        c for c in cast.claims if c.agreement_id == claim.agreement_id and c.end < claim.start
    ]
    return ", ".join(f"{_place(places, c.order)} {_span(c.start, c.end)}" for c in before)


def _employer_text(employer: Employer | None) -> str:
    if employer is None:
        return "employer not in the CVR extract"
    return f"employer {employer.status} since {employer.status_date}"


def _duration_text(agreement: Agreement, verdict: Verdict, months: int, claim: Claim) -> str:
    return (
        f"{verdict.sector} {agreement.target_group}: {months} months from {agreement.start}, "
        f"at most until {t.duration_end(agreement.start, months)}; period ends {claim.end}"
    )


def _benefits_text(cast: Cast, agreement: Agreement) -> str:
    return "; ".join(
        f"{b.benefit} {_span(b.start, b.end)}" for b in cast.benefits if b.cpr == agreement.cpr
    )
