"""The shapes of the demo (agreements, claims, fleksjobs, benefits) and the builder that
makes them, each agreement with a person of its own.

Why it is a module of its own: the layout of the clean claims and the plants of every kind
build with the same few moves (an employer, an agreement, a claim for the last whole month);
the judge, the notes and the files read the shapes. None of them needs the others for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from robots.loentilskud.demo import terms as t
from robots.loentilskud.demo.people import Employer, Person, employer, person

GROUPS = ("dagpenge", "kontanthjaelp", "uddannelseshjaelp", "ressourceforloeb", "sygedagpenge")
GROUP_WEIGHTS = (0.40, 0.28, 0.14, 0.12, 0.06)
"""`sygedagpenge` is a target group contracts.md does not name: it takes the `other` limit."""
WEEKLY = (3700, 3700, 3700, 3250, 3000, 2500, 2000, 1500)
"""Agreed hours a week in hundredths (37 hours is full time, the most an agreement may say)."""


@dataclass(frozen=True)
class Agreement:
    agreement_id: str
    cpr: int
    employer: int
    target_group: str
    start: date
    end: date
    weekly: int
    """Agreed hours a week, in hundredths."""


@dataclass(frozen=True)
class Claim:
    """One claim as written; `plan` and `order` are the generator's, never written."""

    order: int
    """Its place among the claims of the demo: files keep this order, ids follow it."""
    night: int
    """1: the first night; 2: the night after it."""
    agreement_id: str
    employer: int
    start: date
    end: date
    hours: int
    """In hundredths; negative only where a data error is planted."""
    plan: str
    copy_of: int | None = None
    """LT-DUPLICATE: the `order` of the first night's claim whose content it repeats."""


@dataclass(frozen=True)
class FlexJob:
    job_id: str
    cpr: int
    employer: int
    start: date
    end: date
    weekly: int
    benefit_start: date


@dataclass(frozen=True)
class Benefit:
    cpr: int
    benefit: str
    start: date
    end: date
    amount: int
    """Kroner in øre."""


@dataclass(frozen=True)
class Cast:
    """The demo's registers and all its claims, both nights."""

    anchor: date
    people: tuple[Person, ...]
    employers: tuple[Employer, ...]
    agreements: tuple[Agreement, ...]
    claims: tuple[Claim, ...]
    flex_jobs: tuple[FlexJob, ...]
    benefits: tuple[Benefit, ...]


@dataclass
class Builder:
    """What has been laid out so far, and the moves to lay out more. One random stream for
    all of it: the same seed and anchor give the same demo."""

    rng: np.random.Generator
    anchor: date
    taken_cprs: set[int]
    taken_cvrs: set[int]
    people: list[Person] = field(default_factory=list)
    employers: list[Employer] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    flex_jobs: list[FlexJob] = field(default_factory=list)
    benefits: list[Benefit] = field(default_factory=list)
    private: list[Employer] = field(default_factory=list)
    public: list[Employer] = field(default_factory=list)

    @property
    def m1(self) -> int:
        """The last whole month before the anchor: what most claims are for."""
        return t.month_of(self.anchor) - 1

    def draw(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return int(self.rng.integers(low, high + 1))

    def new_employer(self, sector: str, status: str = "active", since: date | None = None) -> int:
        made = employer(self.rng, self.taken_cvrs, len(self.employers), sector, status, since)
        self.employers.append(made)
        return made.cvr

    def any_employer(self, sector: str | None = None) -> Employer:
        if sector is None:
            sector = "public" if self.rng.random() < 0.2 else "private"
        pool = self.public if sector == "public" else self.private
        return pool[self.draw(0, len(pool) - 1)]

    def agreement(
        self,
        start: date,
        *,
        group: str | None = None,
        employer_cvr: int | None = None,
        sector: str | None = None,
        end: date | None = None,
        status: str = "active",
        since: date | None = None,
    ) -> Agreement:
        """An agreement with a person of its own; it ends on its duration limit unless `end`."""
        cvr = employer_cvr if employer_cvr is not None else self.any_employer(sector).cvr
        chosen = group or str(self.rng.choice(GROUPS, p=GROUP_WEIGHTS))
        months = t.max_months(self.sector_of(cvr), chosen)
        who = person(self.rng, self.taken_cprs, status, since)
        self.people.append(who)
        made = Agreement(
            agreement_id=f"LTA-{10_001 + len(self.agreements)}",
            cpr=who.cpr,
            employer=cvr,
            target_group=chosen,
            start=start,
            end=end or t.duration_end(start, months),
            weekly=int(self.rng.choice(WEEKLY)),
        )
        self.agreements.append(made)
        return made

    def sector_of(self, cvr: int) -> str:
        return next(e.sector for e in self.employers if e.cvr == cvr)

    def running(
        self,
        months_back: int,
        *,
        group: str | None = None,
        employer_cvr: int | None = None,
        end: date | None = None,
        status: str = "active",
        since: date | None = None,
    ) -> Agreement:
        """An agreement that began on the 1st `months_back` months before m1 (every planted
        kind's plain agreement: m1 lies well inside it and its limit)."""
        return self.agreement(
            t.first_day(self.m1 - months_back),
            group=group or str(self.rng.choice(("kontanthjaelp", "ressourceforloeb"))),
            employer_cvr=employer_cvr,
            end=end,
            status=status,
            since=since,
        )

    def claim(
        self,
        agreement: Agreement,
        night: int,
        plan: str,
        *,
        start: date | None = None,
        end: date | None = None,
        hours: int | None = None,
        employer_cvr: int | None = None,
    ) -> Claim:
        """A claim for m1 (or [start, end]) inside the agreement; clean hours unless given."""
        first = start or max(t.first_day(self.m1), agreement.start)
        last = end or min(t.last_day(self.m1), agreement.end)
        if hours is None:
            days = t.covered_days(first, last, agreement.start, agreement.end)
            hours = self.clean_hours(
                t.cap_hundredths(agreement.weekly, days or (last - first).days + 1)
            )
        made = Claim(
            order=len(self.claims),
            night=night,
            agreement_id=agreement.agreement_id,
            employer=employer_cvr if employer_cvr is not None else agreement.employer,
            start=first,
            end=last,
            hours=hours,
            plan=plan,
        )
        self.claims.append(made)
        return made

    def clean_hours(self, cap: int) -> int:
        """80-99 % of the cap, to the quarter hour more often than not; below the cap."""
        hours = int(cap * self.rng.uniform(0.80, 0.99))
        if self.rng.random() < 0.6:
            hours = hours // 25 * 25
        return max(min(hours, cap - 1), 1)
