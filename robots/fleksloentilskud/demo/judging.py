"""What the robot holds after a night, and what it must decide for each month it lists.

Why it is a module of its own: the answer key is not the generator's bookkeeping. Every
month the robot will list is judged by `_judge`, a plain reading of the rules (rules.py,
README "Fleksløntilskud") on the registers as the robot will hold them after the night.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from robots.fleksloentilskud import rules
from robots.fleksloentilskud.demo.groups import _agreed
from robots.fleksloentilskud.demo.kinds import (
    CLEAN,
    LOOKALIKE_BENEFIT_ENDED,
    LOOKALIKE_CPR,
    LOOKALIKE_PENSION,
    LOOKALIKE_SECOND_PAYER,
    RULE_KINDS,
)
from robots.fleksloentilskud.demo.months import first_day, last_day, month_of
from robots.fleksloentilskud.demo.people import Benefit, Income, Job, Person, mod11_holds
from robots.fleksloentilskud.settings import FlexSettings


@dataclass
class _State:
    """The registers as the robot holds them after a night, and tonight's income rows."""

    jobs: list[Job]
    rows: dict[tuple[int, int], list[Income]]
    unreadable: dict[tuple[int, int], list[Income]]
    arrived: set[int]
    """Wage months with rows in tonight's files (their subsidy months are listed again)."""
    twins: dict[str, Job]
    """A job id -> the job registered under a lower id with the same facts (FL-DUPLICATE)."""
    benefits: dict[int, list[Benefit]]
    people: dict[int, Person]
    employers: frozenset[int]
    latest: int


def _state(
    jobs: Iterable[Job],
    before: Iterable[Income],
    tonight: Sequence[Income],
    benefits: Iterable[Benefit],
    people: Iterable[Person],
    employers: frozenset[int],
    latest: int,
) -> _State:
    register: dict[tuple[int, int, int, str], Income] = {}
    unreadable: dict[tuple[int, int], list[Income]] = {}
    for row in [*before, *tonight]:
        if row.unreadable:
            unreadable.setdefault((row.cpr, row.period), []).append(row)
        else:
            register[row.key] = row  # a later row for the same key replaces the earlier
    rows: dict[tuple[int, int], list[Income]] = {}
    for row in register.values():
        rows.setdefault((row.cpr, row.period), []).append(row)
    ordered = sorted(jobs, key=lambda job: job.job_id)
    first_of: dict[tuple[object, ...], Job] = {}
    twins = {
        job.job_id: first_of.setdefault(job.same_job, job)
        for job in ordered
        if first_of.setdefault(job.same_job, job) is not job
    }
    paid: dict[int, list[Benefit]] = {}
    for benefit in benefits:
        paid.setdefault(benefit.cpr, []).append(benefit)
    return _State(
        jobs=ordered,
        rows=rows,
        unreadable=unreadable,
        arrived={row.period for row in tonight},
        twins=twins,
        benefits=paid,
        people={p.cpr: p for p in people},
        employers=employers,
        latest=latest,
    )


def _running(job: Job, month: int) -> bool:
    return job.start <= last_day(month) and (job.end is None or job.end >= first_day(month))


def _listed(state: _State, settings: FlexSettings) -> list[tuple[Job, int]]:
    """The (job, month) pairs the robot lists tonight (robots/fleksloentilskud/months.py):
    the due months, and older ones whose wage month has rows in tonight's files, for each
    job that runs in the month or whose employer paid the citizen wage in the wage month."""
    newest = state.latest + 1
    due = set(range(newest - settings.months_back + 1, newest + 1))
    first = month_of(date.fromisoformat(settings.first_month + "-01"))
    oldest = max(newest - settings.correction_months_back + 1, first)
    months = sorted(m for m in due | {w + 1 for w in state.arrived} if oldest <= m <= newest)
    out = []
    for job in state.jobs:
        for month in months:
            paid = state.rows.get((job.cpr, month - 1), [])
            if _running(job, month) or any(
                r.payer == job.employer and r.income_type == "wage" for r in paid
            ):
                out.append((job, month))
    return out


@dataclass(frozen=True)
class _Verdict:
    fired: tuple[str, ...]
    wage: int
    lookalikes: tuple[str, ...]


def _judge(job: Job, month: int, state: _State, settings: FlexSettings) -> _Verdict:
    """Which rules the month must trip, read plainly from their texts, and its wage."""
    wage_month, start, end = month - 1, first_day(month), last_day(month)
    rows = state.rows.get((job.cpr, wage_month), [])
    wages = [r for r in rows if r.income_type == "wage"]
    total = sum(r.amount for r in wages)
    running = _running(job, month)
    fired: set[str] = set()
    if running and any(r.payer != job.employer for r in wages):
        fired.add(rules.OTHER_EMPLOYER)
    if running and total <= 0:
        fired.add(rules.NO_WAGE)
    if job.end is not None and job.end < start:
        fired.add(rules.JOB_ENDED)
    if job.start > end:
        fired.add(rules.JOB_NOT_BEGUN)
    if running:
        first, last = max(start, job.start), min(end, job.end or end)
        if any(
            b.start <= last and (b.end is None or b.end >= first)
            for b in state.benefits.get(job.cpr, [])
        ):
            fired.add(rules.DOUBLE_SUPPORT)
    person = state.people.get(job.cpr)
    if person is None or person.status == "missing":
        fired.add(rules.MISSING)
    elif person.status_date is not None and person.status_date < start:
        fired |= {rules.DEAD} if person.status == "dead" else set()
        fired |= {rules.EMIGRATED} if person.status == "emigrated" else set()
    hours = sum(r.hours or 0 for r in wages)
    if running and hours > _agreed(job) * settings.hours_factor:
        fired.add(rules.HOURS_HIGH)
    if state.unreadable.get((job.cpr, wage_month)):
        fired.add(rules.INCOME_UNREADABLE)
    twin = state.twins.get(job.job_id)
    if twin is not None:
        held = bool(_judge(twin, month, state, settings).fired)
        fired.add(rules.DUPLICATE_HELD if held else rules.DUPLICATE_PAID)
    return _Verdict(tuple(sorted(fired)), total, _lookalikes(job, month, state))


def _lookalikes(job: Job, month: int, state: _State) -> tuple[str, ...]:
    """What makes a clean month look like a fault (it must be paid all the same)."""
    found = []
    pensions = [
        r
        for r in state.rows.get((job.cpr, month - 1), [])
        if r.income_type == "pension" and r.payer != job.employer
    ]
    if any(r.payer not in state.employers for r in pensions):
        found.append(LOOKALIKE_PENSION)
    if any(r.payer in state.employers for r in pensions):
        found.append(LOOKALIKE_SECOND_PAYER)
    ended = job.start - timedelta(days=1)
    if month == month_of(job.start) and any(
        b.end == ended for b in state.benefits.get(job.cpr, [])
    ):
        found.append(LOOKALIKE_BENEFIT_ENDED)
    if f"{job.cpr:010d}"[:4] == "0101" and not mod11_holds(job.cpr):
        found.append(LOOKALIKE_CPR)
    return tuple(found)


def _label(job: Job, verdict: _Verdict) -> str:
    if verdict.fired:
        if job.plan in verdict.fired:
            return job.plan
        return next(r for r in (*RULE_KINDS, rules.DUPLICATE_HELD) if r in verdict.fired)
    if job.plan in verdict.lookalikes:
        return job.plan
    return verdict.lookalikes[0] if verdict.lookalikes else CLEAN


def _facts(job: Job, month: int, state: _State) -> tuple[object, ...]:
    """What the month is computed from: equal facts, nothing to decide again."""
    rows = state.rows.get((job.cpr, month - 1), [])
    bad = state.unreadable.get((job.cpr, month - 1), [])
    return (
        job.same_job,
        job.benefit_start,
        job.full_time_wage,
        job.visitation,
        tuple(sorted((r.payer, r.income_type, r.amount, r.hours) for r in rows)),
        tuple(sorted(r.key for r in bad)),
    )
