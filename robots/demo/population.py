"""The demo municipality's people and providers: the three register extracts.

The registers depend on the seed and the sizes only, never on the night, so night 2
sees the same citizens, pensioners and companies as night 1 (a full extract written
again), and only the claims change. Every person has a role: most are clean
pensioners; a few are planted to trip exactly one citizen-level rule (dead, emigrated,
missing, moved away, no pension, new-rules førtidspension, førtidspension with no award
date and nothing to show the old scheme, assets over the limit, tillægsprocent 0, too many
claims in a night). A few are look-alikes that must be paid: old-scheme førtidspension
with no award date, whose pension record in force before the cutoff shows the old scheme.
Register dates are set relative to the first year that has a rate file (the `anchor`), so
every status change lies before any service date the claims can carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from robots.demo.policy import EXPENSE_TYPES, DemoPolicy
from robots.demo.textformat import BLANK_DAY, cat, choose, column, day_of, pick, strings

IntArray = npt.NDArray[np.int64]

# Roles a person can have. Citizen-level planted kinds use the rule id as role name.
ROLE_CLEAN = "clean"
ROLE_VELOCITY = "HT-VELOCITY"
ROLE_NO_PENSION_ENDED = "HT-NO-PENSION/ended"
ROLE_NO_PENSION_ABSENT = "HT-NO-PENSION/absent"
ROLE_OTHER = "other"
ROLE_FOERTID_OLD_BLANK = "foertid-old-blank"
"""Look-alike: førtidspension with no award date, but in force before the cutoff (paid)."""
CITIZEN_FAULTS: tuple[str, ...] = (
    "HT-DEAD",
    "HT-EMIGRATED",
    "HT-MISSING",
    "HT-MOVED",
    "HT-NO-PENSION",
    "HT-FOERTID-NEW",
    "HT-FOERTID-UNKNOWN",
    "HT-ASSETS",
    "HT-PCT-ZERO",
)
"""Planted kinds where the fault sits in a register, not in the claim row."""
VELOCITY_GROUPS = 2
"""Velocity citizens come in groups taking turns by night (night ordinal modulo the
groups), so last night's velocity citizens are not tonight's: a copy of one of their held
bills tonight is a copy, not another claim of a citizen with too many."""

FEMALE_NAMES = np.array(
    [
        "Anne",
        "Kirsten",
        "Hanne",
        "Mette",
        "Inge",
        "Grethe",
        "Bodil",
        "Åse",
        "Jytte",
        "Else",
        "Karen",
        "Ingrid",
        "Birthe",
        "Lærke",
        "Søs",
        "Gudrun",
        "Dorthe",
        "Bente",
        "Ulla",
        "Kæthe",
    ]
)
MALE_NAMES = np.array(
    [
        "Jens",
        "Peter",
        "Søren",
        "Jørgen",
        "Niels",
        "Hans",
        "Bjørn",
        "Poul",
        "Ole",
        "Erik",
        "Knud",
        "Bent",
        "Mogens",
        "Aage",
        "Jørn",
        "Henrik",
        "Flemming",
        "Frode",
        "Børge",
        "Kåre",
    ]
)
MIDDLE_NAMES = np.array(["Juul", "Bech", "Dam", "Krogh", "Bøgh", "Skov", "Brønd", "Højer"])
SURNAMES = np.array(
    [
        "Jensen",
        "Nielsen",
        "Hansen",
        "Pedersen",
        "Andersen",
        "Christensen",
        "Larsen",
        "Sørensen",
        "Rasmussen",
        "Jørgensen",
        "Petersen",
        "Madsen",
        "Kristensen",
        "Olsen",
        "Thomsen",
        "Møller",
        "Kjær",
        "Lund",
        "Holm",
        "Bæk",
        "Dahl",
        "Skovgård",
        "Søndergaard",
        "Østergaard",
        "Ågesen",
        "Frølund",
        "Kløvedal",
        "Mærsk",
    ]
)
PLACES = np.array(
    [
        "Lyngby",
        "Kongens Lyngby",
        "Virum",
        "Sorgenfri",
        "Taarbæk",
        "Lundtofte",
        "Hjortekær",
        "Brede",
        "Bagsværd",
        "Holte",
        "Nærum",
        "Søllerød",
        "Ørholm",
        "Gentofte",
        "Jægersborg",
    ]
)
PROVIDER_KINDS: dict[str, str] = {
    "apotek": "Apotek",
    "tandlaege": "Tandlægerne",
    "tandtekniker": "Klinisk Tandtekniker",
    "fysioterapeut": "Fysioterapi",
    "kiropraktor": "Kiropraktisk Klinik",
    "fodterapeut": "Fodterapeuten",
    "psykolog": "Psykologhuset",
    "optiker": "Optik",
}
"""Company kind -> the word its name starts with."""
KIND_SHARE = np.array([0.12, 0.24, 0.05, 0.18, 0.08, 0.12, 0.10, 0.11])
PROVIDERS_FOR_TYPE: dict[str, tuple[str, ...]] = {
    "medicin": ("apotek",),
    "tandbehandling": ("tandlaege",),
    "fysioterapi": ("fysioterapeut",),
    "kiropraktik": ("kiropraktor",),
    "fodterapi": ("fodterapeut",),
    "psykolog": ("psykolog",),
    "briller": ("optiker",),
    "tandprotese": ("tandlaege", "tandtekniker"),
}
"""Which kind of company bills which expense type, so providers look plausible."""
OTHER_MUNICIPALITIES = np.array(
    [
        101,
        147,
        151,
        157,
        159,
        161,
        165,
        167,
        169,
        175,
        183,
        185,
        187,
        190,
        201,
        210,
        217,
        219,
        223,
        230,
        240,
        250,
        253,
        259,
        260,
        265,
        270,
        751,
        851,
    ]
)


@dataclass(frozen=True)
class RoleSizes:
    """How many people each planted role needs (one claim each per night)."""

    per_kind: int
    velocity_citizens: int
    """Velocity citizens a night; the register holds VELOCITY_GROUPS times as many."""
    clean: int
    other: int


@dataclass(frozen=True)
class Population:
    """The register extracts as typed columns, plus who is who for the claim generator."""

    citizens: pd.DataFrame
    pensioners: pd.DataFrame
    companies: pd.DataFrame
    pools: dict[str, IntArray]
    active_providers: dict[str, IntArray]
    closed_providers: dict[str, IntArray]
    anchor_day: int


def _uniform_days(rng: np.random.Generator, lo: date | int, hi: date | int, n: int) -> IntArray:
    """n days drawn uniformly from [lo, hi]."""
    lo_day = day_of(lo) if isinstance(lo, date) else int(lo)
    hi_day = day_of(hi) if isinstance(hi, date) else int(hi)
    return rng.integers(lo_day, hi_day + 1, size=n, dtype=np.int64)


def _vector_uniform(rng: np.random.Generator, lo: IntArray, hi: IntArray) -> IntArray:
    """One draw per row from [lo_i, hi_i] (hi_i >= lo_i), in integers only."""
    span = np.asarray(hi, dtype=np.int64) - np.asarray(lo, dtype=np.int64) + 1
    return (
        np.asarray(lo, dtype=np.int64)
        + rng.integers(0, np.iinfo(np.int64).max, size=len(span)) % span
    )


def add_years(days: IntArray, years: int) -> IntArray:
    """Shift days by whole years, month-exact (1 March stays 1 March)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    offset = (d - month.astype("datetime64[D]")).astype(np.int64)
    shifted = (month + 12 * years).astype("datetime64[D]").astype(np.int64)
    next_month = (month + 12 * years + 1).astype("datetime64[D]").astype(np.int64)
    return np.minimum(shifted + offset, next_month - 1)


def _compose_cprs(rng: np.random.Generator, birth_days: IntArray) -> tuple[IntArray, IntArray]:
    """Date part of the CPR plus a digit 7 that gives the right century (domain.md 7.1)."""
    d = np.asarray(birth_days, dtype=np.int64).astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    months = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    if bool(((years < 1900) | (years > 2036)).any()):
        raise ValueError("demo CPR numbers are only made for births 1900-2036")
    pick = rng.integers(0, 6, size=len(d))
    digit7 = np.where(
        years <= 1936,
        pick % 4,
        np.where(
            years <= 1999, np.array([0, 1, 2, 3, 4, 9])[pick], np.array([4, 5, 6, 7, 8, 9])[pick]
        ),
    )
    stem = mdays * 10**8 + months * 10**6 + (years % 100) * 10**4 + digit7 * 1000
    return stem.astype(np.int64), rng.integers(0, 1000, size=len(d), dtype=np.int64)


def new_cprs(rng: np.random.Generator, birth_days: IntArray, taken: IntArray) -> IntArray:
    """Unique valid CPR numbers for the given births, none of them in `taken`.

    Valid means what stdnum checks (ten digits, a real birth date in the past); modulus
    11 is not a rule since 2007 (domain.md 7.1), so the serial digits are random.
    """
    stem, serial = _compose_cprs(rng, birth_days)
    taken_sorted = np.unique(np.asarray(taken, dtype=np.int64))
    for _ in range(100):
        cpr = stem + serial
        clash = pd.Series(cpr).duplicated().to_numpy() | np.isin(cpr, taken_sorted)
        if not clash.any():
            return cpr
        serial[clash] = rng.integers(0, 1000, size=int(clash.sum()), dtype=np.int64)
    raise ValueError("could not make unique CPR numbers: too many people on too few birth dates")


def new_cvrs(rng: np.random.Generator, n: int, taken: IntArray) -> IntArray:
    """n unique CVR numbers that pass the modulus-11 check, none of them in `taken`."""
    weights = np.array([2, 7, 6, 5, 4, 3, 2], dtype=np.int64)
    taken_sorted = np.unique(np.asarray(taken, dtype=np.int64))
    found = np.empty(0, dtype=np.int64)
    while len(found) < n:
        want = (n - len(found)) * 2 + 16
        digits = rng.integers(0, 10, size=(want, 7), dtype=np.int64)
        digits[:, 0] = rng.integers(1, 10, size=want, dtype=np.int64)
        check = (-(digits @ weights)) % 11
        base = digits @ (10 ** np.arange(6, -1, -1, dtype=np.int64))
        cvr = base[check < 10] * 10 + check[check < 10]
        found = np.concatenate([found, cvr])
        found = found[~pd.Series(found).duplicated().to_numpy()]
        found = found[~np.isin(found, taken_sorted)]
    return found[:n]


def _names(
    rng: np.random.Generator, male: npt.NDArray[np.bool_]
) -> pd.api.extensions.ExtensionArray:
    """Danish-looking full names matching the CPR's sex digit, with æøå in them."""
    n = len(male)
    first = pick(
        [*MALE_NAMES, *FEMALE_NAMES],
        np.where(
            male,
            rng.integers(0, len(MALE_NAMES), n),
            len(MALE_NAMES) + rng.integers(0, len(FEMALE_NAMES), n),
        ),
    )
    middle = pick([f"{m} " for m in MIDDLE_NAMES], rng.integers(0, len(MIDDLE_NAMES), n))
    last = pick(SURNAMES, rng.integers(0, len(SURNAMES), n))
    with_middle = rng.random(n) < 0.25
    return column(cat(first, " ", choose(with_middle, middle, ""), last))


def role_layout(pensioners: int, per_kind: int, velocity_citizens: int) -> RoleSizes:
    """How many clean pensioners remain once every planted role has its people."""
    # Every citizen fault but HT-NO-PENSION has n pensioners; HT-NO-PENSION has n // 2
    # with an ended record (the rest are not in the extract at all); n look-alikes.
    planted = (
        per_kind * (len(CITIZEN_FAULTS) - 1)
        + per_kind // 2
        + per_kind
        + velocity_citizens * VELOCITY_GROUPS
    )
    return RoleSizes(
        per_kind=per_kind,
        velocity_citizens=velocity_citizens,
        clean=pensioners - planted,
        other=max(10, pensioners // 20),
    )


def build_population(
    seed: int, municipality_code: int, sizes: RoleSizes, policy: DemoPolicy
) -> Population:
    """Make the registers. Same arguments, same people, whatever the night."""
    rng = np.random.default_rng([seed, 1])
    n = sizes.per_kind
    anchor = day_of(date(policy.rate_years[0], 1, 1))
    cutoff = day_of(policy.foertid_awarded_before)
    limits = [r.liquid_asset_limit_oere for r in policy.rates.values()]

    # --- who is who -----------------------------------------------------------------
    pensioner_roles = (
        [(ROLE_CLEAN, sizes.clean), (ROLE_VELOCITY, sizes.velocity_citizens * VELOCITY_GROUPS)]
        + [(kind, n) for kind in CITIZEN_FAULTS if kind != "HT-NO-PENSION"]
        + [(ROLE_NO_PENSION_ENDED, n // 2), (ROLE_FOERTID_OLD_BLANK, n)]
    )
    citizen_only_roles = [(ROLE_NO_PENSION_ABSENT, n - n // 2), (ROLE_OTHER, sizes.other)]
    role = np.concatenate([np.repeat(r, k) for r, k in pensioner_roles + citizen_only_roles])
    total = len(role)
    is_pensioner = np.arange(total) < sum(k for _, k in pensioner_roles)

    # Old-rules førtidspensionister (awarded before the cutoff) are younger; the rest of
    # the pensioners are of folkepension age.
    # The two førtidspension roles with no award date are made below: one awarded after
    # the cutoff (held, HT-FOERTID-UNKNOWN), one before it (a look-alike, paid).
    unknown_award = role == "HT-FOERTID-UNKNOWN"
    blank_old = role == ROLE_FOERTID_OLD_BLANK
    foertid = is_pensioner & (role != "HT-FOERTID-NEW") & (rng.random(total) < 0.10)
    foertid = (foertid & ~unknown_award) | blank_old
    foertid_new = (role == "HT-FOERTID-NEW") | unknown_award
    birth = np.where(
        foertid,
        _uniform_days(rng, date(1960, 1, 1), date(1972, 12, 31), total),
        np.where(
            foertid_new,
            _uniform_days(rng, date(1962, 1, 1), date(1980, 12, 31), total),
            np.where(
                role == ROLE_OTHER,
                _uniform_days(rng, date(1940, 1, 1), date(2005, 12, 31), total),
                _uniform_days(rng, date(1928, 1, 1), date(1956, 12, 31), total),
            ),
        ),
    )
    cpr = new_cprs(rng, birth, np.empty(0, dtype=np.int64))
    male = (cpr % 2) == 1

    # --- citizens ---------------------------------------------------------------------
    past_event = anchor - rng.integers(30, 1500, size=total)
    status = np.full(total, "active", dtype=object)
    for kind, word in (
        ("HT-DEAD", "dead"),
        ("HT-EMIGRATED", "emigrated"),
        ("HT-MISSING", "missing"),
    ):
        status[role == kind] = word
    other = role == ROLE_OTHER
    noise = rng.choice(
        np.array(["active", "dead", "emigrated", "missing"]), size=total, p=[0.85, 0.05, 0.05, 0.05]
    )
    status[other] = noise[other]
    moved = (role == "HT-MOVED") | (other & (rng.random(total) < 0.4))
    municipality = np.where(
        moved,
        OTHER_MUNICIPALITIES[OTHER_MUNICIPALITIES != municipality_code][
            rng.integers(0, len(OTHER_MUNICIPALITIES) - 1, total)
        ],
        municipality_code,
    )
    citizens = pd.DataFrame(
        {
            "cpr": cpr,
            "hyphen": rng.random(total) < 0.35,
            "name": _names(rng, male),
            "status": status,
            "status_day": np.where(status == "active", BLANK_DAY, past_event),
            "municipality_code": municipality.astype(np.int64),
            "civil_status": rng.choice(
                np.array(["single", "married", "cohabiting"]), size=total, p=[0.45, 0.45, 0.10]
            ),
            "moved_day": np.where(moved, anchor - rng.integers(30, 1500, size=total), BLANK_DAY),
            "role": role,
        }
    )

    # --- pension records ----------------------------------------------------------------
    p_idx = np.flatnonzero(is_pensioner)
    p_role = role[p_idx]
    p_foertid = foertid[p_idx] | foertid_new[p_idx]
    m = len(p_idx)
    p_birth = birth[p_idx]
    folk_awarded = (
        (p_birth.astype("datetime64[D]").astype("datetime64[M]") + 67 * 12 + 1)
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    old_lo = np.maximum(add_years(p_birth, 20), day_of(date(1990, 1, 1)))
    old_awarded = _vector_uniform(rng, old_lo, np.full(m, cutoff - 1))
    new_lo = np.maximum(add_years(p_birth, 20), cutoff)
    new_awarded = _vector_uniform(
        rng, new_lo, np.maximum(new_lo, np.full(m, min(cutoff + 4000, anchor - 1)))
    )
    awarded = np.where(
        foertid_new[p_idx], new_awarded, np.where(p_foertid, old_awarded, folk_awarded)
    )
    awarded = np.minimum(awarded, anchor - 1 - rng.integers(0, 30, size=m))

    ended = p_role == ROLE_NO_PENSION_ENDED
    valid_to = np.where(ended, anchor - rng.integers(1, 700, size=m), BLANK_DAY)
    awarded = np.where(ended, np.minimum(awarded, valid_to - 365), awarded)
    # Some pensioners have an earlier record that ended when their facts changed: the
    # checks must use the record valid on the service date, not just any record.
    has_history = (~ended) & (rng.random(m) < 0.15) & (awarded < anchor - 3)
    # HT-FOERTID-UNKNOWN: the only record starts on or after the cutoff, so nothing in the
    # register shows the old scheme. Every second look-alike has an earlier record: its
    # current record may start after the cutoff, the earliest one shows the old scheme.
    p_blank_old = p_role == ROLE_FOERTID_OLD_BLANK
    has_history = (has_history & (p_role != "HT-FOERTID-UNKNOWN")) | (
        p_blank_old & (np.cumsum(p_blank_old) % 2 == 0) & (awarded < anchor - 3)
    )
    split = _vector_uniform(rng, awarded + 1, np.maximum(awarded + 1, np.full(m, anchor - 2)))
    current_from = np.where(has_history, split, awarded)
    # The extract leaves awarded_date blank for these two roles; valid_from still holds.
    no_award_date = np.isin(p_role, ["HT-FOERTID-UNKNOWN", ROLE_FOERTID_OLD_BLANK])
    written_awarded = np.where(no_award_date, BLANK_DAY, awarded)

    min_limit, max_limit = min(limits), max(limits)
    safe_max = max(min_limit - 100_000, 0)  # stay 1.000 kr. clear of the lowest limit
    clean_assets = np.minimum(rng.integers(0, safe_max + 1, m), rng.integers(0, safe_max + 1, m))
    over_assets = np.where(
        rng.random(m) < 0.5, max_limit + 100, max_limit + rng.integers(100, 2 * max_limit, m)
    )
    assets = np.where(p_role == "HT-ASSETS", over_assets, clean_assets)
    percent = np.where(rng.random(m) < 0.85, 100, rng.integers(50, 100, m))
    percent = np.where(p_role == "HT-PCT-ZERO", 0, percent)
    pension_type = np.where(p_foertid, "foertidspension", "folkepension")

    current = pd.DataFrame(
        {
            "cpr": cpr[p_idx],
            "pension_type": pension_type,
            "supplement_percent": percent.astype(np.int64),
            "liquid_assets_oere": assets.astype(np.int64),
            "valid_from": current_from,
            "valid_to": valid_to,
            "awarded_day": written_awarded,
        }
    )
    h = np.flatnonzero(has_history)
    earlier = pd.DataFrame(
        {
            "cpr": cpr[p_idx][h],
            "pension_type": pension_type[h],
            "supplement_percent": rng.integers(50, 101, len(h)).astype(np.int64),
            "liquid_assets_oere": np.where(
                rng.random(len(h)) < 0.2,
                rng.integers(min_limit, 3 * max_limit, len(h)),
                clean_assets[h],
            ).astype(np.int64),
            "valid_from": awarded[h],
            "valid_to": split[h] - 1,
            "awarded_day": written_awarded[h],
        }
    )
    pensioners = pd.concat([current, earlier], ignore_index=True)
    pensioners["hyphen"] = rng.random(len(pensioners)) < 0.35
    pensioners = pensioners.sort_values(["cpr", "valid_from"], kind="stable", ignore_index=True)

    # --- companies ----------------------------------------------------------------------
    companies = _build_companies(rng, max(80, (total - sizes.other) // 25), anchor)

    kinds = companies["kind"].to_numpy()
    cstatus = companies["status"].to_numpy()
    active_providers: dict[str, IntArray] = {}
    closed_providers: dict[str, IntArray] = {}
    for expense_type in EXPENSE_TYPES:
        fits = np.isin(kinds, PROVIDERS_FOR_TYPE[expense_type])
        active_providers[expense_type] = companies["cvr"].to_numpy()[fits & (cstatus == "active")]
        closed_providers[expense_type] = companies["cvr"].to_numpy()[
            fits & np.isin(cstatus, ["bankrupt", "closed"])
        ]

    citizens = citizens.sort_values("cpr", kind="stable", ignore_index=True)
    pools = {
        r: rng.permutation(citizens["cpr"].to_numpy()[citizens["role"].to_numpy() == r])
        for r, _ in pensioner_roles + citizen_only_roles
    }
    return Population(
        citizens=citizens,
        pensioners=pensioners,
        companies=companies,
        pools=pools,
        active_providers=active_providers,
        closed_providers=closed_providers,
        anchor_day=anchor,
    )


CORRECTIONS = 5
"""Rows in night 2's second citizens file (a handful of corrections)."""


def corrections(population: Population, seed: int, night: date) -> pd.DataFrame:
    """A second citizens file of a night: a few clean citizens repeated, one with another
    civil status (which no check reads). Its name says neither delta nor full, so it is a
    full extract combined by CPR with the big one, the later file (by name) winning."""
    rng = np.random.default_rng([seed, night.toordinal(), 5])
    citizens = population.citizens
    clean = np.flatnonzero(citizens["role"].to_numpy() == ROLE_CLEAN)
    chosen = np.sort(rng.choice(clean, size=min(CORRECTIONS, len(clean)), replace=False))
    rows = citizens.iloc[chosen].copy().reset_index(drop=True)
    rows["hyphen"] = ~rows["hyphen"].to_numpy()  # written differently, read the same
    if len(rows):
        following = {"single": "married", "married": "single", "cohabiting": "married"}
        rows.loc[0, "civil_status"] = following[str(rows.loc[0, "civil_status"])]
    return rows


def _build_companies(rng: np.random.Generator, count: int, anchor: int) -> pd.DataFrame:
    """Providers of every kind; each kind has active ones and bankrupt/closed ones."""
    kind_names = np.array(list(PROVIDER_KINDS))
    guaranteed_kind = np.repeat(kind_names, 5)
    guaranteed_status = np.tile(
        np.array(["active", "active", "active", "bankrupt", "closed"]), len(kind_names)
    )
    extra = max(count - len(guaranteed_kind), 0)
    kind = np.concatenate([guaranteed_kind, rng.choice(kind_names, size=extra, p=KIND_SHARE)])
    status = np.concatenate(
        [
            guaranteed_status,
            rng.choice(
                np.array(["active", "bankrupt", "closed", "liquidation"]),
                size=extra,
                p=[0.85, 0.05, 0.06, 0.04],
            ),
        ]
    )
    total = len(kind)
    started = anchor - rng.integers(200, 15000, size=total)
    ended = anchor - rng.integers(30, 1500, size=total)
    label = pd.Series(kind).map(PROVIDER_KINDS).to_numpy()
    place = PLACES[rng.integers(0, len(PLACES), total)]
    suffix = np.array(["", " ApS", " I/S", " Nord", " Syd", " Centrum"])[rng.integers(0, 6, total)]
    frame = pd.DataFrame(
        {
            "cvr": new_cvrs(rng, total, np.empty(0, dtype=np.int64)),
            "name": column(cat(strings(label), " ", strings(place), strings(suffix))),
            "status": status,
            "status_day": np.where(status == "active", started, ended).astype(np.int64),
            "sector": rng.choice(np.array(["private", "public"]), size=total, p=[0.95, 0.05]),
            "kind": kind,
        }
    )
    return frame.sort_values("cvr", kind="stable", ignore_index=True)
