"""The registers' rows (fleksjobs, eIndkomst, other benefits, citizens) and the citizens
and employers behind them.

Why it is a module of its own: people and employers depend on the seed only, so the CPR
and CVR extracts stay the same from night to night; the rows are the shapes every other
part of the demo reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from robots.fleksloentilskud import rules
from robots.fleksloentilskud.demo.kinds import LOOKALIKE_CPR
from robots.fleksloentilskud.demo.months import first_day

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
