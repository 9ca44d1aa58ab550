"""Demo nights for the fleksloentilskud robot: fleksjobs, eIndkomst rows, other benefits,
and the answer key.

Why it is built like this:
- The robot lists its own claims (one per fleksjob and subsidy month) from registers, so
  the answer key cannot name a file and line as the other robots' keys do: it names the
  job and the month (`fleksloentilskud_<night>.csv` beside the other ground truth) and the
  amount each month must be paid, so amounts are scored too, not only alarms.
- The key is not the generator's bookkeeping. Every month the robot will list is judged by
  `_judge`, a plain reading of the rules (rules.py, README "Fleksløntilskud") on the
  registers as the robot will hold them after the night; the generator then checks that
  each planted job trips its rule in its month and that no clean job trips any.
- People and employers depend on the seed only, so the CPR and CVR extracts stay the same
  from night to night. Jobs, wages and faults are laid out around the window of complete
  wage months of the night a job group arrives, so faults land in months that are due.
- A first night brings group A: its jobs and five wage months of eIndkomst (the three due
  months' wage months and two older ones, which the robot decides too because they
  arrive tonight). A night after it brings group B (jobs registered since, with their
  history: tonight's planted kinds), wage months completed since, and corrections of
  group A's past wage months: some up (a recovery), some down (the difference is paid),
  some sent again unchanged (nothing happens).
- This module imports nothing from `robots.demo`: it sits in the robots' layer, and the
  demo generator calls it, handing in the XLSX writer (`SheetWriter`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from checks.rules import Severity
from checks.rules import get as rule_of
from robots.core.money import format_kroner, to_oere
from robots.core.rates import rate
from robots.core.settings import config_dir as default_config_dir
from robots.fleksloentilskud import rules
from robots.fleksloentilskud.datasets import FLEX_JOBS, INCOMES, OTHER_BENEFITS
from robots.fleksloentilskud.settings import FlexSettings, load_settings

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
PAID, HELD_OR_REJECTED = frozenset({"approved", "paid"}), frozenset({"held", "rejected"})
SETTLED = PAID | {"settled"}
"""A correction is decided again and settled: the difference paid, or a recovery opened."""

EXTRA_HISTORY = 2
"""Wage months before the due window that a group's first delivery carries."""
GROUP_A, GROUP_B = 1, 2
EMPLOYERS = 60
PENSION_FUNDS = (
    "Arbejdsmarkedets Pensionskasse",
    "Funktionærernes Pension",
    "Håndværkernes Pensionsfond",
    "Pensionskassen for Sundhed",
    "Industriens Livsforsikring",
    "Lærernes Pensionskasse",
)
TRADES = ("Bageri", "Tømrer", "Maler", "Gartneri", "Kantine", "Rengøring", "Auto", "Boghandel")
PLACES = ("Lyngby", "Virum", "Sorgenfri", "Lundtofte", "Taarbæk", "Hjortekær", "Brede", "Nærum")
FIRST_NAMES = (
    ("Anders", "Bjørn", "Kåre", "Mads", "Søren", "Jørgen", "Ole", "Rasmus"),
    ("Anne", "Birthe", "Lærke", "Mette", "Søs", "Åse", "Hanne", "Dorthe"),
)
"""Men, women: the CPR number's last digit is odd for a man, even for a woman."""
SURNAMES = ("Jensen", "Nielsen", "Sørensen", "Møller", "Kjær", "Østergaard", "Bæk", "Frølund")
NO_MOD11_YEARS = (1965, 1970, 1974, 1975, 1978, *range(1980, 1992), 1992, 1994, 1995)
"""Years whose 1 January got CPR numbers without modulus 11 (domain.md 7.1, CPR's list)."""
CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
BENEFITS_IN_MONTH = ("sygedagpenge", "kontanthjaelp", "ledighedsydelse")
BAD_CELL = "#VÆRDI!"
"""What an Excel sheet shows where a formula broke: the planted unreadable amount in XLSX."""


class SheetWriter(Protocol):
    """Writes one XLSX sheet with deterministic bytes (robots/demo/xlsx.py, stamp bound)."""

    def __call__(
        self,
        sheet_title: str,
        header: Sequence[str],
        rows: Iterable[Sequence[object]],
        *,
        amount_columns: Sequence[int] = (),
        date_columns: Sequence[int] = (),
    ) -> bytes: ...


# --- months and the amount -----------------------------------------------------------


def month_of(day: date) -> int:
    """A month as one integer (year * 12 + month - 1): months are counted by subtraction."""
    return day.year * 12 + day.month - 1


def first_day(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def last_day(month: int) -> date:
    return first_day(month + 1) - timedelta(days=1)


def month_text(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def latest_wage_month(night: date, settings: FlexSettings) -> int:
    """The newest wage month complete in eIndkomst on `night` (its subsidy month is due)."""
    return month_of(night) - (1 if night.day >= settings.complete_day else 2)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Rates:
    """The year's maximum and wage threshold in øre, from config/rates (as the robot reads)."""

    folder: Path

    def of(self, year: int) -> tuple[int, int]:
        top = rate(ROBOT, "max_month", year, folder=self.folder)
        limit = rate(ROBOT, "wage_threshold_month", year, folder=self.folder)
        return to_oere(top.value), to_oere(limit.value)


def subsidy_oere(
    wage_oere: int, maximum_oere: int, threshold_oere: int, full_time: int | None
) -> int:
    """domain.md 3.2 as the brief states it: the maximum less 30 % of the wage up to the
    threshold and 55 % above it (each deduction rounded half up to the øre), never below 0,
    and at most full_time - wage where the full-time wage is known."""
    below = Decimal(min(wage_oere, threshold_oere))
    above = Decimal(max(wage_oere - threshold_oere, 0))
    deduction = _half_up(below * Decimal("0.30")) + _half_up(above * Decimal("0.55"))
    amount = max(maximum_oere - deduction, 0)
    if full_time is not None:
        amount = min(amount, max(full_time - wage_oere, 0))
    return amount


# --- the registers' rows ---------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One fleksjob row; `hourly` and `plan` are the generator's, never written."""

    job_id: str
    cpr: int
    employer: int
    start: date
    end: date | None
    weekly: int
    """Agreed hours a week, in hundredths."""
    benefit_start: date | None
    full_time_wage: int | None
    visitation: date | None
    hourly: int
    plan: str
    """"" (clean), a planted rule id or a look-alike name."""

    @property
    def same_job(self) -> tuple[object, ...]:
        """What makes a second job id the same job (FL-DUPLICATE)."""
        return (self.cpr, self.employer, self.start, self.end, self.weekly)


@dataclass(frozen=True)
class Income:
    """One eIndkomst row; `unreadable` rows are written with an amount nobody can read."""

    cpr: int
    payer: int
    period: int
    income_type: str
    amount: int
    hours: int | None
    unreadable: bool = False

    @property
    def key(self) -> tuple[int, int, int, str]:
        return (self.cpr, self.period, self.payer, self.income_type)


@dataclass(frozen=True)
class Benefit:
    cpr: int
    benefit: str
    start: date
    end: date | None
    amount: int | None


@dataclass(frozen=True)
class Person:
    cpr: int
    hyphen: bool
    name: str
    civil_status: str
    status: str
    status_date: date | None


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


def _cpr(rng: np.random.Generator, birth: date, taken: set[int], mod11: bool) -> int:
    """A free CPR number for a birth date: with a modulus-11 check digit, as every number
    issued before 2007 has, or (a look-alike) without one, as CPR issues for 1 January."""
    stem = birth.day * 10**8 + birth.month * 10**6 + (birth.year % 100) * 10**4
    sevens = (0, 1, 2, 3) if birth.year <= 1936 else (0, 1, 2, 3, 4, 9)
    for _ in range(10_000):
        base = stem + int(rng.choice(sevens)) * 1000 + int(rng.integers(0, 100)) * 10
        digits = [int(c) for c in f"{base:010d}"]
        partial = sum(w * d for w, d in zip(CPR_WEIGHTS[:9], digits[:9], strict=True))
        last = (-partial) % 11 if mod11 else int(rng.integers(0, 10))
        if last == 10 or ((partial + last) % 11 == 0) != mod11:
            continue
        if base + last not in taken:
            taken.add(base + last)
            return base + last
    raise ValueError(f"no free CPR number for births on {birth}")


def mod11_holds(cpr: int) -> bool:
    return sum(w * int(d) for w, d in zip(CPR_WEIGHTS, f"{cpr:010d}", strict=True)) % 11 == 0


def _people(
    seed: int, code: int, plans: Sequence[str], taken: set[int], anchor: int
) -> list[Person]:
    """The group's citizens: CPR numbers, names and civil status from the seed; a planted
    status (dead, emigrated, missing) dated in the anchor's months."""
    rng = np.random.default_rng([seed, 73, code])
    span = (date(1999, 12, 31) - date(1961, 1, 1)).days
    people = []
    for i, plan in enumerate(plans):
        days, hyphen, civil, name_draw = (int(x) for x in rng.integers(0, 2**31, size=4))
        if plan == LOOKALIKE_CPR:
            birth = date(NO_MOD11_YEARS[i % len(NO_MOD11_YEARS)], 1, 1)
        else:
            birth = date(1961, 1, 1) + timedelta(days=days % span)
        cpr = _cpr(rng, birth, taken, mod11=plan != LOOKALIKE_CPR)
        first = FIRST_NAMES[1 - cpr % 2][name_draw % 8]
        status, since = "active", None
        if plan in (rules.DEAD, rules.EMIGRATED):
            status = "dead" if plan == rules.DEAD else "emigrated"
            since = first_day(anchor) + timedelta(days=3 + days % 22)
        elif plan == rules.MISSING:
            status, since = "missing", first_day(anchor - 2) + timedelta(days=days % 25)
        people.append(
            Person(
                cpr=cpr,
                hyphen=hyphen % 3 == 0,
                name=f"{first} {SURNAMES[(name_draw >> 3) % 8]}",
                civil_status=("single", "married", "cohabiting")[civil % 3],
                status=status,
                status_date=since,
            )
        )
    return people


def _companies(seed: int, taken: Iterable[int]) -> pd.DataFrame:
    """Employers of fleksjobs and pension funds: CVR numbers with a valid check digit."""
    rng = np.random.default_rng([seed, 72])
    used = {int(c) for c in taken}
    weights = (2, 7, 6, 5, 4, 3, 2)
    cvrs: list[int] = []
    while len(cvrs) < EMPLOYERS + len(PENSION_FUNDS):
        digits = [int(rng.integers(1, 10)), *(int(d) for d in rng.integers(0, 10, size=6))]
        check = (-sum(w * d for w, d in zip(weights, digits, strict=True))) % 11
        cvr = int("".join(map(str, digits))) * 10 + check
        if check < 10 and cvr not in used:
            used.add(cvr)
            cvrs.append(cvr)
    names = [
        f"{PLACES[i % 8]} {TRADES[(i // 8) % 8]}{' ApS' if i % 3 else ''}" for i in range(EMPLOYERS)
    ]
    public = [i % 12 == 5 for i in range(EMPLOYERS)]
    return pd.DataFrame(
        {
            "cvr": cvrs,
            "name": names + list(PENSION_FUNDS),
            "status": "active",
            "status_date": [date(1985 + i % 30, 1 + i % 12, 1) for i in range(len(cvrs))],
            "sector": ["public" if p else "private" for p in public] + ["private"] * 6,
            "kind": ["arbejdsgiver"] * EMPLOYERS + ["pensionskasse"] * len(PENSION_FUNDS),
        }
    )


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


# --- what the robot holds, and what it must decide ---------------------------------------


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


# --- files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Flavour:
    delimiter: str
    encoding: str
    bom: bool
    newline: str
    danish: bool
    """Danish amounts (1.234,50), dates (31-12-2026) and months (12-2026)."""


SEMICOLON = _Flavour(";", "cp1252", False, "\r\n", True)
COMMA = _Flavour(",", "utf-8", False, "\n", False)
COMMA_BOM = _Flavour(",", "utf-8", True, "\n", False)


def _amount(oere: int | None, danish: bool) -> str:
    if oere is None:
        return ""
    if danish:
        return format_kroner(oere)
    whole, fraction = divmod(abs(oere), 100)
    return f"{'-' if oere < 0 else ''}{whole}.{fraction:02d}"


def _day(day: date | None, danish: bool) -> str:
    if day is None:
        return ""
    return f"{day:%d-%m-%Y}" if danish else day.isoformat()


def _cpr_text(cpr: int, hyphen: bool) -> str:
    text = f"{cpr:010d}"
    return f"{text[:6]}-{text[6:]}" if hyphen else text


def _csv(header: Sequence[str], lines: Iterable[Sequence[str]], flavour: _Flavour) -> bytes:
    body = [flavour.delimiter.join(header), *(flavour.delimiter.join(line) for line in lines)]
    data = "".join(line + flavour.newline for line in body).encode(flavour.encoding)
    return b"\xef\xbb\xbf" + data if flavour.bom else data


def _jobs_file(jobs: Sequence[Job], hyphens: dict[int, bool], flavour: _Flavour) -> bytes:
    d = flavour.danish
    lines = [
        [
            job.job_id,
            _cpr_text(job.cpr, hyphens[job.cpr]),
            f"{job.employer:08d}",
            _day(job.start, d),
            _day(job.end, d),
            _amount(job.weekly, d),
            _day(job.benefit_start, d),
            _amount(job.full_time_wage, d),
            _day(job.visitation, d),
        ]
        for job in jobs
    ]
    return _csv(FLEX_JOBS.column_names, lines, flavour)


def _benefits_file(
    benefits: Sequence[Benefit], hyphens: dict[int, bool], flavour: _Flavour
) -> bytes:
    d = flavour.danish
    lines = [
        [
            _cpr_text(b.cpr, hyphens[b.cpr]),
            b.benefit,
            _day(b.start, d),
            _day(b.end, d),
            _amount(b.amount, d),
        ]
        for b in sorted(benefits, key=lambda b: (b.cpr, b.start))
    ]
    return _csv(OTHER_BENEFITS.column_names, lines, flavour)


def _incomes_file(
    name: str,
    rows: Sequence[Income],
    hyphens: dict[int, bool],
    flavour: _Flavour | None,
    sheet: SheetWriter | None,
    places: dict[tuple[int, int, int, str], str],
) -> bytes:
    """One eIndkomst file (CSV in `flavour`, or XLSX); notes where each unreadable row is."""
    ordered = sorted(rows, key=lambda r: r.key)
    for line, row in enumerate(ordered, start=2):
        if row.unreadable:
            places[row.key] = f"{name} line {line}"
    if flavour is None:
        if sheet is None:
            raise ValueError("an XLSX incomes file needs a sheet writer")
        records = [
            (
                _cpr_text(r.cpr, hyphens[r.cpr]),
                f"{r.payer:08d}",
                month_text(r.period),
                r.income_type,
                BAD_CELL if r.unreadable else Decimal(r.amount) / 100,
                None if r.hours is None else Decimal(r.hours) / 100,
            )
            for r in ordered
        ]
        return sheet("eindkomst", INCOMES.column_names, records, amount_columns=(4, 5))
    d = flavour.danish
    lines = [
        [
            _cpr_text(r.cpr, hyphens[r.cpr]),
            f"{r.payer:08d}",
            f"{r.period % 12 + 1:02d}-{r.period // 12}" if d else month_text(r.period),
            r.income_type,
            f"{_amount(r.amount, d)} {'kr' if d else 'DKK'}"
            if r.unreadable
            else _amount(r.amount, d),
            _amount(r.hours, d),
        ]
        for r in ordered
    ]
    return _csv(INCOMES.column_names, lines, flavour)


# --- one night -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlexNight:
    """What one night adds to the demo: inbox files, extract rows, and the answer key."""

    files: dict[str, bytes]
    """Path under inbox/ -> bytes."""
    citizens: pd.DataFrame
    """Rows for the CPR extract: cpr, hyphen, name, status, status_date (date or None),
    municipality_code, civil_status."""
    companies: pd.DataFrame
    """Rows for the CVR extract: cvr, name, status, status_date, sector, kind."""
    truth: pd.DataFrame
    """TRUTH_COLUMNS, one row per (job, month) the robot decides tonight."""
    truth_name: str

    def truth_csv(self) -> bytes:
        return self.truth.to_csv(index=False, lineterminator="\n").encode("utf-8")


def build_night(
    night: date,
    *,
    seed: int,
    jobs: int,
    error_rate: float,
    municipality_code: int,
    taken_cprs: Iterable[int],
    taken_cvrs: Iterable[int],
    previous_night: date | None = None,
    sheet: SheetWriter | None = None,
    config_dir: Path | None = None,
) -> FlexNight:
    """One night's fleksjob registers, eIndkomst files and answer key.

    `jobs`: group A's size (the first night's fleksjobs); group B, registered by a later
    night, has a quarter as many. `previous_night`: this night follows that one (group A
    came then: tonight brings group B, new wage months and corrections). `sheet`: write
    one of the first night's eIndkomst files as XLSX and the rest in mixed dialects; None:
    every file a plain `,` CSV (formats "csv"). `taken_*`: numbers the other registers use.
    """
    folder = Path(config_dir) if config_dir is not None else default_config_dir()
    settings = load_settings(str(folder))
    if previous_night is not None and previous_night >= night:
        raise ValueError("previous_night must be an earlier night")
    size_a, size_b = group_sizes(jobs, error_rate)
    if not enough_jobs(jobs, error_rate):
        raise ValueError(
            f"flex_jobs={jobs} is too few for error_rate={error_rate}: use at least "
            f"{smallest_group(error_rate)} (or 0 for none)"
        )
    companies = _companies(seed, taken_cvrs)
    employers = frozenset(int(c) for c in companies["cvr"].to_numpy()[:EMPLOYERS])
    latest = latest_wage_month(night, settings)
    taken = {int(c) for c in taken_cprs}
    anchor_a = previous_night or night
    group_a = _group(
        seed,
        GROUP_A,
        size_a,
        per_kind(size_a, error_rate),
        anchor_a,
        latest,
        settings,
        taken,
        companies,
    )
    # Tonight's corrections make the robot list group A's older months for every job that
    # runs in them, so group B's history starts where group A's does.
    group_b = _group(
        seed,
        GROUP_B,
        size_b,
        per_kind(size_b, error_rate),
        night,
        latest,
        settings,
        taken,
        companies,
        first=group_a.first if previous_night is not None else None,
        elder=group_a.plain if previous_night is not None else (),
    )
    people = [*group_a.people, *group_b.people]
    hyphens = {p.cpr: p.hyphen for p in people}
    mixed = sheet is not None
    iso = night.isoformat()
    corrections: dict[tuple[int, int], tuple[Income, str, int]] = {}
    arrived_a = [r for r in group_a.incomes if r.period <= group_a.anchor]
    if previous_night is None:
        registered, benefits, before = list(group_a.jobs), list(group_a.benefits), []
        batches = [arrived_a]
    else:
        registered = [*group_a.jobs, *group_b.jobs]
        benefits = [*group_a.benefits, *group_b.benefits]
        before = arrived_a
        corrections = _corrections(seed, night, group_a, before)
        news = [r for r in group_a.incomes if r.period > group_a.anchor] + list(group_b.incomes)
        batches = [news, [row for row, _, _ in corrections.values()]]
    tonight = [row for batch in batches for row in batch]
    files, places = _incomes_files(iso, batches, hyphens, sheet)
    files[f"flex_jobs/flex_jobs_{iso}.csv"] = _jobs_file(
        registered, hyphens, SEMICOLON if mixed else COMMA
    )
    files[f"other_benefits/other_benefits_{iso}.csv"] = _benefits_file(
        benefits, hyphens, COMMA_BOM if mixed else COMMA
    )

    state = _state(registered, before, tonight, benefits, people, employers, latest)
    earlier: dict[tuple[str, int], tuple[object, ...]] = {}
    if previous_night is not None:
        last_state = _state(
            group_a.jobs, [], arrived_a, group_a.benefits, people, employers, group_a.anchor
        )
        earlier = {
            (job.job_id, m): _facts(job, m, last_state) for job, m in _listed(last_state, settings)
        }
    fresh = group_a if previous_night is None else group_b
    truth = _truth(
        iso, state, settings, Rates(folder / "rates"), earlier, corrections, places, fresh
    )
    citizens = pd.DataFrame(
        {
            "cpr": [p.cpr for p in people],
            "hyphen": [p.hyphen for p in people],
            "name": [p.name for p in people],
            "status": [p.status for p in people],
            "status_date": [p.status_date for p in people],
            "municipality_code": municipality_code,
            "civil_status": [p.civil_status for p in people],
        }
    )
    return FlexNight(
        files=dict(sorted(files.items())),
        citizens=citizens,
        companies=companies,
        truth=truth,
        truth_name=f"{ROBOT}_{iso}.csv",
    )


def _incomes_files(
    iso: str,
    batches: Sequence[Sequence[Income]],
    hyphens: dict[int, bool],
    sheet: SheetWriter | None,
) -> tuple[dict[str, bytes], dict[tuple[int, int, int, str], str]]:
    """Tonight's eIndkomst files, and the file and line of each unreadable row.

    A first night (one batch) in mixed formats is split by citizen over a `;` file
    (Windows-1252, Danish amounts, months as 11-2026), an XLSX sheet and a `,` file with a
    BOM; a later night's batches (new rows; rows sent again) go to a `;` and a `,` delta
    file, so a row sent again is written in another notation than the first time. Without
    a sheet writer, one `,` file.
    """
    first = len(batches) == 1
    rows = [row for batch in batches for row in batch]
    parts: list[Sequence[Income]]
    flavours: list[_Flavour | None]
    if sheet is None:
        parts, flavours = [rows], [COMMA]
        names = [f"incomes_{iso}" if first else f"incomes_{iso}_delta"]
    elif first:
        parts = [[r for r in rows if r.cpr % 3 == i] for i in range(3)]
        names = [f"incomes_{iso}_{i}" for i in (1, 2, 3)]
        flavours = [SEMICOLON, None, COMMA_BOM]
    else:
        parts, flavours = list(batches), [SEMICOLON, COMMA]
        names = [f"incomes_{iso}_delta_{i}" for i in (1, 2)]
    files: dict[str, bytes] = {}
    places: dict[tuple[int, int, int, str], str] = {}
    for name, part, flavour in zip(names, parts, flavours, strict=True):
        if not part:
            continue  # nothing to correct tonight (error_rate 0): no header-only file
        file_name = name + (".csv" if flavour is not None else ".xlsx")
        files[f"incomes/{file_name}"] = _incomes_file(
            file_name, part, hyphens, flavour, sheet, places
        )
    return files, places


def _corrections(
    seed: int, night: date, group: _Group, delivered: Sequence[Income]
) -> dict[tuple[int, int], tuple[Income, str, int]]:
    """Group A's past wage rows sent again: (cpr, wage month) -> (row, kind, old amount)."""
    k = len(group.corrigible) // 3
    rng = np.random.default_rng([seed, 76, night.toordinal()])
    known = {r.key: r for r in delivered}
    months = group.anchor - group.first + 1
    out: dict[tuple[int, int], tuple[Income, str, int]] = {}
    for i, job in enumerate(group.corrigible):
        kind = HISTORY_KINDS[i // k]
        old = known[(job.cpr, group.first + i % months, job.employer, "wage")]
        permille = int(rng.integers(50, 251))
        if kind == CORRECTION_UP:
            new = replace(old, amount=_half_up(Decimal(old.amount * (1000 + permille)) / 1000))
        elif kind == CORRECTION_DOWN:
            new = replace(old, amount=_half_up(Decimal(old.amount * (1000 - permille)) / 1000))
        else:
            new = old
        out[(job.cpr, old.period)] = (new, kind, old.amount)
    return out


def _truth(
    iso: str,
    state: _State,
    settings: FlexSettings,
    rates: Rates,
    earlier: dict[tuple[str, int], tuple[object, ...]],
    corrections: dict[tuple[int, int], tuple[Income, str, int]],
    places: dict[tuple[int, int, int, str], str],
    fresh: _Group,
) -> pd.DataFrame:
    """One row per (job, month) decided tonight, judged on tonight's registers; the plants
    of the group that arrived tonight are checked to land where they were meant to."""
    records = []
    fresh_ids = {job.job_id for job in fresh.jobs}
    landed: set[str] = set()
    for job, month in _listed(state, settings):
        facts = _facts(job, month, state)
        before = earlier.get((job.job_id, month))
        correction = corrections.get((job.cpr, month - 1))
        if before is not None and before == facts and correction is None:
            continue  # decided on an earlier night on the same facts: not listed again
        verdict = _judge(job, month, state, settings)
        label = _label(job, verdict)
        maximum, threshold = rates.of(month // 12)
        amount = (
            None
            if verdict.fired
            else subsidy_oere(verdict.wage, maximum, threshold, job.full_time_wage)
        )
        note = _note(job, month, state, verdict, label, places, amount)
        if correction is not None and before is not None:
            row, kind, old_wage = correction
            if verdict.fired or amount is None:
                raise RuntimeError(f"{job.job_id} {month_text(month)}: a correction trips a rule")
            old = subsidy_oere(old_wage, maximum, threshold, job.full_time_wage)
            label, change = kind, amount - old
            note = (
                f"wage {month_text(month - 1)} sent again: {format_kroner(old_wage)} -> "
                f"{format_kroner(row.amount)} kr.; subsidy {format_kroner(old)} -> "
                f"{format_kroner(amount)} kr.; difference {format_kroner(change)} kr."
                + (" (recovery)" if change < 0 else " (paid)" if change > 0 else " (nothing)")
            )
        records.append(
            (iso, job.job_id, month_text(month), label, "" if amount is None else str(amount), note)
        )
        if job.job_id in fresh_ids and fresh.targets.get(job.job_id) == month:
            if label != job.plan:
                raise RuntimeError(
                    f"{job.job_id} planted {job.plan} in {month_text(month)} reads as {label}"
                )
            landed.add(job.job_id)
        if job.job_id in fresh_ids and not job.plan and label != CLEAN:
            raise RuntimeError(f"clean {job.job_id} reads as {label} in {month_text(month)}")
    if landed != set(fresh.targets):
        raise RuntimeError(f"planted jobs not listed in their month: {set(fresh.targets) - landed}")
    truth = pd.DataFrame(records, columns=list(TRUTH_COLUMNS))
    return truth.sort_values(["job_id", "month"], kind="stable", ignore_index=True)


def _note(
    job: Job,
    month: int,
    state: _State,
    verdict: _Verdict,
    label: str,
    places: dict[tuple[int, int, int, str], str],
    amount: int | None,
) -> str:
    """What a caseworker would check first, in one line (no CPR numbers)."""
    wage_month = month_text(month - 1)
    rows = state.rows.get((job.cpr, month - 1), [])
    others = [r for r in rows if r.payer != job.employer]
    kr = format_kroner
    text = {
        rules.OTHER_EMPLOYER: lambda: "; ".join(
            f"wage {kr(r.amount)} kr. from {r.payer:08d} in {wage_month}" for r in others
        ),
        rules.NO_WAGE: lambda: f"no wage above 0 kr. in {wage_month} ({len(rows)} rows)",
        rules.JOB_ENDED: lambda: f"job ended {job.end}; employer's wage in {wage_month}",
        rules.JOB_NOT_BEGUN: lambda: f"job begins {job.start}; employer's wage in {wage_month}",
        rules.DOUBLE_SUPPORT: lambda: "; ".join(
            f"{b.benefit} {b.start} to {b.end}" for b in state.benefits.get(job.cpr, [])
        ),
        rules.DEAD: lambda: f"dead {state.people[job.cpr].status_date}",
        rules.EMIGRATED: lambda: f"emigrated {state.people[job.cpr].status_date}",
        rules.MISSING: lambda: "CPR status missing",
        rules.HOURS_HIGH: lambda: (
            f"{kr(sum(r.hours or 0 for r in rows))} hours paid in {wage_month}, agreed "
            f"{kr(job.weekly)} a week"
        ),
        rules.INCOME_UNREADABLE: lambda: "; ".join(
            f"{places.get(r.key, 'an earlier file')}: the amount cannot be read"
            for r in state.unreadable.get((job.cpr, month - 1), [])
        ),
        rules.DUPLICATE_PAID: lambda: (
            "the same job (citizen, employer, dates, hours) as " + state.twins[job.job_id].job_id
        ),
        LOOKALIKE_PENSION: lambda: "pension from a pension fund in the wage month, not deducted",
        LOOKALIKE_SECOND_PAYER: lambda: "pension (not wage) from another employer, not deducted",
        LOOKALIKE_BENEFIT_ENDED: lambda: (
            f"a benefit ended {job.start - timedelta(days=1)}, the day before the job began"
        ),
        LOOKALIKE_CPR: lambda: "born 1 January, CPR number without modulus 11 (valid)",
    }.get(label, lambda: "")()
    if amount is not None:
        wage = f"wage {kr(verdict.wage)} kr. in {wage_month}"
        if job.full_time_wage is not None:
            wage += f", full-time wage {kr(job.full_time_wage)} kr."
        text = f"{text}; {wage}" if text else wage
    also = [r for r in verdict.fired if r != label]
    return text + (f" (also {', '.join(also)})" if also else "")


# --- scoring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlexScore:
    """Planted kinds caught, look-alikes and clean months stopped, amounts that differ."""

    per_kind: pd.DataFrame
    """planted, rows, caught: a rule caught its month; a look-alike, clean month or
    correction was paid (settled) with the expected amount; a re-delivery changed nothing."""
    missed: pd.DataFrame
    """Planted rule months their rule did not catch."""
    lookalikes_stopped: pd.DataFrame
    """Look-alike months held or rejected, or with an alarm (must be empty)."""
    clean_wrong: pd.DataFrame
    """Clean, look-alike and correction months not paid, or paid another amount."""
    unexpected: pd.DataFrame
    """Outcome rows with an alarm for months the ground truth does not list."""

    @property
    def planted(self) -> int:
        return int(self.per_kind["rows"].sum())

    @property
    def caught(self) -> int:
        return int(self.per_kind["caught"].sum())


def _alarming(rule_ids: str) -> bool:
    """Any rule that is not merely informative (FL-PROVISIONAL-RATE-DEMO pays)."""
    for rule_id in filter(None, (r.strip() for r in rule_ids.split(","))):
        try:
            if rule_of(rule_id).severity != Severity.INFO:
                return True
        except KeyError:
            return True
    return False


_DIFFERENCE = re.compile(r"difference (-?[0-9.]+,[0-9]{2}) kr\.")


def _difference(note: str) -> int | None:
    found = _DIFFERENCE.search(note)
    if found is None:
        return None
    return int(found.group(1).replace(".", "").replace(",", ""))


def score(ground_truth_csv: Path, outcomes: pd.DataFrame) -> FlexScore:
    """Match a night's ground truth to its outcomes by (claim_id = job_id, period = month).

    `outcomes`: claim_id, period, outcome, amount_oere, rule_ids (comma-separated); or, as
    in a run's outcomes.csv, `amount` in kroner instead of `amount_oere`.
    """
    truth = pd.read_csv(ground_truth_csv, dtype=str, keep_default_na=False)
    if "amount_oere" not in outcomes.columns:
        outcomes = outcomes.assign(amount_oere=outcomes["amount"].map(_oere_of_kroner))
    out = outcomes.loc[:, ["claim_id", "period", "outcome", "amount_oere", "rule_ids"]].copy()
    out["claim_id"] = out["claim_id"].astype("string")
    out["period"] = out["period"].astype("string")
    out["rule_ids"] = out["rule_ids"].astype("string").fillna("")
    out["outcome"] = out["outcome"].astype("string").fillna("")
    out["amount_oere"] = pd.to_numeric(out["amount_oere"], errors="coerce").astype("Int64")
    out = out.drop_duplicates(["claim_id", "period"], keep="last")
    merged = truth.merge(
        out, how="left", left_on=["job_id", "month"], right_on=["claim_id", "period"]
    )
    merged["found"] = merged["claim_id"].notna()
    merged["caught"] = [_handled(r) for r in merged.itertuples(index=False)]
    per_kind = (
        merged.groupby("planted")
        .agg(rows=("caught", "size"), caught=("caught", "sum"))
        .reset_index()
    )
    is_rule = merged["planted"].isin(RULE_KINDS)
    is_lookalike = merged["planted"].isin(LOOKALIKES)
    paid_kinds = merged["planted"].isin([CLEAN, *LOOKALIKES, CORRECTION_UP, CORRECTION_DOWN])
    stopped = merged["found"] & (
        merged["outcome"].isin(HELD_OR_REJECTED) | merged["rule_ids"].fillna("").map(_alarming)
    )
    listed = set(zip(truth["job_id"], truth["month"], strict=True))
    alarm = out["outcome"].isin(HELD_OR_REJECTED) | out["rule_ids"].map(_alarming)
    unlisted = [(c, p) not in listed for c, p in zip(out["claim_id"], out["period"], strict=True)]
    return FlexScore(
        per_kind=per_kind,
        missed=merged[is_rule & ~merged["caught"]].reset_index(drop=True),
        lookalikes_stopped=merged[is_lookalike & stopped].reset_index(drop=True),
        clean_wrong=merged[paid_kinds & ~merged["caught"]].reset_index(drop=True),
        unexpected=out[alarm & pd.Series(unlisted, index=out.index)].reset_index(drop=True),
    )


def _oere_of_kroner(text: object) -> int | None:
    """An outcome file's amount ('17902.48') as exact øre; blank: none."""
    if text is None or pd.isna(text) or str(text).strip() == "":
        return None
    return to_oere(Decimal(str(text).strip()))


def _handled(row: Any) -> bool:
    """Whether one ground-truth month came out as it must (see FlexScore.per_kind)."""
    kind, found = str(row.planted), bool(row.found)
    fired = str(row.rule_ids) if found else ""
    outcome = str(row.outcome) if found else ""
    amount = None if not found or pd.isna(row.amount_oere) else int(row.amount_oere)
    expected = str(row.expected_amount_oere)
    if kind in RULE_KINDS:
        return kind in fired.split(",")
    if kind == REDELIVERY_SAME:
        return (
            not found
            or outcome == "already_processed"
            or (outcome not in HELD_OR_REJECTED and not amount)
        )
    if kind in (CORRECTION_UP, CORRECTION_DOWN):
        wanted = {int(expected), _difference(str(row.note))}
        return outcome in SETTLED and not _alarming(fired) and amount in wanted
    return outcome in PAID and not _alarming(fired) and amount == int(expected)


__all__ = [
    "CLEAN",
    "HISTORY_KINDS",
    "LOOKALIKES",
    "PLANTED_KINDS",
    "RULE_KINDS",
    "TRUTH_COLUMNS",
    "FlexNight",
    "FlexScore",
    "SheetWriter",
    "build_night",
    "enough_jobs",
    "group_sizes",
    "mod11_holds",
    "per_kind",
    "score",
    "smallest_group",
    "subsidy_oere",
]
