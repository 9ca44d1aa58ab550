"""The people in wage subsidy and their employers: CPR and CVR numbers, names, statuses, and
the rows they give the CPR and CVR extracts.

Why it is a module of its own: every part of the demo refers to a person by CPR and an
employer by CVR, and those numbers must be valid and clash with no other robot's demo
people. They are drawn from the seed alone and checked against the numbers already taken,
so the extracts are the same from night to night.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
FIRST_BIRTH, LAST_BIRTH = date(1960, 1, 1), date(2004, 12, 31)
"""People of working age. The other robots' demo uses births before 1960 for CPR numbers
nobody registered (health claims 1930-1956, doctors' invoices 1959): none is drawn here."""
FIRST_NAMES = (
    ("Anders", "Bjørn", "Kåre", "Mads", "Søren", "Jørgen", "Ole", "Rasmus", "Emil", "Jonas"),
    ("Anne", "Birthe", "Lærke", "Mette", "Sofie", "Åse", "Hanne", "Ida", "Freja", "Maja"),
)
"""Men, women: the CPR number's last digit is odd for a man, even for a woman."""
SURNAMES = ("Jensen", "Nielsen", "Sørensen", "Møller", "Kjær", "Østergaard", "Bæk", "Holm")
PLACES = ("Lyngby", "Virum", "Sorgenfri", "Lundtofte", "Taarbæk", "Hjortekær", "Brede", "Nærum")
TRADES = (
    "Maskinfabrik",
    "Tømrerfirma",
    "Malerfirma",
    "Anlægsgartner",
    "Cykelværksted",
    "Kantineservice",
    "Lager og Logistik",
    "Isenkram",
    "Køkkenmontage",
    "Vinduespolering",
)
PUBLIC_PLACES = (
    "Plejecenter Bakkehuset",
    "Materielgården",
    "Stadsbiblioteket",
    "Børnehuset Kanalvej",
    "Genbrugspladsen",
    "Idrætsanlæg Virum",
)
MUNICIPALITY = "Lyngby-Taarbæk Kommune"


@dataclass(frozen=True)
class Person:
    cpr: int
    hyphen: bool
    name: str
    civil_status: str
    status: str
    status_date: date | None


@dataclass(frozen=True)
class Employer:
    cvr: int
    name: str
    sector: str
    status: str
    status_date: date


def cpr_mod11(cpr: int) -> bool:
    return sum(w * int(d) for w, d in zip(CPR_WEIGHTS, f"{cpr:010d}", strict=True)) % 11 == 0


def cvr_valid(cvr: int) -> bool:
    """The CVR check: eight digits whose weighted sum is divisible by 11."""
    text = f"{cvr:08d}"
    return (
        len(text) == 8 and sum(w * int(d) for w, d in zip(CVR_WEIGHTS, text, strict=True)) % 11 == 0
    )


def bad_check_digit(cvr: int) -> int:
    """The same CVR number with its last digit changed: never valid (its weight is 1)."""
    return cvr - cvr % 10 + (cvr % 10 + 1) % 10


def draw_cpr(rng: np.random.Generator, taken: set[int]) -> int:
    """A free CPR number of someone born 1960-2004, with a modulus-11 check digit as every
    number of these years has; the seventh digit gives the century (domain.md 7.1)."""
    span = (LAST_BIRTH - FIRST_BIRTH).days + 1
    for _ in range(10_000):
        birth = FIRST_BIRTH + timedelta(days=int(rng.integers(0, span)))
        sevens = (0, 1, 2, 3) if birth.year < 2000 else (4, 5, 6, 7, 8, 9)
        stem = birth.day * 10**8 + birth.month * 10**6 + (birth.year % 100) * 10**4
        base = stem + int(rng.choice(sevens)) * 1000 + int(rng.integers(0, 100)) * 10
        digits = [int(c) for c in f"{base:010d}"]
        last = (-sum(w * d for w, d in zip(CPR_WEIGHTS[:9], digits[:9], strict=True))) % 11
        if last < 10 and base + last not in taken:
            taken.add(base + last)
            return base + last
    raise ValueError("no free CPR number left for the loentilskud demo")


def draw_cvr(rng: np.random.Generator, taken: set[int]) -> int:
    """A free CVR number with a valid check digit."""
    for _ in range(10_000):
        digits = [int(rng.integers(1, 10)), *(int(d) for d in rng.integers(0, 10, size=6))]
        check = (-sum(w * d for w, d in zip(CVR_WEIGHTS[:7], digits, strict=True))) % 11
        cvr = int("".join(map(str, digits))) * 10 + check
        if check < 10 and cvr not in taken:
            taken.add(cvr)
            return cvr
    raise ValueError("no free CVR number left for the loentilskud demo")


def person(
    rng: np.random.Generator,
    taken: set[int],
    status: str = "active",
    status_date: date | None = None,
) -> Person:
    cpr = draw_cpr(rng, taken)
    first = FIRST_NAMES[1 - cpr % 2][int(rng.integers(0, len(FIRST_NAMES[0])))]
    return Person(
        cpr=cpr,
        hyphen=bool(rng.random() < 0.3),
        name=f"{first} {SURNAMES[int(rng.integers(0, len(SURNAMES)))]}",
        civil_status=("single", "married", "cohabiting")[int(rng.integers(0, 3))],
        status=status,
        status_date=status_date,
    )


def employer(
    rng: np.random.Generator,
    taken: set[int],
    number: int,
    sector: str,
    status: str = "active",
    status_date: date | None = None,
) -> Employer:
    """An employer; a public one is an institution of the municipality with a CVR of its own.
    Names hold no delimiter: the CVR extract is written without quoting."""
    if sector == "public":
        name = f"{PUBLIC_PLACES[number % len(PUBLIC_PLACES)]} ({MUNICIPALITY})"
    else:
        suffix = ("ApS", "A/S", "I/S", "")[number % 4]
        name = f"{PLACES[number % len(PLACES)]} {TRADES[number % len(TRADES)]} {suffix}".strip()
    founded = date(1980 + int(rng.integers(0, 36)), int(rng.integers(1, 13)), 1)
    return Employer(
        cvr=draw_cvr(rng, taken),
        name=name,
        sector=sector,
        status=status,
        status_date=status_date or founded,
    )


def citizens_frame(people: Sequence[Person], municipality_code: int) -> pd.DataFrame:
    """Rows for the CPR extract: cpr, hyphen, name, status, status_date (date or None),
    municipality_code, civil_status (the fleksloentilskud demo's shape)."""
    return pd.DataFrame(
        {
            "cpr": pd.Series([p.cpr for p in people], dtype="int64"),
            "hyphen": [p.hyphen for p in people],
            "name": [p.name for p in people],
            "status": [p.status for p in people],
            "status_date": [p.status_date for p in people],
            "municipality_code": municipality_code,
            "civil_status": [p.civil_status for p in people],
        }
    )


def companies_frame(employers: Iterable[Employer]) -> pd.DataFrame:
    """Rows for the CVR extract: cvr, name, status, status_date, sector, kind."""
    rows = list(employers)
    return pd.DataFrame(
        {
            "cvr": pd.Series([e.cvr for e in rows], dtype="int64"),
            "name": [e.name for e in rows],
            "status": [e.status for e in rows],
            "status_date": [e.status_date for e in rows],
            "sector": [e.sector for e in rows],
            "kind": "loentilskud-arbejdsgiver",
        }
    )
