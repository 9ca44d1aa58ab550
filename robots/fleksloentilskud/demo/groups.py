"""A group of fleksjobs as it arrives: its size, its jobs, and their wage rows and benefits,
with each planted kind's change to them.

Why it is a module of its own: jobs, wages and faults are laid out around the window of
complete wage months of the night a group arrives, so faults land in months that are due;
a first night brings group A, a later night group B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from robots.fleksloentilskud import rules
from robots.fleksloentilskud.demo.kinds import (
    LOOKALIKE_BENEFIT_ENDED,
    LOOKALIKE_PENSION,
    LOOKALIKE_SECOND_PAYER,
    ONE_MONTH_KINDS,
    PLANTED_KINDS,
)
from robots.fleksloentilskud.demo.months import _half_up, first_day, last_day, latest_wage_month
from robots.fleksloentilskud.demo.people import EMPLOYERS, Benefit, Income, Job, Person, _people
from robots.fleksloentilskud.settings import FlexSettings

EXTRA_HISTORY = 2
"""Wage months before the due window that a group's first delivery carries."""
GROUP_A, GROUP_B = 1, 2


BENEFITS_IN_MONTH = ("sygedagpenge", "kontanthjaelp", "ledighedsydelse")


@dataclass(frozen=True)
class _Group:
    """One group of jobs as it arrives: laid out around its anchor (latest wage month)."""

    anchor: int
    first: int
    jobs: tuple[Job, ...]
    people: tuple[Person, ...]
    incomes: tuple[Income, ...]
    benefits: tuple[Benefit, ...]
    targets: dict[str, int]
    """Planted job -> the subsidy month its plant must trip."""
    corrigible: tuple[Job, ...]
    """Clean jobs (no full-time wage, no twin) a later night may correct."""
    plain: tuple[Job, ...]
    """Clean jobs neither twinned nor corrected: a later group may register one again."""


def per_kind(jobs: int, error_rate: float) -> int:
    """Jobs per planted kind in a group: about `error_rate` of it, at least 2 (0: none)."""
    return 0 if error_rate <= 0 else max(2, round(jobs * error_rate))


def enough_jobs(jobs: int, error_rate: float) -> bool:
    """Room for every planted kind, a twin for each duplicate, corrections, a few clean."""
    k = per_kind(jobs, error_rate)
    return jobs >= len(PLANTED_KINDS) * k + 4 * k + 5


def smallest_group(error_rate: float) -> int:
    """The fewest jobs a group can have at this error rate."""
    for jobs in range(1, 100_000):
        if enough_jobs(jobs, error_rate):
            return jobs
    raise ValueError(f"error_rate {error_rate} leaves no room for clean fleksjobs")


def group_sizes(jobs: int, error_rate: float) -> tuple[int, int]:
    """Group A (the first night's jobs) and group B (registered by a later night)."""
    return jobs, max(jobs // 4, smallest_group(error_rate))


def _quarter_hours(hundredths: Decimal) -> int:
    """Hours as payrolls write them: to the quarter hour, in hundredths."""
    return _half_up(hundredths / 25) * 25


def _wage(hours: int, hourly: int) -> int:
    return _half_up(Decimal(hours * hourly) / 100)


def _agreed(job: Job) -> Decimal:
    """Agreed hours in a month, in hundredths: weekly hours x 52 / 12."""
    return Decimal(job.weekly * 52) / 12


def _group(
    seed: int,
    code: int,
    size: int,
    k: int,
    anchor_night: date,
    until: int,
    settings: FlexSettings,
    taken: set[int],
    companies: pd.DataFrame,
    first: int | None = None,
    elder: Sequence[Job] = (),
) -> _Group:
    """Jobs, people, wage rows (from wage month `first` to `until`) and benefits of one
    group; `first` defaults to EXTRA_HISTORY months before the due window's. Every second
    duplicate registers a job of `elder` (an earlier group, paid on an earlier night) again,
    the others a job of this group (decided the same night, under the lower id)."""
    rng = np.random.default_rng([seed, 74, code])
    anchor = latest_wage_month(anchor_night, settings)
    if first is None:
        first = anchor - (settings.months_back - 1) - EXTRA_HISTORY
    planted = [kind for kind in PLANTED_KINDS if kind != rules.DUPLICATE_PAID for _ in range(k)]
    clean = size - len(planted) - k
    if k and clean < 4 * k + 5:
        raise ValueError(f"a group of {size} fleksjobs has no room for {k} of each planted kind")
    plans = [""] * clean + planted
    people = _people(seed, code, plans, taken, anchor)
    plans += [rules.DUPLICATE_PAID] * k  # twins of the first k clean jobs: no person of their own
    draws = rng.integers(0, 2**31, size=(len(plans), 14))
    numbers = rng.permutation(len(plans)) + 1
    for twin in range(k):  # the duplicate's id sorts after its original's
        dup = len(plans) - k + twin
        if numbers[dup] < numbers[twin]:
            numbers[dup], numbers[twin] = numbers[twin], numbers[dup]
    employers = companies["cvr"].to_numpy()[:EMPLOYERS]
    funds = companies["cvr"].to_numpy()[EMPLOYERS:]
    seen: dict[str, int] = {}
    jobs: list[Job] = []
    targets: dict[str, int] = {}
    for j, plan in enumerate(plans):
        u = [int(x) for x in draws[j]]
        if plan == rules.DUPLICATE_PAID:
            twin = j - (len(plans) - k)
            original = elder[twin] if twin % 2 and len(elder) > twin else jobs[twin]
            jobs.append(replace(original, job_id=f"FJ{code}{numbers[j]:05d}", plan=plan))
            targets[jobs[-1].job_id] = anchor + 1
            continue
        nth = seen[plan] = seen.get(plan, -1) + 1
        start = first_day(first) - timedelta(days=u[0] % 3000)
        start = start.replace(day=1) if u[1] % 2 else start
        end = last_day(anchor + 7 + u[2] % 24) if not plan and u[3] % 100 < 15 else None
        target = anchor + 1 - (nth % settings.months_back if plan in ONE_MONTH_KINDS else 0)
        if plan == rules.JOB_NOT_BEGUN:
            start = first_day(anchor + 2) + timedelta(days=u[4] % 10)
        elif plan == LOOKALIKE_BENEFIT_ENDED:
            start, target = first_day(anchor), anchor
        elif plan == rules.JOB_ENDED:
            end = first_day(anchor) + timedelta(days=3 + u[4] % 22)
        benefit_start = None if u[5] % 10 == 0 else start - timedelta(days=30 + u[6] % 1200)
        if plan == LOOKALIKE_BENEFIT_ENDED:
            benefit_start = start - timedelta(days=60 + u[6] % 180)
        visitation = None
        if benefit_start is not None and u[7] % 10 < 7:
            visitation = benefit_start + timedelta(days=u[8] % max((start - benefit_start).days, 1))
        weekly = 600 + (u[9] % 49) * 50
        hourly = 16_000 + u[10] % 10_001
        corrigible = k <= j < 4 * k  # clean, not a duplicate's original: may be corrected
        full_time = None
        if not plan and not corrigible and u[11] % 10 < 4:
            monthly = Decimal(hourly * 37 * 52 * (1000 + u[13] % 101)) / 12 / 1000
            full_time = _half_up(monthly / 100) * 100
        person = people[j]
        jobs.append(
            Job(
                job_id=f"FJ{code}{numbers[j]:05d}",
                cpr=person.cpr,
                employer=int(employers[u[12] % EMPLOYERS]),
                start=start,
                end=end,
                weekly=weekly,
                benefit_start=benefit_start,
                full_time_wage=full_time,
                visitation=visitation,
                hourly=hourly,
                plan=plan,
            )
        )
        if plan:
            targets[jobs[-1].job_id] = target
    incomes, benefits = _rows(seed, code, jobs, people, first, until, targets, employers, funds)
    return _Group(
        anchor=anchor,
        first=first,
        jobs=tuple(sorted(jobs, key=lambda job: job.job_id)),
        people=tuple(people),
        incomes=tuple(incomes),
        benefits=tuple(benefits),
        targets=targets,
        corrigible=tuple(jobs[k : 4 * k]),
        plain=tuple(job for job in jobs[4 * k : clean] if job.full_time_wage is None),
    )


def _rows(
    seed: int,
    code: int,
    jobs: list[Job],
    people: list[Person],
    first: int,
    until: int,
    targets: dict[str, int],
    employers: np.ndarray,
    funds: np.ndarray,
) -> tuple[list[Income], list[Benefit]]:
    """Wage rows month by month (each month its own random stream, so a later night that
    needs more months gets the same earlier ones), then each plant's change to them."""
    stops = {p.cpr: p.status_date for p in people if p.status in ("dead", "emigrated")}
    own = [job for job in jobs if job.plan != rules.DUPLICATE_PAID]
    rows: dict[tuple[int, int, int, str], Income] = {}
    for month in range(first, until + 1):
        factors = np.random.default_rng([seed, 75, code, month]).integers(880, 1061, len(own))
        for job, factor in zip(own, factors, strict=True):
            begin = max(job.start, first_day(month))
            ends = [d for d in (job.end, stops.get(job.cpr), last_day(month)) if d is not None]
            days = (min(ends) - begin).days + 1
            if days <= 0:
                continue
            whole = (last_day(month) - first_day(month)).days + 1
            hours = _quarter_hours(_agreed(job) * int(factor) * days / whole / 1000)
            row = Income(job.cpr, job.employer, month, "wage", _wage(hours, job.hourly), hours)
            rows[row.key] = row
    benefits: list[Benefit] = []
    rng = np.random.default_rng([seed, 77, code])
    for job in own:
        u = [int(x) for x in rng.integers(0, 2**31, size=4)]
        month = targets.get(job.job_id, 0) - 1
        wage_row = rows.get((job.cpr, month, job.employer, "wage"))
        agreed = _agreed(job)
        plan = job.plan
        if plan == rules.OTHER_EMPLOYER:
            at = [int(e) for e in employers].index(job.employer)
            other = int(employers[(at + 1 + u[0] % (EMPLOYERS - 1)) % EMPLOYERS])
            hours = _quarter_hours(agreed / 5)
            row = Income(job.cpr, other, month, "wage", _wage(hours, 15_000 + u[1] % 5_001), hours)
            rows[row.key] = row
        elif plan == rules.NO_WAGE and wage_row is not None:
            if u[0] % 2:  # the employer corrected the month to nothing: a row of 0 kr.
                rows[wage_row.key] = replace(wage_row, amount=0, hours=0)
            else:
                del rows[wage_row.key]
        elif plan == rules.HOURS_HIGH and wage_row is not None:
            hours = _quarter_hours(agreed * (1700 + u[0] % 501) / 1000)
            rows[wage_row.key] = replace(wage_row, amount=_wage(hours, job.hourly), hours=hours)
        elif plan == rules.INCOME_UNREADABLE and wage_row is not None:
            rows[wage_row.key] = replace(wage_row, unreadable=True)
        elif plan in (rules.JOB_NOT_BEGUN, LOOKALIKE_BENEFIT_ENDED):
            # Wage from the employer before the job begins: paid early (a fault), or løn
            # under sygdom in the old job the fleksjob replaces (a look-alike).
            hours = _quarter_hours(agreed * (900 + u[0] % 150) / 1000)
            row = Income(job.cpr, job.employer, month, "wage", _wage(hours, job.hourly), hours)
            rows[row.key] = row
        elif plan in (LOOKALIKE_PENSION, LOOKALIKE_SECOND_PAYER):
            fund = plan == LOOKALIKE_PENSION
            pick = u[0] % (EMPLOYERS - 1)
            payer = int(funds[u[0] % len(funds)] if fund else employers[pick + 1])
            payer = payer if payer != job.employer else int(employers[(pick + 2) % EMPLOYERS])
            amount = 80_000 + u[1] % 520_001 if fund else 30_000 + u[1] % 220_001
            row = Income(job.cpr, payer, month, "pension", amount, None)
            rows[row.key] = row
        if plan == rules.DOUBLE_SUPPORT:
            begin = first_day(month + 1) + timedelta(days=2 + u[2] % 9)
            end = begin + timedelta(days=4 + u[3] % 11)
            kind = BENEFITS_IN_MONTH[u[2] % 3]
            benefits.append(Benefit(job.cpr, kind, begin, end, 100 * (end - begin).days * 950))
        elif plan == LOOKALIKE_BENEFIT_ENDED and job.benefit_start is not None:
            ended = job.start - timedelta(days=1)
            benefits.append(Benefit(job.cpr, "sygedagpenge", job.benefit_start, ended, None))
        elif not plan and u[2] % 4 == 0:  # an earlier spell, ended before the job began
            ended = job.start - timedelta(days=1 + u[3] % 60)
            began = min(job.benefit_start or ended, ended) - timedelta(days=30)
            benefits.append(Benefit(job.cpr, "ledighedsydelse", began, ended, None))
    return sorted(rows.values(), key=lambda r: r.key), benefits
