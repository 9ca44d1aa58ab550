"""The helbredstillaeg cross-checks: each a named rule over the whole night at once.

Each check looks at the claims joined with the CPR, pension and CVR registers and returns
findings with evidence. Thresholds come from config/checks.toml; rates from
config/rates/. Sources for the rules are in ../shared/domain.md sections 1 and 8.2.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from checks.rules import Kind, Rule, Severity, register
from robots.core.money import to_oere
from robots.core.robot import empty_findings, findings
from robots.core.settings import config_dir

ROBOT = "helbredstillaeg"


def _rule(rule_id: str, looks_for: str, severity: Severity, kind: Kind) -> str:
    register(Rule(rule_id, ROBOT, looks_for, severity, kind))
    return rule_id


R, H, I = Severity.REJECT, Severity.HOLD, Severity.INFO
NE, SE, SF = Kind.NOT_ELIGIBLE, Kind.SUSPECTED_ERROR, Kind.SUSPECTED_FRAUD

DEAD = _rule("HT-DEAD", "The citizen died before the service date (CPR status dead).", R, NE)
DEAD_AFTER = _rule(
    "HT-DEAD-AFTER",
    "The citizen has died since the service date: payable to the estate, by hand.",
    H,
    SE,
)
EMIGRATED = _rule(
    "HT-EMIGRATED", "The citizen emigrated before the service date (must live in DK, S2).", R, NE
)
MISSING = _rule("HT-MISSING", "The citizen's CPR status is 'missing' (forsvundet).", H, SF)
MOVED = _rule(
    "HT-MOVED",
    "The citizen lives in another municipality: rejected when the move was before the service "
    "date, held when the move date is unknown.",
    R,
    NE,
)
MOVED_UNKNOWN = _rule(
    "HT-MOVED-UNKNOWN",
    "The citizen lives in another municipality and the extract gives no move date.",
    H,
    SE,
)
NO_PENSION = _rule(
    "HT-NO-PENSION", "No folkepension or foertidspension in force on the service date.", R, NE
)
FOERTID_NEW = _rule(
    "HT-FOERTID-NEW",
    "Foertidspension awarded on or after 1.1.2003 gives no helbredstillaeg (S3, S8).",
    R,
    NE,
)
FOERTID_UNKNOWN = _rule(
    "HT-FOERTID-UNKNOWN",
    "Foertidspension with no award date in the extract: old or new scheme must be checked.",
    H,
    SE,
)
ASSETS = _rule(
    "HT-ASSETS", "Liquid assets above the year's limit (S12, S16; equal is eligible).", R, NE
)
PCT_ZERO = _rule("HT-PCT-ZERO", "Personlig tillaegsprocent 0 gives no supplement (S3).", R, NE)
DUP_NIGHT = _rule(
    "HT-DUP-NIGHT",
    "The same bill (citizen, type, provider, date, amount) twice in one night under different "
    "claim ids; the later one is held.",
    H,
    SE,
)
DUP_PAID = _rule(
    "HT-DUP-PAID",
    "The same bill as one already paid (or approved for payment) under another claim id.",
    R,
    SE,
)
RESUBMIT_CHANGED = _rule(
    "HT-RESUBMIT-CHANGED",
    "A claim id already decided arrives again with different content (amount, date ...).",
    H,
    SF,
)
HIGH_AMOUNT = _rule(
    "HT-HIGH-AMOUNT",
    "A citizen share far above what is usual for its expense type (config/checks.toml).",
    H,
    SE,
)
UDVIDET_APPROVAL = _rule(
    "HT-UDVIDET-APPROVAL",
    "Udvidet helbredstillaeg (briller, tandprotese) with no approval before the purchase "
    "(must be applied for before, S3, S9).",
    R,
    NE,
)
UDVIDET_UNKNOWN = _rule(
    "HT-UDVIDET-UNKNOWN",
    "Udvidet helbredstillaeg item, but the extract has no approval_date column to check.",
    H,
    SE,
)
PROVIDER_UNKNOWN = _rule(
    "HT-PROVIDER-UNKNOWN", "The provider's CVR number is not in the CVR extract.", H, SE
)
PROVIDER_CLOSED = _rule(
    "HT-PROVIDER-CLOSED",
    "The provider was bankrupt, closed or in liquidation before the service date.",
    H,
    SF,
)
STALE = _rule(
    "HT-STALE",
    "Received long after the service date (config/checks.toml): limitation to be assessed.",
    H,
    SE,
)
VELOCITY = _rule(
    "HT-VELOCITY",
    "More claims for one citizen in one night than usual (config/checks.toml).",
    H,
    SF,
)
PROVISIONAL = _rule(
    "HT-PROVISIONAL-RATE",
    "A rate used is provisional (carried forward, no source for the year): production waits "
    "until it is confirmed; demo pays and says so.",
    H,
    SE,
)
PROVISIONAL_DEMO = _rule(
    "HT-PROVISIONAL-RATE-DEMO",
    "Demo mode only: a provisional rate was used and the claim paid; the report says so.",
    I,
    SE,
)
NO_RATE = _rule(
    "HT-NO-RATE",
    "No rate file covers the service date's year (config/rates/): the claim waits for one.",
    H,
    SE,
)
AMOUNT_ZERO = _rule(
    "HT-AMOUNT-ZERO", "The computed supplement rounds to 0 kr.: nothing to pay.", R, NE
)


class CheckConfig(BaseModel):
    """config/checks.toml [helbredstillaeg]."""

    model_config = ConfigDict(frozen=True)

    usual_max_citizen_share_oere: dict[str, int]
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
    return CheckConfig(
        usual_max_citizen_share_oere={
            k: to_oere(Decimal(v)) for k, v in section["usual_max_citizen_share"].items()
        },
        stale_after_months=int(limits["stale_after_months"]),
        max_claims_per_citizen_per_night=int(limits["max_claims_per_citizen_per_night"]),
        udvidet_expense_types=tuple(limits["udvidet_expense_types"]),
        foertidspension_awarded_before=date.fromisoformat(limits["foertidspension_awarded_before"]),
    )


def _iso(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").fillna("(none)")


def check_citizen(j: pd.DataFrame, municipality_code: int) -> list[pd.DataFrame]:
    """Dead, emigrated, missing or moved away, judged against the service date."""
    service, status_date = j["service_date"], j["cit_status_date"]
    before = status_date.notna() & (status_date <= service)
    since = " since " + _iso(status_date) + "; service date " + _iso(service)
    dead = j["cit_status"] == "dead"
    emigrated = j["cit_status"] == "emigrated"
    moved = j["cit_municipality"].notna() & (j["cit_municipality"] != municipality_code)
    moved_known = moved & j["cit_moved_date"].notna()
    moved_text = "lives in municipality " + j["cit_municipality"].astype("string") + " since "
    return [
        findings(dead & before, DEAD, "CPR status dead" + since),
        findings(dead & ~before, DEAD_AFTER, "CPR status dead" + since),
        findings(emigrated & before, EMIGRATED, "CPR status emigrated" + since),
        findings(j["cit_status"] == "missing", MISSING, "CPR status missing" + since),
        findings(
            moved_known & (j["cit_moved_date"] <= service),
            MOVED,
            moved_text + _iso(j["cit_moved_date"]) + "; service date " + _iso(service),
        ),
        findings(
            moved & j["cit_moved_date"].isna(),
            MOVED_UNKNOWN,
            moved_text + "an unknown date; service date " + _iso(service),
        ),
    ]


def check_pension(j: pd.DataFrame, config: CheckConfig) -> list[pd.DataFrame]:
    """A pension in force, of the right kind, with a tillaegsprocent and assets in limit."""
    has_pension = j["pen_type"].notna()
    foertid = j["pen_type"] == "foertidspension"
    cutoff = pd.Timestamp(config.foertidspension_awarded_before)
    assets_text = (
        "liquid assets "
        + j["pen_assets"].astype("string")
        + " oere above the "
        + j["rate_year"].astype("string")
        + " limit "
        + j["asset_limit_oere"].astype("string")
        + " oere"
    )
    return [
        findings(
            ~has_pension,
            NO_PENSION,
            "no pension record valid on " + _iso(j["service_date"]),
        ),
        findings(
            foertid & j["pen_awarded"].notna() & (j["pen_awarded"] >= cutoff),
            FOERTID_NEW,
            "foertidspension awarded " + _iso(j["pen_awarded"]),
        ),
        findings(foertid & j["pen_awarded"].isna(), FOERTID_UNKNOWN, "no award date"),
        findings(has_pension & (j["pen_percent"] == 0), PCT_ZERO, "personlig tillaegsprocent 0"),
        findings(has_pension & ~j["assets_ok"], ASSETS, assets_text),
    ]


def check_claim(
    j: pd.DataFrame, config: CheckConfig, has_approval_column: bool
) -> list[pd.DataFrame]:
    """The bill itself: its size, its age, its approval, its provider."""
    usual = j["expense_type"].map(config.usual_max_citizen_share_oere).astype("Int64")
    months_late = (j["received_date"].dt.year - j["service_date"].dt.year) * 12 + (
        j["received_date"].dt.month - j["service_date"].dt.month
    )
    stale = (months_late > config.stale_after_months) | (
        (months_late == config.stale_after_months)
        & (j["received_date"].dt.day > j["service_date"].dt.day)
    )
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
        findings(
            usual.notna() & (j["citizen_share"] > usual),
            HIGH_AMOUNT,
            "citizen share "
            + j["citizen_share"].astype("string")
            + " oere above the usual "
            + usual.astype("string")
            + " oere for "
            + j["expense_type"],
        ),
        findings(
            stale,
            STALE,
            "received " + _iso(j["received_date"]) + " for service " + _iso(j["service_date"]),
        ),
        findings(
            ~known_provider,
            PROVIDER_UNKNOWN,
            "provider CVR " + j["provider_cvr"] + " not in the CVR extract",
        ),
        findings(
            closed,
            PROVIDER_CLOSED,
            "provider "
            + j["provider_cvr"]
            + " "
            + j["comp_status"].astype("string")
            + " since "
            + _iso(j["comp_status_date"]),
        ),
    ]
    if has_approval_column:
        out.append(
            findings(
                udvidet & ~approved_before,
                UDVIDET_APPROVAL,
                j["expense_type"]
                + " approved "
                + _iso(j["approval_date"])
                + "; bought "
                + _iso(j["service_date"]),
            )
        )
    else:
        out.append(findings(udvidet, UDVIDET_UNKNOWN, "no approval_date column in the extract"))
    return out


def check_night(j: pd.DataFrame, config: CheckConfig) -> list[pd.DataFrame]:
    """Patterns across the night: the same bill twice, too many bills for one citizen."""
    order = j.sort_values(["received_date", "claim_id"]).index
    ordered = j.loc[order]
    repeated = ordered.duplicated("fingerprint", keep="first")
    first_claim = ordered.groupby("fingerprint")["claim_id"].transform("first")
    per_citizen = j.groupby("cpr")["claim_id"].transform("size")
    return [
        findings(
            repeated.reindex(j.index),
            DUP_NIGHT,
            ("same bill as claim " + first_claim).reindex(j.index),
        ),
        findings(
            per_citizen > config.max_claims_per_citizen_per_night,
            VELOCITY,
            per_citizen.astype("string")
            + " claims for one citizen tonight; usual at most "
            + str(config.max_claims_per_citizen_per_night),
        ),
    ]


def run_all(
    j: pd.DataFrame, *, municipality_code: int, has_approval_column: bool, config: CheckConfig
) -> pd.DataFrame:
    """Every helbredstillaeg check over the joined night; one frame of findings."""
    pieces = [
        *check_citizen(j, municipality_code),
        *check_pension(j, config),
        *check_claim(j, config, has_approval_column),
        *check_night(j, config),
    ]
    pieces = [p for p in pieces if len(p)]
    return pd.concat(pieces, ignore_index=True) if pieces else empty_findings()
