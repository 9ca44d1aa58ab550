"""What each claim of a night must come to: the rules it trips, its outcome and its amount.

Why it is a module of its own: the answer key is not the generator's bookkeeping. Every
claim is judged by `judge_night`, a plain reading of the rules (rules.py, README
"Løntilskud") on the registers as the demo writes them and the claims that stand from
earlier nights; the night then checks that each planted claim trips its rule and that no
clean claim or look-alike trips any.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from robots.loentilskud import rules
from robots.loentilskud.demo import kinds as k
from robots.loentilskud.demo import terms as t
from robots.loentilskud.demo.cast import Agreement, Cast, Claim

GONE = ("bankrupt", "closed", "liquidation")


@dataclass(frozen=True)
class Verdict:
    """What a claim must come to."""

    fired: tuple[str, ...]
    """The rules that stop it (info rules, which pay, are not listed)."""
    outcome: str
    amount: int | None
    """Øre, for a claim to be paid."""
    covered: int
    cap: int
    rate: int | None
    sector: str | None


@dataclass(frozen=True)
class _Registers:
    agreements: dict[str, Agreement]
    sectors: dict[int, str]
    companies: dict[int, tuple[str, date]]
    citizens: dict[int, tuple[str, date | None]]
    flex_jobs: dict[int, list[tuple[date, date]]]
    benefits: dict[int, list[tuple[date, date]]]


def _registers(cast: Cast) -> _Registers:
    flex: dict[int, list[tuple[date, date]]] = {}
    for job in cast.flex_jobs:
        flex.setdefault(job.cpr, []).append((job.start, job.end))
    paid: dict[int, list[tuple[date, date]]] = {}
    for benefit in cast.benefits:
        paid.setdefault(benefit.cpr, []).append((benefit.start, benefit.end))
    return _Registers(
        agreements={a.agreement_id: a for a in cast.agreements},
        sectors={e.cvr: e.sector for e in cast.employers},
        companies={e.cvr: (e.status, e.status_date) for e in cast.employers},
        citizens={p.cpr: (p.status, p.status_date) for p in cast.people},
        flex_jobs=flex,
        benefits=paid,
    )


def _overlaps(a: Claim, b: Claim) -> bool:
    return a.start <= b.end and b.start <= a.end


def _content(claim: Claim) -> tuple[object, ...]:
    """What makes a claim under a new id the same claim (LT-DUPLICATE)."""
    return (claim.agreement_id, claim.employer, claim.start, claim.end, claim.hours)


def judge_night(
    cast: Cast, night: int, standing: Mapping[int, Verdict] | None = None
) -> dict[int, Verdict]:
    """Each claim of `night` (by `order`) judged; `standing`: the verdicts of earlier
    nights' claims (those paid or held count against tonight's)."""
    registers = _registers(cast)
    earlier = standing or {}
    before = [
        c
        for c in cast.claims
        if c.order in earlier and earlier[c.order].outcome in (k.PAID, k.HELD)
    ]
    tonight = [c for c in cast.claims if c.night == night]
    out: dict[int, Verdict] = {}
    for claim in tonight:
        if claim.plan in k.DATA_ERROR_KINDS:
            out[claim.order] = Verdict(
                (k.DATA_ERROR_RULES[claim.plan],), k.DATA_ERROR, None, 0, 0, None, None
            )
            continue
        rivals = [
            c
            for c in tonight
            if c.plan not in k.DATA_ERROR_KINDS and (c.start, c.order) < (claim.start, claim.order)
        ]
        paid = [c for c in before if earlier[c.order].outcome == k.PAID]
        out[claim.order] = _judge(claim, registers, [*before, *rivals], paid)
    return out


def _judge(
    claim: Claim, registers: _Registers, earlier: Sequence[Claim], paid: Sequence[Claim]
) -> Verdict:
    """The rules' texts, read plainly, on one claim."""
    fired: set[str] = set()
    start, end = claim.start, claim.end
    company = registers.companies.get(claim.employer)
    if company is None:
        fired.add(rules.EMPLOYER_ENDING)
    elif company[0] in GONE and company[1] < start:
        fired.add(rules.EMPLOYER_GONE)
    elif company[0] in GONE and company[1] <= end:
        fired.add(rules.EMPLOYER_ENDING)
    if start.year != end.year:
        fired.add(rules.TWO_YEARS)
    sector = registers.sectors.get(claim.employer)
    rate = t.hourly_oere(sector, start.year)
    agreement = registers.agreements.get(claim.agreement_id)
    covered = cap = 0
    if agreement is None:
        fired.add(rules.NO_AGREEMENT)
    else:
        covered = t.covered_days(start, end, agreement.start, agreement.end)
        cap = t.cap_hundredths(agreement.weekly, covered)
        fired |= _against_agreement(claim, agreement, covered, cap, sector)
        fired |= _against_person(claim, agreement, covered, registers)
    if any(c.agreement_id == claim.agreement_id and _overlaps(c, claim) for c in earlier):
        fired.add(rules.OVERLAP)
    if any(_content(c) == _content(claim) for c in paid):
        fired.add(rules.DUPLICATE_PAID)
    if rate is None:
        fired.add(rules.NO_RATE)
    outcome = k.REJECTED if fired & k.REJECTING else k.HELD if fired else k.PAID
    amount = t.amount_oere(rate, claim.hours, cap) if outcome == k.PAID and rate else None
    return Verdict(tuple(sorted(fired)), outcome, amount, covered, cap, rate, sector)


def _against_agreement(
    claim: Claim, agreement: Agreement, covered: int, cap: int, sector: str | None
) -> set[str]:
    fired = set()
    if claim.employer != agreement.employer:
        fired.add(rules.OTHER_EMPLOYER)
    if covered == 0:
        fired.add(rules.OUTSIDE_AGREEMENT)
    elif claim.start < agreement.start or claim.end > agreement.end:
        fired.add(rules.PARTLY_OUTSIDE)
    if covered > 0 and claim.hours > cap:
        fired.add(rules.HOURS_ABOVE_AGREED)
    months = t.max_months(sector or "private", agreement.target_group)
    if claim.end > t.duration_end(agreement.start, months):
        fired.add(rules.DURATION)
    return fired


def _against_person(
    claim: Claim, agreement: Agreement, covered: int, registers: _Registers
) -> set[str]:
    """The person's CPR status, fleksjobs and other benefits; the days compared are those
    inside the agreement (the whole period where none is)."""
    fired = set()
    status, since = registers.citizens.get(agreement.cpr, ("unknown", None))
    if status == "unknown" or status == "missing":
        fired.add(rules.CITIZEN_ENDING)
    elif status in ("dead", "emigrated") and since is not None:
        if since < claim.start:
            fired.add(rules.DEAD if status == "dead" else rules.EMIGRATED)
        elif since <= claim.end:
            fired.add(rules.CITIZEN_ENDING)
    first, last = claim.start, claim.end
    if covered:
        first, last = max(first, agreement.start), min(last, agreement.end)
    if any(s <= last and e >= first for s, e in registers.flex_jobs.get(agreement.cpr, [])):
        fired.add(rules.IN_FLEKSJOB)
    if any(s <= last and e >= first for s, e in registers.benefits.get(agreement.cpr, [])):
        fired.add(rules.OTHER_BENEFIT)
    return fired
