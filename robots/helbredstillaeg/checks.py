"""The helbredstillaeg cross-checks: each a named rule over the whole night at once.

Each check looks at the claims joined with the CPR, pension and CVR registers and returns
findings with evidence. Thresholds come from config/checks.toml; rates from
config/rates/. Sources for the rules are in ../shared/domain.md sections 1 and 8.2.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from checks.rules import Kind, Severity, rule_maker
from robots.core.money import format_kroner, to_oere
from robots.core.robot import FiringRows, arrow_column, concat_findings, day_text, findings
from robots.core.settings import config_dir

ROBOT = "helbredstillaeg"


_rule = rule_maker(ROBOT)


R, H, INFO = Severity.REJECT, Severity.HOLD, Severity.INFO
NE, SE, SF = Kind.NOT_ELIGIBLE, Kind.SUSPECTED_ERROR, Kind.SUSPECTED_FRAUD

DEAD = _rule(
    "HT-DEAD",
    "The citizen died before the service date (CPR status dead).",
    R,
    NE,
    compares=("cit_status", "cit_status_date", "service_date"),
)
DEAD_AFTER = _rule(
    "HT-DEAD-AFTER",
    "The citizen has died since the service date: payable to the estate, by hand.",
    H,
    SE,
    compares=("cit_status", "cit_status_date", "service_date"),
)
EMIGRATED = _rule(
    "HT-EMIGRATED",
    "The citizen emigrated before the service date (must live in DK, S2).",
    R,
    NE,
    compares=("cit_status", "cit_status_date", "service_date"),
)
MISSING = _rule(
    "HT-MISSING",
    "The citizen's CPR status is 'missing' (forsvundet).",
    H,
    SF,
    compares=("cit_status", "cit_status_date"),
)
MOVED = _rule(
    "HT-MOVED",
    "The citizen lives in another municipality: rejected when the move was before the service "
    "date, held when the move date is unknown.",
    R,
    NE,
    compares=("cit_municipality", "cit_moved_date", "service_date"),
)
MOVED_UNKNOWN = _rule(
    "HT-MOVED-UNKNOWN",
    "The citizen lives in another municipality and the extract gives no move date.",
    H,
    SE,
    compares=("cit_municipality", "cit_moved_date", "service_date"),
)
NO_PENSION = _rule(
    "HT-NO-PENSION",
    "No folkepension or foertidspension in force on the service date.",
    R,
    NE,
    missing_from="pensioners",
    compares=("pen_type", "pen_awarded", "service_date"),
)
FOERTID_NEW = _rule(
    "HT-FOERTID-NEW",
    "Foertidspension awarded on or after 1.1.2003 gives no helbredstillaeg (S3, S8).",
    R,
    NE,
    compares=("pen_type", "pen_awarded", "pen_foertid_since"),
)
FOERTID_UNKNOWN = _rule(
    "HT-FOERTID-UNKNOWN",
    "Foertidspension with no award date, and no row of it in force before 1.1.2003 to show "
    "the old scheme: old or new scheme must be checked.",
    H,
    SE,
    compares=("pen_type", "pen_awarded", "pen_foertid_since"),
)
ASSETS = _rule(
    "HT-ASSETS",
    "Liquid assets above the year's limit (S12, S16; equal is eligible).",
    R,
    NE,
    compares=("pen_assets", "asset_limit_oere", "service_date"),
)
PCT_ZERO = _rule(
    "HT-PCT-ZERO",
    "Personlig tillaegsprocent 0 gives no supplement (S3).",
    R,
    NE,
    compares=("pen_percent",),
)
DUP_NIGHT = _rule(
    "HT-DUP-NIGHT",
    "The same bill (citizen, type, provider, date, amount) twice in one night under different "
    "claim ids; the later one is held.",
    H,
    SE,
    compares=("expense_type", "counterparty", "service_date", "citizen_share"),
)
DUP_PAID = _rule(
    "HT-DUP-PAID",
    "The same bill as one already paid (or approved for payment) under another claim id.",
    R,
    SE,
    compares=("expense_type", "counterparty", "service_date", "citizen_share"),
)
DUP_HELD = _rule(
    "HT-DUP-HELD",
    "The same bill as one held earlier for the control group under another claim id: "
    "releasing both would pay it twice.",
    H,
    SE,
    compares=("expense_type", "counterparty", "service_date", "citizen_share"),
)
RESUBMIT_CHANGED = _rule(
    "HT-RESUBMIT-CHANGED",
    "A claim id already decided arrives again with different content (amount, date ...).",
    H,
    SF,
)
HIGH_AMOUNT = _rule(
    "HT-HIGH-AMOUNT",
    "A citizen share far above what is usual for its expense type: more than 10 times the "
    "median share of that type (tonight's bills and the ledger's recent ones), or above the "
    "type's ceiling (config/checks.toml).",
    H,
    SE,
    compares=("expense_type", "citizen_share", "basis_oere"),
)
UDVIDET_APPROVAL = _rule(
    "HT-UDVIDET-APPROVAL",
    "Udvidet helbredstillaeg (briller, tandprotese) with no approval before the purchase "
    "(must be applied for before, S3, S9).",
    R,
    NE,
    compares=("expense_type", "approval_date", "service_date"),
)
UDVIDET_UNKNOWN = _rule(
    "HT-UDVIDET-UNKNOWN",
    "Udvidet helbredstillaeg item, but the extract has no approval_date column to check.",
    H,
    SE,
    compares=("expense_type",),
)
PROVIDER_UNKNOWN = _rule(
    "HT-PROVIDER-UNKNOWN",
    "The provider's CVR number is not in the CVR extract.",
    H,
    SE,
    missing_from="companies",
    compares=("counterparty",),
)
PROVIDER_CLOSED = _rule(
    "HT-PROVIDER-CLOSED",
    "The provider was bankrupt, closed or in liquidation before the service date.",
    H,
    SF,
    compares=("counterparty", "comp_status", "comp_status_date", "service_date"),
)
STALE = _rule(
    "HT-STALE",
    "Received long after the service date (config/checks.toml): limitation to be assessed.",
    H,
    SE,
    compares=("service_date", "received_date"),
)
VELOCITY = _rule(
    "HT-VELOCITY",
    "More claims for one citizen in one night than usual (config/checks.toml).",
    H,
    SF,
    compares=("service_date",),
)
PROVISIONAL = _rule(
    "HT-PROVISIONAL-RATE",
    "A rate used is provisional (carried forward, no source for the year): production waits "
    "until it is confirmed; demo pays and says so.",
    H,
    SE,
    provisional=True,
    compares=("rate_year", "rate_provisional"),
)
PROVISIONAL_DEMO = _rule(
    "HT-PROVISIONAL-RATE-DEMO",
    "Demo mode only: a provisional rate was used and the claim paid; the report says so.",
    INFO,
    SE,
    provisional=True,
    compares=("rate_year", "rate_provisional"),
)
NO_RATE = _rule(
    "HT-NO-RATE",
    "No rate file covers the service date's year (config/rates/): the claim waits for one.",
    H,
    SE,
    compares=("service_date", "rate_year"),
)
AMOUNT_ZERO = _rule(
    "HT-AMOUNT-ZERO",
    "The computed supplement rounds to 0 kr.: nothing to pay.",
    R,
    NE,
    compares=("basis_oere", "amount_oere", "pen_percent"),
)


class CheckConfig(BaseModel):
    """config/checks.toml [helbredstillaeg]."""

    model_config = ConfigDict(frozen=True)

    usual_max_citizen_share_oere: dict[str, int]
    times_median: int
    min_bills: int
    history_claims: int
    stale_after_months: int
    max_claims_per_citizen_per_night: int
    udvidet_expense_types: tuple[str, ...]
    foertidspension_awarded_before: date


@lru_cache(maxsize=4)
def load_config(folder: str | None = None) -> CheckConfig:
    """Read the thresholds (cached; they do not change during a run)."""
    path = (config_dir() if folder is None else Path(folder)) / "checks.toml"
    section = tomllib.loads(path.read_text(encoding="utf-8"))[ROBOT]
    limits = section["limits"]
    unusual = section["unusual_amount"]
    return CheckConfig(
        usual_max_citizen_share_oere={
            k: to_oere(Decimal(v)) for k, v in section["usual_max_citizen_share"].items()
        },
        times_median=int(unusual["times_median"]),
        min_bills=int(unusual["min_bills"]),
        history_claims=int(unusual["history_claims"]),
        stale_after_months=int(limits["stale_after_months"]),
        max_claims_per_citizen_per_night=int(limits["max_claims_per_citizen_per_night"]),
        udvidet_expense_types=tuple(limits["udvidet_expense_types"]),
        foertidspension_awarded_before=date.fromisoformat(limits["foertidspension_awarded_before"]),
    )


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string")


def _status_since(status: str) -> Callable[[FiringRows], pd.Series]:
    def evidence(rows: FiringRows) -> pd.Series:
        return (
            f"CPR status {status} since "
            + day_text(rows["cit_status_date"])
            + "; service date "
            + day_text(rows["service_date"])
        )

    return evidence


def _moved_since(
    when: Callable[[FiringRows], pd.Series | str],
) -> Callable[[FiringRows], pd.Series]:
    def evidence(rows: FiringRows) -> pd.Series:
        return (
            "lives in municipality "
            + _text(rows["cit_municipality"])
            + " since "
            + when(rows)
            + "; service date "
            + day_text(rows["service_date"])
        )

    return evidence


def check_citizen(j: pd.DataFrame, municipality_code: int) -> list[pd.DataFrame]:
    """Dead, emigrated, missing or moved away, judged against the service date."""
    fire = partial(findings, frame=j)
    service, status_date = j["service_date"], j["cit_status_date"]
    before = status_date.notna() & (status_date <= service)
    dead = j["cit_status"] == "dead"
    emigrated = j["cit_status"] == "emigrated"
    moved = j["cit_municipality"].notna() & (j["cit_municipality"] != municipality_code)
    moved_known = moved & j["cit_moved_date"].notna()
    return [
        fire(dead & before, DEAD, _status_since("dead")),
        fire(dead & ~before, DEAD_AFTER, _status_since("dead")),
        fire(emigrated & before, EMIGRATED, _status_since("emigrated")),
        fire(j["cit_status"] == "missing", MISSING, _status_since("missing")),
        fire(
            moved_known & (j["cit_moved_date"] <= service),
            MOVED,
            _moved_since(lambda r: day_text(r["cit_moved_date"])),
        ),
        fire(
            moved & j["cit_moved_date"].isna(),
            MOVED_UNKNOWN,
            _moved_since(lambda r: "an unknown date"),
        ),
    ]


def check_pension(j: pd.DataFrame, config: CheckConfig) -> list[pd.DataFrame]:
    """A pension in force, of the right kind, with a tillaegsprocent and assets in limit."""
    fire = partial(findings, frame=j)
    has_pension = j["pen_type"].notna()
    foertid = j["pen_type"] == "foertidspension"
    cutoff = pd.Timestamp(config.foertidspension_awarded_before)
    return [
        fire(
            ~has_pension,
            NO_PENSION,
            lambda r: "no pension record valid on " + day_text(r["service_date"]),
        ),
        fire(
            foertid & j["pen_awarded"].notna() & (j["pen_awarded"] >= cutoff),
            FOERTID_NEW,
            lambda r: "foertidspension awarded " + day_text(r["pen_awarded"]),
        ),
        fire(
            foertid & j["pen_awarded"].isna() & ~(j["pen_foertid_since"] < cutoff),
            FOERTID_UNKNOWN,
            lambda r: (
                "no award date; foertidspension in the extract since "
                + day_text(r["pen_foertid_since"])
            ),
        ),
        fire(has_pension & (j["pen_percent"] == 0), PCT_ZERO, "personlig tillaegsprocent 0"),
        fire(
            has_pension & ~j["assets_ok"],
            ASSETS,
            lambda r: (
                "liquid assets "
                + _text(r["pen_assets"])
                + " oere above the "
                + _text(r["rate_year"])
                + " limit "
                + _text(r["asset_limit_oere"])
                + " oere"
            ),
        ),
    ]


def _usual_share(expense_type: pd.Series, config: CheckConfig) -> pd.Series:
    """The usual highest citizen share for each row's expense type (missing if none set)."""
    limits = config.usual_max_citizen_share_oere
    types = arrow_column(expense_type)
    at = pc.index_in(types, value_set=pa.array(list(limits), type=types.type))
    usual = pa.array(list(limits.values()), type=pa.int64()).take(at)
    return pd.Series(pd.array(usual, dtype="Int64"), index=expense_type.index)


def _kroner(oere: pd.Series) -> pd.Series:
    """Øre as Danish kroner text for evidence: each distinct amount formatted once (a
    million bills have thousands of firing rows, but few medians and ceilings)."""
    codes, amounts = pd.factorize(oere)
    said = np.array([format_kroner(int(a)) for a in amounts] + [""], dtype=object)
    return pd.Series(said[codes], index=oere.index, dtype="string")


def usual_by_type(
    shares: pd.Series, types: pd.Series, history: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series]:
    """Per row: twice the median share of its expense type (twice, so a median halfway
    between two øre stays a whole number) and how many bills that median is taken over:
    tonight's bills and the ledger's recent ones, per type.

    In arrays, a type at a time (a night has a million bills and eight types); the
    middle values are taken exactly, as integers (tests hold it equal to pandas' median).
    """
    earlier = history if history is not None and len(history) else None
    names = [arrow_column(types, pa.string())]
    values = [shares.to_numpy(dtype=np.float64, na_value=np.nan)]
    if earlier is not None:
        names.append(arrow_column(earlier["category"], pa.string()))
        values.append(earlier["basis_oere"].to_numpy(dtype=np.float64, na_value=np.nan))
    encoded = pa.concat_arrays(names).dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)
    amounts = np.concatenate(values)
    known = (codes >= 0) & ~np.isnan(amounts)
    twice_median = np.zeros(len(encoded.dictionary), dtype=np.int64)
    count = np.zeros(len(encoded.dictionary), dtype=np.int64)
    for code in range(len(encoded.dictionary)):
        found = amounts[known & (codes == code)].astype(np.int64)
        count[code] = len(found)
        if len(found):
            middle = len(found) // 2
            low, high = np.partition(found, [max(middle - 1, 0), middle])[
                [max(middle - 1, 0), middle]
            ]
            twice_median[code] = 2 * high if len(found) % 2 else low + high
    tonight = codes[: len(types)]
    has = tonight >= 0
    return (
        pd.Series(
            pd.array(np.where(has, twice_median[tonight], 0), dtype="Int64"), index=types.index
        ).where(has & (count[tonight] > 0), pd.NA),
        pd.Series(np.where(has, count[tonight], 0), index=types.index, dtype="int64"),
    )


def _unusual_amount(
    j: pd.DataFrame, config: CheckConfig, history: pd.DataFrame | None
) -> tuple[pd.Series, Callable[[FiringRows], pd.Series]]:
    """Where a share is above its type's ceiling or `times_median` times its type's median,
    and the evidence: the rule's figures for each row it fires on."""
    share = j["citizen_share"]
    ceiling = _usual_share(j["expense_type"], config)
    twice_median, bills = usual_by_type(share, j["expense_type"], history)
    enough = bills >= config.min_bills
    by_median = enough & (share * 2 > twice_median * config.times_median)
    by_ceiling = ceiling.notna() & (share > ceiling)

    def evidence(rows: FiringRows) -> pd.Series:
        at = rows.index
        tenths = (rows["citizen_share"] * 20) // twice_median[at]
        median_text = (
            "citizen share "
            + _kroner(rows["citizen_share"])
            + " kr. is "
            + (tenths // 10).astype("string")
            + "."
            + (tenths % 10).astype("string")
            + " times the median "
            + _kroner(twice_median[at] // 2)
            + " kr. of "
            + bills[at].astype("string")
            + " "
            + rows["expense_type"]
            + f" bills (tonight and the ledger's recent ones); held above {config.times_median}"
            + " times the median"
        )
        ceiling_text = (
            "citizen share "
            + _kroner(rows["citizen_share"])
            + " kr. is above the ceiling of "
            + _kroner(ceiling[at].fillna(0))
            + " kr. for "
            + rows["expense_type"]
            + " (config/checks.toml)"
        )
        return median_text.where(by_median[at], ceiling_text)

    return by_median | by_ceiling, evidence


def _received_too_late(j: pd.DataFrame, config: CheckConfig) -> pd.Series:
    """More than `stale_after_months` calendar months between service and receipt."""
    received, service = j["received_date"].dt, j["service_date"].dt
    months_late = (received.year - service.year) * 12 + (received.month - service.month)
    return (months_late > config.stale_after_months) | (
        (months_late == config.stale_after_months) & (received.day > service.day)
    )


def check_claim(
    j: pd.DataFrame,
    config: CheckConfig,
    has_approval_column: bool,
    history: pd.DataFrame | None = None,
) -> list[pd.DataFrame]:
    """The bill itself: its size, its age, its approval, its provider."""
    fire = partial(findings, frame=j)
    unusual, unusual_evidence = _unusual_amount(j, config, history)
    udvidet = j["expense_type"].isin(config.udvidet_expense_types)
    approved_before = j["approval_date"].notna() & (j["approval_date"] <= j["service_date"])
    known_provider = j["comp_status"].notna()
    # Not active since on or before the service date; with no date we cannot tell, so hold.
    closed = (
        known_provider
        & (j["comp_status"] != "active")
        & (j["comp_status_date"].isna() | (j["comp_status_date"] <= j["service_date"]))
    )
    out = [
        fire(unusual, HIGH_AMOUNT, unusual_evidence),
        fire(
            _received_too_late(j, config),
            STALE,
            lambda r: (
                "received "
                + day_text(r["received_date"])
                + " for service "
                + day_text(r["service_date"])
            ),
        ),
        fire(
            ~known_provider,
            PROVIDER_UNKNOWN,
            lambda r: "provider CVR " + r["provider_cvr"] + " not in the CVR extract",
        ),
        fire(
            closed,
            PROVIDER_CLOSED,
            lambda r: (
                "provider "
                + r["provider_cvr"]
                + " "
                + _text(r["comp_status"])
                + " since "
                + day_text(r["comp_status_date"])
            ),
        ),
    ]
    if has_approval_column:
        out.append(
            fire(
                udvidet & ~approved_before,
                UDVIDET_APPROVAL,
                lambda r: (
                    r["expense_type"]
                    + " approved "
                    + day_text(r["approval_date"])
                    + "; bought "
                    + day_text(r["service_date"])
                ),
            )
        )
    else:
        out.append(fire(udvidet, UDVIDET_UNKNOWN, "no approval_date column in the extract"))
    return out


def _repeated_bills(j: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Which rows repeat an earlier bill of the night, and that bill's claim id.

    Earlier means received earlier (claim id breaks ties). Only bills that occur twice
    are ordered: sorting the whole night costs more than finding the few twins.
    """
    twins = j.loc[_occurrences(j["fingerprint"]) > 1, ["fingerprint", "received_date", "claim_id"]]
    ordered = twins.sort_values(["received_date", "claim_id"])
    repeated = ordered["fingerprint"].duplicated(keep="first")
    first_claim = ordered.groupby("fingerprint")["claim_id"].transform("first")
    fires = pd.Series(False, index=j.index)
    fires.loc[repeated.index[repeated.to_numpy()]] = True
    return fires, first_claim


def _occurrences(values: pd.Series) -> pd.Series:
    """How often each row's value occurs in the column (missing values count as one value)."""
    encoded = arrow_column(values).dictionary_encode()
    codes = encoded.indices.fill_null(len(encoded.dictionary)).to_numpy()
    return pd.Series(np.bincount(codes)[codes], index=values.index)


def check_night(j: pd.DataFrame, config: CheckConfig) -> list[pd.DataFrame]:
    """Patterns across the night: the same bill twice, too many bills for one citizen."""
    fire = partial(findings, frame=j)
    repeated, first_claim = _repeated_bills(j)
    per_citizen = _occurrences(j["cpr"]).where(j["cpr"].notna(), 0)
    most = config.max_claims_per_citizen_per_night
    return [
        fire(repeated, DUP_NIGHT, lambda r: "same bill as claim " + first_claim[r.index]),
        fire(
            per_citizen > most,
            VELOCITY,
            lambda r: (
                _text(per_citizen[r.index])
                + f" claims for one citizen tonight; usual at most {most}"
            ),
        ),
    ]


def run_all(
    j: pd.DataFrame,
    *,
    municipality_code: int,
    has_approval_column: bool,
    config: CheckConfig,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every helbredstillaeg check over the joined night; one frame of findings."""
    return concat_findings(
        [
            *check_citizen(j, municipality_code),
            *check_pension(j, config),
            *check_claim(j, config, has_approval_column, history),
            *check_night(j, config),
        ]
    )
