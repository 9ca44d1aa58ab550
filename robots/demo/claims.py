"""One night of health claims: clean ones, and planted errors that trip one rule each.

Why it is built like this:
- Every claim is first drawn clean (an active pensioner in the municipality with a
  valid pension record, an active provider of the right kind, a plausible amount, dates
  inside the window), then each planted kind changes exactly one thing. So a test, or
  the control group, can tell which rule caught which row.
- Clean amounts are right-skewed like real bills: per expense type a median of
  ceiling / (4 x times_median) (config/checks.toml), none above times_median / 2 times it,
  so HT-HIGH-AMOUNT's median rule (times_median times the type's median) never fires on
  a clean bill, while a planted unusual bill 13-25 times the median is caught below the
  ceiling. A denture of several thousand kroner is usual among dentures and is paid.
- People are drawn from "slots" (three per clean pensioner), so nobody gets more than
  three clean claims a night; planted duplicates and history rows add at most two more,
  which keeps everybody except the planted velocity citizens under the per-night limit.
  Velocity citizens take turns by night (population.VELOCITY_GROUPS), so last night's
  held velocity bills can come again tonight as HT-DUP-HELD and trip nothing else.
- The night's regular claims depend only on the spec (seed + night), never on the
  previous night, so a previous night can be regenerated exactly: its clean claims for
  the history kinds and the bytes of one of its files for FILE-ALREADY-PROCESSED.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from robots.demo.policy import EXPENSE_TYPES, DemoConfigError, DemoPolicy
from robots.demo.population import (
    CITIZEN_FAULTS,
    ROLE_CLEAN,
    ROLE_FOERTID_OLD_BLANK,
    ROLE_NO_PENSION_ABSENT,
    ROLE_NO_PENSION_ENDED,
    ROLE_VELOCITY,
    VELOCITY_GROUPS,
    Population,
    new_cprs,
    new_cvrs,
)
from robots.demo.textformat import (
    BLANK_DAY,
    Strings,
    cat,
    choose,
    column,
    day_of,
    iso_dates,
    plain_amounts,
    strings,
    to_numpy,
    zero_padded,
)

IntArray = npt.NDArray[np.int64]

INVALID_TYPES: tuple[str, ...] = ("massage", "akupunktur", "zoneterapi", "kosttilskud", "fodbad")
"""Expense types a provider might send that are not in the contract list."""
ALL_TYPES: tuple[str, ...] = EXPENSE_TYPES + INVALID_TYPES
DENTURES = EXPENSE_TYPES.index("tandprotese")
LARGE_DENTURES = 5
"""Clean dentures a night at 4/5 to all of their clean maximum: large, but usual."""
TYPE_WEIGHTS = np.array([0.40, 0.20, 0.12, 0.06, 0.08, 0.04, 0.06, 0.04])
"""How often each contract expense type occurs among clean claims (medicine dominates)."""
MIN_SHARE_OERE = 5_000
"""Clean claims are at least 50,00 kr. (or half their type's median, if that is less)."""
CLEAN_MEDIAN_DIVISOR = 4
"""A type's clean median is its ceiling / (this x times_median): 1/40 of it at 10."""
CLEAN_SPREAD = 0.6
"""Spread of clean shares around their median (sigma of the log share): right-skewed."""
UNUSUAL_TIMES = (1.3, 2.5)
"""Planted unusual shares: between these multiples of times_median times the type's
clean median (13-25 times at times_median 10), which stays below the ceiling."""
UNUSUAL_MIN_BILLS = 100
"""A type gets planted unusual shares only with this many clean bills tonight (and at
least min_bills): with fewer, the robot's median (tonight's and the ledger's bills) may
stray too far from the generator's."""
WINDOW_DAYS = 60
"""Clean service dates lie within this many days before the night."""

CLAIM_LEVEL_KINDS: tuple[str, ...] = (
    "READ-MALFORMED",
    "READ-VALUE",
    "DQ-HC-EXPENSE-TYPE",
    "DQ-HC-SHARE-POSITIVE",
    "DQ-HC-CLAIM-ID-UNIQUE",
    "DQ-HC-RECEIVED-BEFORE-SERVICE",
    "DQ-HC-SERVICE-NOT-FUTURE",
    "HT-HIGH-AMOUNT",
    "HT-UDVIDET-APPROVAL",
    "HT-PROVIDER-UNKNOWN",
    "HT-PROVIDER-CLOSED",
    "HT-STALE",
)
"""Planted kinds whose fault sits in the claim row itself; their people are clean."""
HISTORY_KINDS: tuple[str, ...] = ("HT-DUP-PAID", "CLAIM-ALREADY-PROCESSED", "HT-RESUBMIT-CHANGED")
"""Planted kinds that need the previous night's (paid) claims."""
DUP_HELD = "HT-DUP-HELD"
"""Planted on night 2: a bill held on night 1 (velocity) again under a new claim id."""
COPY_TONIGHT = "CLAIM-COPY-TONIGHT"
"""Planted on night 2: an exact copy (same claim id and content) of a claim of tonight."""

BAD_DATE_FIELD, BAD_RECEIVED_FIELD, BAD_SHARE_FIELD = 0, 1, 2
COMMA_FILE, MAC_FILE = 1, 3
"""Positions of the comma file and the old-Mac file among a mixed night's claim files."""
MISSING_FIELD, EXTRA_FIELD = 0, 1


@dataclass(frozen=True)
class Flavour:
    """How one claims file spells its values (contracts.md "Files and folders")."""

    name: str
    xlsx: bool
    delimiter: str = ","
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    dmy_dates: bool = False
    danish_amounts: bool = False


SEMICOLON = Flavour("semicolon", False, ";", "cp1252", False, "\r\n", True, True)
MAC = Flavour("mac", False, ";", "cp1252", False, "\r", True, True)
"""An old Mac export: lines end in a carriage return alone."""
COMMA = Flavour("comma", False)
COMMA_BOM = Flavour("comma_bom", False, bom=True)
XLSX = Flavour("xlsx", True)


@dataclass(frozen=True)
class NightPlan:
    """Counts and date pools for one night, all derived from the spec and config."""

    night: date
    night_day: int
    per_kind: int
    velocity_citizens: int
    velocity_claims_each: int
    skipped: tuple[tuple[str, str], ...]
    """Planted kinds this night cannot carry cleanly, each with the reason."""
    service_days: IntArray
    future_days: IntArray
    stale_days: IntArray
    clean_count: int
    claim_level_counts: tuple[tuple[str, int], ...]
    id_width: int

    @property
    def clean_pool_rows(self) -> int:
        """Rows drawn from clean pensioners: clean claims plus claim-level planted kinds."""
        return self.clean_count + sum(count for _, count in self.claim_level_counts)


@dataclass(frozen=True)
class NightClaims:
    """A night's claim rows, laid out into files with line numbers and notes."""

    plan: NightPlan
    rows: pd.DataFrame
    file_names: tuple[str, ...]
    flavours: tuple[Flavour, ...]


def per_kind_count(claims: int, error_rate: float) -> int:
    """Planted rows per kind: the error rate of the claims, at least 3."""
    return max(3, round(error_rate * claims))


def add_months(value: date, months: int) -> date:
    """Calendar months, clamping the day (31 March - 1 month = 28/29 February)."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    first_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (first_next - date(year, month + 1, 1)).days
    return date(year, month + 1, min(value.day, last_day))


def _years_of(days: IntArray) -> IntArray:
    """Calendar year of each day."""
    return (
        np.asarray(days, dtype=np.int64)
        .astype("datetime64[D]")
        .astype("datetime64[Y]")
        .astype(np.int64)
        + 1970
    )


def _days_in_years(days: IntArray, years: list[int]) -> IntArray:
    """The days whose calendar year is in `years`."""
    return days[np.isin(_years_of(days), years)]


def make_plan(night: date, claims: int, error_rate: float, policy: DemoPolicy) -> NightPlan:
    """Work out the night's counts and which service dates are safe to use.

    Clean service dates must fall in a year with a rate file, preferably a sourced
    (non-provisional) one, because a production run refuses to pay on a provisional rate.
    """
    night_day = day_of(night)
    n = per_kind_count(claims, error_rate)
    window = np.arange(night_day - WINDOW_DAYS, night_day + 1, dtype=np.int64)
    service_days = _days_in_years(window, policy.sourced_years)
    if len(service_days) == 0:
        service_days = _days_in_years(window, policy.rate_years)
    if len(service_days) == 0:
        raise DemoConfigError(
            f"no config/rates/<year>.toml covers service dates in the {WINDOW_DAYS} days before "
            f"{night.isoformat()}; rate files exist for {policy.rate_years}"
        )
    skipped: dict[str, str] = {}
    future = np.arange(night_day + 1, night_day + 21, dtype=np.int64)
    future_days = _days_in_years(future, policy.rate_years)
    if len(future_days) == 0:
        # A future service date in a year without a rate file would also fail the asset check.
        skipped["DQ-HC-SERVICE-NOT-FUTURE"] = (
            f"NOT PLANTED: the days after {night.isoformat()} fall in a year without a "
            f"config/rates file (rate files exist for {policy.rate_years}), so a future "
            "service date would carry a second fault"
        )
    stale_days, reason = _stale_days(night, policy)
    if len(stale_days) == 0:
        skipped["HT-STALE"] = reason
    per_citizen = policy.max_claims_per_citizen_per_night + 1
    velocity_citizens = max(1, -(-n // per_citizen))
    # HT-HIGH-AMOUNT: n above the ceiling and n unusual for their type (the median rule).
    claim_level = tuple(
        (
            kind,
            0
            if kind in skipped
            else 2 * n
            if kind in ("DQ-HC-CLAIM-ID-UNIQUE", "HT-HIGH-AMOUNT")
            else n,
        )
        for kind in CLAIM_LEVEL_KINDS
    )
    planted = (
        sum(count for _, count in claim_level)
        + n * len(CITIZEN_FAULTS)
        + n  # DQ-HC-CPR-KNOWN
        + n  # HT-DUP-NIGHT
        + velocity_citizens * per_citizen
        + n  # look-alikes: old-scheme foertidspension with no award date (clean)
    )
    clean = claims - planted
    if clean < n:
        raise ValueError(
            f"claims={claims} is too few for error_rate={error_rate}: the planted errors take "
            f"{planted} rows; use at least {planted + n} claims or a lower error_rate"
        )
    return NightPlan(
        night=night,
        night_day=night_day,
        per_kind=n,
        velocity_citizens=velocity_citizens,
        velocity_claims_each=per_citizen,
        skipped=tuple(skipped.items()),
        service_days=service_days,
        future_days=future_days,
        stale_days=stale_days,
        clean_count=clean,
        claim_level_counts=claim_level,
        id_width=max(6, len(str(claims + 2 * n))),
    )


def _stale_days(night: date, policy: DemoPolicy) -> tuple[IntArray, str]:
    """Service dates ~40 months back whose year has a sourced limit, or why there are none."""
    months = policy.stale_after_months
    # Received at most 9 days before the night; keep a 2-month margin over the threshold.
    latest = add_months(date.fromordinal(night.toordinal() - 10), -(months + 2))
    target = add_months(night, -(months + 4))
    lo = day_of(target) - 30
    hi = min(day_of(target) + 30, day_of(latest))
    candidates = _days_in_years(np.arange(lo, hi + 1, dtype=np.int64), policy.sourced_years)
    if len(candidates) == 0:
        usable = [y for y in policy.sourced_years if date(y, 1, 1) <= latest]
        if usable:
            year = max(usable)
            start = max(day_of(date(year, 1, 1)), day_of(latest) - 60)
            stop = min(day_of(date(year, 12, 31)), day_of(latest))
            candidates = np.arange(start, stop + 1, dtype=np.int64)
    if len(candidates):
        return candidates, ""
    described = ", ".join(
        f"{y}{' (provisional)' if policy.rates[y].provisional else ''}" for y in policy.rate_years
    )
    return np.empty(0, dtype=np.int64), (
        f"NOT PLANTED: a stale claim needs a service date more than {months} months before "
        f"{night.isoformat()} (i.e. before {latest.isoformat()}) in a year with a sourced "
        f"(non-provisional) asset limit; config/rates has {described}"
    )


def _draw(rng: np.random.Generator, pool: IntArray, n: int) -> IntArray:
    """n values drawn with replacement from a pool."""
    return pool[rng.integers(0, len(pool), size=n)]


def _providers(rng: np.random.Generator, etype: IntArray, by_type: dict[str, IntArray]) -> IntArray:
    """A provider of the right kind for each expense type (unknown types: a physiotherapist)."""
    provider = np.zeros(len(etype), dtype=np.int64)
    contract = np.where(etype < len(EXPENSE_TYPES), etype, EXPENSE_TYPES.index("fysioterapi"))
    for code, name in enumerate(EXPENSE_TYPES):
        mask = contract == code
        if mask.any():
            provider[mask] = _draw(rng, by_type[name], int(mask.sum()))
    return provider


def share_bounds(policy: DemoPolicy) -> tuple[IntArray, IntArray, IntArray]:
    """Per contract expense type (in EXPENSE_TYPES order): the lowest clean share, the
    median clean shares are drawn around, and the highest clean share, in øre.

    The median is the type's ceiling / (CLEAN_MEDIAN_DIVISOR x times_median) and the
    highest clean share times_median / 2 times the median: half of what HT-HIGH-AMOUNT's
    median rule allows, and an eighth of the ceiling.
    """
    usual = np.array([policy.usual_max_oere[t] for t in EXPENSE_TYPES], dtype=np.int64)
    median = usual // (CLEAN_MEDIAN_DIVISOR * policy.times_median)
    highest = median * policy.times_median // 2
    lowest = np.minimum(MIN_SHARE_OERE, median // 2)
    if bool((lowest < 1).any()):
        raise DemoConfigError(
            "config/checks.toml usual_max_citizen_share is too small for the demo's clean "
            f"bills: each ceiling must be at least {2 * CLEAN_MEDIAN_DIVISOR * policy.times_median}"
            " øre"
        )
    return lowest, median, highest


def clean_shares(rng: np.random.Generator, etype: IntArray, policy: DemoPolicy) -> IntArray:
    """Right-skewed clean shares: log-normal around the type's median, cut to its bounds.

    Values outside the bounds are drawn again (a few rounds, vectorised), so no share
    piles up at a bound. Unknown expense types (planted) take the last type's bounds.
    """
    lowest, median, highest = share_bounds(policy)
    code = np.minimum(etype, len(EXPENSE_TYPES) - 1)
    mid = median[code].astype(np.float64)
    low = np.log(lowest[code] / mid) / CLEAN_SPREAD
    high = np.log(highest[code] / mid) / CLEAN_SPREAD
    z = rng.standard_normal(len(code))
    outside = (z < low) | (z > high)
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = (z < low) | (z > high)
    share = np.rint(mid * np.exp(CLEAN_SPREAD * z)).astype(np.int64)
    return np.clip(share, lowest[code], highest[code])


def _base_rows(
    rng: np.random.Generator,
    plan: NightPlan,
    policy: DemoPolicy,
    population: Population,
    cprs: IntArray,
    kind: str,
    *,
    etype: IntArray | None = None,
    days: IntArray | None = None,
) -> pd.DataFrame:
    """Clean claims for the given people; planted kinds then change one column."""
    n = len(cprs)
    if etype is None:
        etype = rng.choice(len(EXPENSE_TYPES), size=n, p=TYPE_WEIGHTS).astype(np.int64)
    service = _draw(rng, plan.service_days if days is None else days, n)
    delay = np.minimum(rng.integers(0, 31, n), rng.integers(0, 31, n))
    received = np.minimum(service + delay, np.maximum(service, plan.night_day))
    share = clean_shares(rng, etype, policy)
    udvidet = np.isin(etype, [EXPENSE_TYPES.index(t) for t in policy.udvidet_expense_types])
    approval = np.where(udvidet, service - rng.integers(1, 91, n), BLANK_DAY)
    return pd.DataFrame(
        {
            "cpr": np.asarray(cprs, dtype=np.int64),
            "hyphen": rng.random(n) < 0.4,
            "etype": etype,
            "provider": _providers(rng, etype, population.active_providers),
            "service": service,
            "share": share.astype(np.int64),
            "received": received,
            "approval": approval.astype(np.int64),
            "kind": np.full(n, kind, dtype=object),
            "id_pair": np.full(n, -1, dtype=np.int64),
            "dup_pair": np.full(n, -1, dtype=np.int64),
            "bad_field": np.full(n, -1, dtype=np.int64),
            "bad_variant": np.full(n, -1, dtype=np.int64),
            "malformed": np.full(n, -1, dtype=np.int64),
            "ref_median": np.zeros(n, dtype=np.int64),
        }
    )


KEY = ["cpr", "etype", "provider", "service", "share"]
"""What makes two claims the same bill (HT-DUP-NIGHT / HT-DUP-PAID)."""


def _make_distinct(rows: pd.DataFrame) -> None:
    """Nudge the share of accidental look-alikes by one øre until no two rows share KEY.

    Random claims can collide by chance; a collision would be an unplanned HT-DUP-NIGHT.
    The nudge moves away from zero, so a planted non-positive share stays non-positive.
    """
    for _ in range(100):
        dup = rows.duplicated(subset=KEY).to_numpy()
        if not dup.any():
            return
        step = np.where(rows["share"].to_numpy()[dup] > 0, 1, -1)
        rows.loc[dup, "share"] = rows["share"].to_numpy()[dup] + step
    raise RuntimeError("could not make the demo claims distinct")


def build_night(
    seed: int,
    plan: NightPlan,
    policy: DemoPolicy,
    population: Population,
    csv_only: bool,
) -> NightClaims:
    """All regular claim rows of one night, planted, shuffled, numbered and placed in files."""
    rng = np.random.default_rng([seed, plan.night.toordinal(), 2])
    n = plan.per_kind
    udvidet_codes = np.array([EXPENSE_TYPES.index(t) for t in policy.udvidet_expense_types])

    # --- rows whose people are clean pensioners (three slots each) --------------------
    slot_rows = plan.clean_pool_rows
    slots = np.repeat(population.pools[ROLE_CLEAN], 3)
    if slot_rows > len(slots):
        raise ValueError(
            f"{len(population.pools[ROLE_CLEAN])} clean pensioners cannot carry {slot_rows} claims "
            "at 3 claims each; raise pensioners"
        )
    cprs = slots[rng.choice(len(slots), size=slot_rows, replace=False)]
    # Clean, with a few dentures at the top of their clean range: large bills (many times a
    # usual medicine bill) that are usual among dentures, so HT-HIGH-AMOUNT must pay them.
    etype = rng.choice(len(EXPENSE_TYPES), size=plan.clean_count, p=TYPE_WEIGHTS).astype(np.int64)
    large = min(n, LARGE_DENTURES, plan.clean_count)
    etype[:large] = DENTURES
    clean = _base_rows(rng, plan, policy, population, cprs[: plan.clean_count], "", etype=etype)
    top = share_bounds(policy)[2][DENTURES]
    clean.loc[: large - 1, "share"] = rng.integers(top * 4 // 5, top + 1, large)
    blocks = [clean]
    start = plan.clean_count
    for kind, count in plan.claim_level_counts:
        if count == 0:
            continue
        people = cprs[start : start + count]
        start += count
        types = None
        days: np.ndarray | None = None
        if kind == "HT-UDVIDET-APPROVAL":
            types = udvidet_codes[rng.integers(0, len(udvidet_codes), count)].astype(np.int64)
            days = plan.service_days[plan.service_days <= plan.night_day - 2]
        elif kind == "DQ-HC-SERVICE-NOT-FUTURE":
            days = plan.future_days
        elif kind == "HT-STALE":
            days = plan.stale_days
        elif kind == "HT-HIGH-AMOUNT":
            types, medians = _unusual_types(rng, count, blocks[0], policy)
        block = _base_rows(rng, plan, policy, population, people, kind, etype=types, days=days)
        if kind == "HT-HIGH-AMOUNT":
            block["ref_median"] = medians
        blocks.append(_plant_claim_level(rng, plan, policy, population, block, kind))

    # --- rows whose people carry the fault --------------------------------------------
    for kind in CITIZEN_FAULTS:
        if kind == "HT-NO-PENSION":
            people = np.concatenate(
                [population.pools[ROLE_NO_PENSION_ENDED], population.pools[ROLE_NO_PENSION_ABSENT]]
            )
        else:
            people = population.pools[kind]
        blocks.append(_base_rows(rng, plan, policy, population, people[:n], kind))
    velocity = np.repeat(velocity_citizens(plan, population), plan.velocity_claims_each)
    blocks.append(_base_rows(rng, plan, policy, population, velocity, ROLE_VELOCITY))
    # Look-alikes that must be paid: foertidspension with no award date, old scheme shown
    # by a record in force before the cutoff.
    lookalikes = population.pools[ROLE_FOERTID_OLD_BLANK][:n]
    blocks.append(_base_rows(rng, plan, policy, population, lookalikes, ""))
    births = rng.integers(day_of(date(1930, 1, 1)), day_of(date(1956, 12, 31)) + 1, n)
    strangers = new_cprs(rng, births, population.citizens["cpr"].to_numpy())
    blocks.append(_base_rows(rng, plan, policy, population, strangers, "DQ-HC-CPR-KNOWN"))

    rows = pd.concat(blocks, ignore_index=True)
    _make_distinct(rows)
    rows = pd.concat([rows, _dup_night_twins(rng, plan, rows)], ignore_index=True)
    return _lay_out(rng, plan, rows, csv_only)


def velocity_citizens(plan: NightPlan, population: Population) -> IntArray:
    """Tonight's velocity citizens: the group whose turn it is (night ordinal modulo the
    groups), so two nights in a row never share one."""
    group = plan.night.toordinal() % VELOCITY_GROUPS
    size = plan.velocity_citizens
    return population.pools[ROLE_VELOCITY][group * size : (group + 1) * size]


def _unusual_types(
    rng: np.random.Generator, count: int, clean: pd.DataFrame, policy: DemoPolicy
) -> tuple[IntArray, IntArray]:
    """Expense types for HT-HIGH-AMOUNT rows, and for each the clean median it is unusual
    against (0: the row crosses the ceiling instead).

    The first half may be of any type and crosses the ceiling. The second half is of types
    with enough clean bills tonight for a steady median (UNUSUAL_MIN_BILLS) and is planted
    below the ceiling; with no such type (a small night) it crosses the ceiling too.
    """
    etype = rng.choice(len(EXPENSE_TYPES), size=count, p=TYPE_WEIGHTS).astype(np.int64)
    medians = np.zeros(count, dtype=np.int64)
    half = count // 2
    types = clean["etype"].to_numpy()
    shares = clean["share"].to_numpy()
    bills = np.bincount(types, minlength=len(EXPENSE_TYPES))
    steady = np.flatnonzero(bills >= max(policy.min_bills, UNUSUAL_MIN_BILLS))
    if len(steady) == 0 or count == half:
        return etype, medians
    median_of = np.zeros(len(EXPENSE_TYPES), dtype=np.int64)
    for code in steady:  # a few types, each one vectorised pass
        median_of[code] = int(np.ceil(np.median(shares[types == code])))
    chosen = steady[rng.integers(0, len(steady), count - half)]
    etype[half:] = chosen
    medians[half:] = median_of[chosen]
    return etype, medians


def _plant_claim_level(
    rng: np.random.Generator,
    plan: NightPlan,
    policy: DemoPolicy,
    population: Population,
    block: pd.DataFrame,
    kind: str,
) -> pd.DataFrame:
    """Change the one thing that makes a clean row this planted kind."""
    k = len(block)
    if kind == "READ-MALFORMED":
        block["malformed"] = rng.integers(0, 2, k)
    elif kind == "READ-VALUE":
        block["bad_field"] = rng.integers(0, 3, k)
        block["bad_variant"] = rng.integers(0, 2, k)
    elif kind == "DQ-HC-EXPENSE-TYPE":
        block["etype"] = len(EXPENSE_TYPES) + rng.integers(0, len(INVALID_TYPES), k)
        block["approval"] = BLANK_DAY
    elif kind == "DQ-HC-SHARE-POSITIVE":
        block["share"] = np.where(rng.random(k) < 0.5, 0, -rng.integers(100, 50_000, k))
    elif kind == "DQ-HC-CLAIM-ID-UNIQUE":
        block["id_pair"] = np.tile(np.arange(k // 2, dtype=np.int64), 2)
    elif kind == "DQ-HC-RECEIVED-BEFORE-SERVICE":
        block["received"] = block["service"].to_numpy() - rng.integers(1, 6, k)
    elif kind == "DQ-HC-SERVICE-NOT-FUTURE":
        # Received the same day as the (future) service, so received >= service still holds.
        block["received"] = block["service"]
        approval = plan.night_day - rng.integers(0, 60, k)
        block["approval"] = np.where(block["approval"].to_numpy() == BLANK_DAY, BLANK_DAY, approval)
    elif kind == "HT-HIGH-AMOUNT":
        usual = np.array([policy.usual_max_oere[t] for t in EXPENSE_TYPES], dtype=np.int64)
        limit = usual[block["etype"].to_numpy()]
        above_ceiling = limit + rng.integers(1, limit // 2)
        median = block["ref_median"].to_numpy()
        times = rng.uniform(*UNUSUAL_TIMES, k) * policy.times_median
        unusual = np.minimum(np.rint(median * times).astype(np.int64), limit)
        block["share"] = np.where(median > 0, unusual, above_ceiling)
    elif kind == "HT-UDVIDET-APPROVAL":
        service = block["service"].to_numpy()
        after = service + rng.integers(1, np.minimum(plan.night_day - service, 6) + 1)
        block["approval"] = np.where(rng.random(k) < 0.5, BLANK_DAY, after)
    elif kind == "HT-PROVIDER-UNKNOWN":
        block["provider"] = new_cvrs(rng, k, population.companies["cvr"].to_numpy())
    elif kind == "HT-PROVIDER-CLOSED":
        block["provider"] = _providers(rng, block["etype"].to_numpy(), population.closed_providers)
    elif kind == "HT-STALE":
        block["received"] = plan.night_day - rng.integers(0, 10, k)
    return block


def _dup_night_twins(rng: np.random.Generator, plan: NightPlan, rows: pd.DataFrame) -> pd.DataFrame:
    """Second copies of clean bills under a new claim_id, received the same day or later.

    The originals belong to different people, so a citizen with a twin has at most four
    claims tonight and the pair never looks like HT-VELOCITY.
    """
    clean = np.flatnonzero(rows["kind"].to_numpy() == "")
    order = rng.permutation(clean)
    first_per_person = order[~pd.Series(rows["cpr"].to_numpy()[order]).duplicated().to_numpy()]
    originals = first_per_person[: plan.per_kind]
    if len(originals) < plan.per_kind:
        raise ValueError("too few clean claims to plant HT-DUP-NIGHT; raise claims")
    pair = np.arange(len(originals), dtype=np.int64)
    rows.loc[originals, "dup_pair"] = pair
    twins = rows.loc[originals].copy().reset_index(drop=True)
    twins["kind"] = "HT-DUP-NIGHT"
    twins["dup_pair"] = pair
    twins["hyphen"] = rng.random(len(twins)) < 0.4
    later = twins["received"].to_numpy() + rng.integers(0, 4, len(twins))
    twins["received"] = np.maximum(np.minimum(later, plan.night_day), twins["received"].to_numpy())
    return twins


def _lay_out(
    rng: np.random.Generator, plan: NightPlan, rows: pd.DataFrame, csv_only: bool
) -> NightClaims:
    """Shuffle, give claim ids, spread over the night's files and number the lines."""
    total = len(rows)
    rows = rows.iloc[rng.permutation(total)].reset_index(drop=True)
    file_idx = rng.choice(3, size=total, p=[0.4, 0.35, 0.25])
    malformed = rows["malformed"].to_numpy() >= 0
    file_idx = np.where(malformed, rng.integers(0, 2, total), file_idx)  # CSV files only
    if csv_only:
        file_idx = np.zeros(total, dtype=np.int64)
    else:
        # A few clean claims come in an old Mac export (lines end in CR alone): read and paid.
        clean = np.flatnonzero(rows["kind"].to_numpy() == "")
        mac = rng.choice(clean, size=min(len(clean), plan.per_kind), replace=False)
        file_idx[mac] = MAC_FILE
    rows["file"] = file_idx.astype(np.int64)

    number = np.arange(1, total + 1, dtype=np.int64)
    id_pair = rows["id_pair"].to_numpy()
    paired = id_pair >= 0
    if paired.any():
        first = pd.Series(number[paired]).groupby(id_pair[paired]).transform("first").to_numpy()
        number[paired] = first
    dup_pair = rows["dup_pair"].to_numpy()
    is_twin = rows["kind"].to_numpy() == "HT-DUP-NIGHT"
    twin_pos = np.flatnonzero(is_twin)
    orig_pos = np.flatnonzero((dup_pair >= 0) & ~is_twin)
    twin_pos = twin_pos[np.argsort(dup_pair[twin_pos], kind="stable")]
    orig_pos = orig_pos[np.argsort(dup_pair[orig_pos], kind="stable")]
    received = rows["received"].to_numpy()
    swap = (received[twin_pos] == received[orig_pos]) & (number[twin_pos] < number[orig_pos])
    a, b = twin_pos[swap], orig_pos[swap]
    number[a], number[b] = number[b].copy(), number[a].copy()

    stamp = plan.night.strftime("%Y%m%d")
    rows["claim_id"] = column(cat(f"HC-{stamp}-", zero_padded(number, plan.id_width)))
    rows["line"] = rows.groupby("file").cumcount().to_numpy() + 2
    night = plan.night.isoformat()
    if csv_only:
        names: tuple[str, ...] = (f"{night}_claims.csv",)
        flavours: tuple[Flavour, ...] = (COMMA,)
    else:
        names = (
            f"{night}_claims_semicolon.csv",
            f"{night}_claims_comma.csv",
            f"{night}_claims.xlsx",
            f"{night}_claims_mac.csv",
        )
        flavours = (SEMICOLON, COMMA, XLSX, MAC)
    rows["bad_token"] = _bad_tokens(rows, flavours, plan.night.year)
    return NightClaims(plan=plan, rows=rows, file_names=names, flavours=flavours)


def _bad_tokens(
    rows: pd.DataFrame, flavours: tuple[Flavour, ...], year: int
) -> npt.NDArray[np.object_]:
    """The unreadable text of each READ-VALUE row, spelled for the file it lands in."""
    field = rows["bad_field"].to_numpy()
    variant = rows["bad_variant"].to_numpy()
    semicolon_file = np.array([f.delimiter == ";" or f.xlsx for f in flavours])[
        rows["file"].to_numpy()
    ]
    is_date = field != BAD_SHARE_FIELD
    token = np.where(
        is_date,
        np.where(
            variant == 0,
            np.where(semicolon_file, f"31-02-{year}", f"{year}-02-31"),
            "i går",
        ),
        np.where(variant == 0, np.where(semicolon_file, "12,3,4", "12.3.4"), "abc"),
    )
    return np.where(field >= 0, token, "").astype(object)


def plant_history(
    seed: int,
    plan: NightPlan,
    policy: DemoPolicy,
    previous: NightClaims,
    claims: int,
    population: Population,
) -> tuple[pd.DataFrame, tuple[tuple[str, str], ...]]:
    """Rows that only make sense against last night: paid duplicates, resent claims and
    copies of held bills; and the kinds that could not be planted, each with the reason.

    They go into a file of their own, so tonight's regular files stay independent of
    the previous night and can themselves be regenerated byte-exactly tomorrow.
    """
    rng = np.random.default_rng([seed, plan.night.toordinal(), 3])
    n = plan.per_kind
    prev = previous.rows
    clean = np.flatnonzero((prev["kind"].to_numpy() == "") & (prev["dup_pair"].to_numpy() < 0))
    order = rng.permutation(clean)
    distinct = order[~pd.Series(prev["cpr"].to_numpy()[order]).duplicated().to_numpy()]
    if len(distinct) < 3 * n:
        raise ValueError("the previous night has too few clean claims for the history kinds")
    chosen = distinct[: 3 * n]
    rows = prev.loc[chosen].copy().reset_index(drop=True)
    rows["kind"] = np.repeat(np.array(HISTORY_KINDS, dtype=object), n)
    rows["previous_id"] = rows["claim_id"]
    rows["previous_share"] = rows["share"]

    paid = (rows["kind"] == "HT-DUP-PAID").to_numpy()
    stamp = plan.night.strftime("%Y%m%d")
    # New ids continue after tonight's regular rows, which are numbered 1..claims.
    numbers = claims + 1 + np.arange(n, dtype=np.int64)
    rows.loc[paid, "claim_id"] = to_numpy(cat(f"HC-{stamp}-", zero_padded(numbers, plan.id_width)))
    rows.loc[paid, "hyphen"] = rng.random(n) < 0.4
    resent = plan.night_day - rng.integers(0, 5, n)
    rows.loc[paid, "received"] = np.maximum(rows.loc[paid, "received"].to_numpy(), resent)

    changed = (rows["kind"] == "HT-RESUBMIT-CHANGED").to_numpy()
    old = rows.loc[changed, "share"].to_numpy()
    _, _, highest = share_bounds(policy)
    hi = highest[rows.loc[changed, "etype"].to_numpy()]
    step = rng.integers(100, 2_000, n)
    rows.loc[changed, "share"] = np.where(old + step <= hi, old + step, old - step)

    held, skipped = _held_again(rng, plan, policy, population, previous, claims + n + 1)
    rows = pd.concat([rows, held], ignore_index=True)
    rows = rows.iloc[rng.permutation(len(rows))].reset_index(drop=True)
    rows["file"] = 0
    rows["line"] = np.arange(2, len(rows) + 2, dtype=np.int64)
    rows["bad_token"] = ""
    return rows, skipped


def _held_again(
    rng: np.random.Generator,
    plan: NightPlan,
    policy: DemoPolicy,
    population: Population,
    previous: NightClaims,
    first_number: int,
) -> tuple[pd.DataFrame, tuple[tuple[str, str], ...]]:
    """HT-DUP-HELD: bills held last night for velocity, sent again under new claim ids.

    Velocity is a fault of last night's count, not of the bill, so tonight the copy trips
    nothing but the held original: tonight's velocity citizens are another group, and
    each citizen gets at most half the per-night limit of copies.
    """
    prev = previous.rows
    tonight = velocity_citizens(plan, population)
    held = np.flatnonzero(
        (prev["kind"].to_numpy() == ROLE_VELOCITY) & ~np.isin(prev["cpr"].to_numpy(), tonight)
    )
    each = max(1, policy.max_claims_per_citizen_per_night // 2)
    order = rng.permutation(held)
    owner = prev["cpr"].to_numpy()[order]
    rank = pd.Series(owner).groupby(owner).cumcount().to_numpy()
    chosen = order[rank < each][: min(plan.per_kind, plan.velocity_citizens * each)]
    if len(chosen) == 0:
        reason = (
            f"NOT PLANTED: the velocity citizens of {previous.plan.night.isoformat()} are "
            f"those of {plan.night.isoformat()} too (they take turns by night), so a copy of "
            "their held bills would also be velocity; generate consecutive nights"
        )
        return prev.iloc[0:0].assign(previous_id="", previous_share=0), ((DUP_HELD, reason),)
    rows = prev.loc[chosen].copy().reset_index(drop=True)
    k = len(rows)
    rows["kind"] = DUP_HELD
    rows["previous_id"] = rows["claim_id"]
    rows["previous_share"] = rows["share"]
    stamp = plan.night.strftime("%Y%m%d")
    numbers = first_number + np.arange(k, dtype=np.int64)
    rows["claim_id"] = to_numpy(cat(f"HC-{stamp}-", zero_padded(numbers, plan.id_width)))
    rows["hyphen"] = rng.random(k) < 0.4
    resent = plan.night_day - rng.integers(0, 5, k)
    rows["received"] = np.maximum(rows["received"].to_numpy(), resent)
    return rows, ()


def plant_copies(seed: int, claims: NightClaims) -> pd.DataFrame:
    """CLAIM-COPY-TONIGHT: a re-export of a few of tonight's clean claims, same claim ids
    and content, for a file read after theirs (the comma file, or the only file).

    The originals are decided (and paid); each copy is read once and said to be one.
    """
    plan = claims.plan
    rng = np.random.default_rng([seed, plan.night.toordinal(), 4])
    rows = claims.rows
    source = COMMA_FILE if len(claims.file_names) > COMMA_FILE else 0
    usable = np.flatnonzero(
        (rows["kind"].to_numpy() == "")
        & (rows["dup_pair"].to_numpy() < 0)
        & (rows["id_pair"].to_numpy() < 0)
        & (rows["file"].to_numpy() == source)
    )
    chosen = np.sort(rng.choice(usable, size=min(len(usable), plan.per_kind), replace=False))
    copies = rows.loc[chosen].copy().reset_index(drop=True)
    copies["kind"] = COPY_TONIGHT
    copies["original_file"] = claims.file_names[source]
    copies["original_line"] = copies["line"]
    copies["hyphen"] = ~copies["hyphen"].to_numpy()  # written differently, read the same
    copies["file"] = 0
    copies["line"] = np.arange(2, len(copies) + 2, dtype=np.int64)
    return copies


def describe(
    rows: pd.DataFrame, population: Population, policy: DemoPolicy, plan: NightPlan
) -> npt.NDArray[np.object_]:
    """A caseworker-readable note per planted row, naming the fact that trips the rule.

    Notes never carry a CPR number: the ground truth may be shown on a screen.
    """
    notes = np.full(len(rows), "", dtype=object)
    kinds = rows["kind"].to_numpy()
    citizens = population.citizens.set_index("cpr")
    current = population.pensioners.drop_duplicates("cpr", keep="last").set_index("cpr")
    companies = population.companies.set_index("cvr")
    type_names = np.array(ALL_TYPES, dtype=object)

    def dates(values: pd.Series | npt.NDArray[np.generic]) -> Strings:
        return iso_dates(np.asarray(values, dtype=np.int64))

    def lookup(frame: pd.DataFrame, column: str, keys: pd.Series) -> npt.NDArray[np.generic]:
        return frame[column].reindex(keys.to_numpy()).to_numpy()

    def note_malformed(f: pd.DataFrame) -> Strings:
        return choose(
            f["malformed"].to_numpy() == MISSING_FIELD,
            "row has 7 fields, the header has 8 (provider_cvr missing)",
            "row has 9 fields, the header has 8",
        )

    def note_read_value(f: pd.DataFrame) -> Strings:
        field = np.array(["service_date", "received_date", "citizen_share"], dtype=object)
        return cat(
            "unreadable ",
            strings(field[f["bad_field"].to_numpy()]),
            " '",
            strings(f["bad_token"]),
            "'",
        )

    def note_status(word: str) -> Callable[[pd.DataFrame], Strings]:
        def note(f: pd.DataFrame) -> Strings:
            return cat(
                f"citizen status {word} since ", dates(lookup(citizens, "status_day", f["cpr"]))
            )

        return note

    def note_moved(f: pd.DataFrame) -> Strings:
        code = lookup(citizens, "municipality_code", f["cpr"]).astype(np.int64)
        return cat(
            "citizen moved to municipality ",
            strings(code),
            " on ",
            dates(lookup(citizens, "moved_day", f["cpr"])),
        )

    def note_no_pension(f: pd.DataFrame) -> Strings:
        ended = lookup(current, "valid_to", f["cpr"])
        has_record = ~pd.isna(ended)
        ended_days = np.where(has_record, ended, 0).astype(np.int64)
        return choose(
            has_record,
            cat("pension record ended ", dates(ended_days)),
            "citizen is not in the pensioners extract",
        )

    def note_assets(f: pd.DataFrame) -> Strings:
        assets = lookup(current, "liquid_assets_oere", f["cpr"]).astype(np.int64)
        years = _years_of(f["service"].to_numpy())
        by_year = {y: r.liquid_asset_limit_oere for y, r in policy.rates.items()}
        limit = pd.Series(years).map(by_year).fillna(0).astype(np.int64).to_numpy()
        return cat(
            "liquid_assets ",
            plain_amounts(assets),
            " above the ",
            strings(years),
            " limit ",
            plain_amounts(limit),
        )

    def note_dup_night(f: pd.DataFrame) -> Strings:
        originals = rows.loc[(rows["dup_pair"] >= 0) & (rows["kind"] == "")]
        by_pair = originals.set_index("dup_pair")["claim_id"]
        return cat(
            "same cpr, expense_type, provider, service_date and citizen_share as claim ",
            strings(lookup(by_pair.to_frame(), "claim_id", f["dup_pair"])),
            " tonight",
        )

    def note_high(f: pd.DataFrame) -> Strings:
        usual = np.array([policy.usual_max_oere[t] for t in EXPENSE_TYPES], dtype=np.int64)
        etype = f["etype"].to_numpy()
        median = f["ref_median"].to_numpy()
        share = plain_amounts(f["share"].to_numpy())
        kind = strings(type_names[etype])
        unusual = cat(
            "citizen_share ",
            share,
            f" is more than {policy.times_median} times the median ",
            plain_amounts(median),
            " of tonight's clean ",
            kind,
            " bills (below the usual max ",
            plain_amounts(usual[etype]),
            ")",
        )
        ceiling = cat(
            "citizen_share ",
            share,
            " above the usual max ",
            plain_amounts(usual[etype]),
            " for ",
            kind,
        )
        return choose(median > 0, unusual, ceiling)

    def note_approval(f: pd.DataFrame) -> Strings:
        approval = f["approval"].to_numpy()
        after = cat(" approved ", dates(approval), ", after service_date ", dates(f["service"]))
        return cat(
            strings(type_names[f["etype"].to_numpy()]),
            choose(approval == BLANK_DAY, " without approval_date", after),
        )

    def note_closed(f: pd.DataFrame) -> Strings:
        return cat(
            "provider ",
            strings(lookup(companies, "status", f["provider"])),
            " since ",
            dates(lookup(companies, "status_day", f["provider"])),
        )

    def note_velocity(f: pd.DataFrame) -> Strings:
        count = f.groupby("cpr")["cpr"].transform("size").to_numpy()
        return cat(
            "citizen has ",
            strings(count),
            f" claims tonight; the limit is {policy.max_claims_per_citizen_per_night}",
        )

    months = policy.stale_after_months
    writers: dict[str, Callable[[pd.DataFrame], Strings | str]] = {
        "READ-MALFORMED": note_malformed,
        "READ-VALUE": note_read_value,
        "DQ-HC-EXPENSE-TYPE": lambda f: cat(
            "expense_type '",
            strings(type_names[f["etype"].to_numpy()]),
            "' is not in the contract list",
        ),
        "DQ-HC-SHARE-POSITIVE": lambda f: cat(
            "citizen_share ", plain_amounts(f["share"].to_numpy()), " is not positive"
        ),
        "DQ-HC-CLAIM-ID-UNIQUE": lambda f: (
            "claim_id also used on another row with different content"
        ),
        "DQ-HC-CPR-KNOWN": lambda f: "cpr is a valid CPR number but not in the citizens extract",
        "DQ-HC-RECEIVED-BEFORE-SERVICE": lambda f: cat(
            "received_date ", dates(f["received"]), " is before service_date ", dates(f["service"])
        ),
        "DQ-HC-SERVICE-NOT-FUTURE": lambda f: cat(
            "service_date ",
            dates(f["service"]),
            f" is after the night {plan.night.isoformat()} (received_date set to the same day)",
        ),
        "HT-DEAD": note_status("dead"),
        "HT-EMIGRATED": note_status("emigrated"),
        "HT-MISSING": note_status("missing"),
        "HT-MOVED": note_moved,
        "HT-NO-PENSION": note_no_pension,
        "HT-FOERTID-NEW": lambda f: cat(
            "foertidspension awarded ",
            dates(lookup(current, "awarded_day", f["cpr"])),
            f" (on or after {policy.foertid_awarded_before.isoformat()})",
        ),
        "HT-FOERTID-UNKNOWN": lambda f: cat(
            "foertidspension with no awarded_date, in force only since ",
            dates(lookup(current, "valid_from", f["cpr"])),
            f" (on or after {policy.foertid_awarded_before.isoformat()}): old or new scheme?",
        ),
        "HT-ASSETS": note_assets,
        "HT-PCT-ZERO": lambda f: "supplement_percent is 0",
        "HT-DUP-NIGHT": note_dup_night,
        "HT-HIGH-AMOUNT": note_high,
        "HT-UDVIDET-APPROVAL": note_approval,
        "HT-PROVIDER-UNKNOWN": lambda f: cat(
            "provider_cvr ",
            strings(f["provider"].to_numpy()),
            " passes modulus 11 but is not in the companies extract",
        ),
        "HT-PROVIDER-CLOSED": note_closed,
        "HT-STALE": lambda f: cat(
            "received_date ",
            dates(f["received"]),
            f" is more than {months} months after service_date ",
            dates(f["service"]),
        ),
        ROLE_VELOCITY: note_velocity,
        "HT-DUP-PAID": lambda f: cat(
            "same bill as claim ",
            strings(f["previous_id"]),
            " paid on a previous night, sent again under a new claim_id",
        ),
        "CLAIM-ALREADY-PROCESSED": lambda f: cat(
            "exact repeat of claim ",
            strings(f["previous_id"]),
            " from a previous night; skip, do not pay again",
        ),
        DUP_HELD: lambda f: cat(
            "same bill as claim ",
            strings(f["previous_id"]),
            " held on a previous night (HT-VELOCITY), sent again under a new claim_id",
        ),
        COPY_TONIGHT: lambda f: cat(
            "exact copy of claim ",
            strings(f["claim_id"]),
            " (",
            strings(f["original_file"]),
            " line ",
            strings(f["original_line"].to_numpy()),
            ") re-exported tonight; read once, paid once",
        ),
        "HT-RESUBMIT-CHANGED": lambda f: cat(
            "claim_id from a previous night sent again with citizen_share ",
            plain_amounts(f["share"].to_numpy()),
            " (was ",
            plain_amounts(f["previous_share"].to_numpy()),
            ")",
        ),
    }
    for kind, writer in writers.items():
        mask = kinds == kind
        if not mask.any():
            continue
        value = writer(rows.loc[mask])
        notes[mask] = value if isinstance(value, str) else to_numpy(value)
    return notes


__all__ = [
    "ALL_TYPES",
    "COMMA",
    "COMMA_BOM",
    "COPY_TONIGHT",
    "DUP_HELD",
    "HISTORY_KINDS",
    "MAC",
    "SEMICOLON",
    "XLSX",
    "Flavour",
    "NightClaims",
    "NightPlan",
    "build_night",
    "clean_shares",
    "describe",
    "make_plan",
    "plant_copies",
    "plant_history",
    "share_bounds",
]
