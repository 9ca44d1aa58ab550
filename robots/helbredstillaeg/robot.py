"""The helbredstillaeg robot as the shared pipeline runs it: registers joined, amounts
computed per rate year, cross-checks applied.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa

from checks.quality.suites import CITIZENS_REGISTER, COMPANIES_REGISTER
from robots.core.money import format_oere_plain, to_oere
from robots.core.rates import rates_by_year
from robots.core.robot import (
    ChangePolicy,
    EvaluationContext,
    Robot,
    arrow_column,
    concat_findings,
    findings,
    joined_text,
    rate_findings,
)
from robots.helbredstillaeg import checks as rules
from robots.helbredstillaeg.amounts import assets_within_limit, helbredstillaeg_oere
from robots.helbredstillaeg.datasets import HEALTH_CLAIMS
from robots.helbredstillaeg.quality import HEALTH_CLAIMS_SUITE, PENSIONERS_REGISTER

NAME = "helbredstillaeg"


CITIZEN_COLUMNS = {
    "status": "cit_status",
    "status_date": "cit_status_date",
    "municipality_code": "cit_municipality",
    "moved_date": "cit_moved_date",
}
PENSION_COLUMNS = {
    "pension_type": "pen_type",
    "supplement_percent": "pen_percent",
    "liquid_assets": "pen_assets",
    "awarded_date": "pen_awarded",
}
COMPANY_COLUMNS = {"status": "comp_status", "status_date": "comp_status_date"}


def join_registers(claims: pd.DataFrame, references: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each claim with its citizen, its pension record on the service date, its provider.

    Joined by row positions, not merges: tonight's distinct keys are hashed once and the
    registers' columns taken by position, several times cheaper at a million claims.
    """
    citizens, pensioners = references["citizens"], references["pensioners"]
    companies = references["companies"]
    cpr, citizen_cpr, pension_cpr = _shared_codes(claims["cpr"], citizens["cpr"], pensioners["cpr"])
    cvr, company_cvr = _shared_codes(claims["provider_cvr"], companies["cvr"])
    pension = _pension_rows(cpr, pension_cpr, claims["service_date"], pensioners)
    joined = claims.assign(
        **_take(citizens, CITIZEN_COLUMNS, _unique_rows(cpr, citizen_cpr, "cpr"), claims.index),
        **_take(pensioners, PENSION_COLUMNS, pension, claims.index),
        **_take(companies, COMPANY_COLUMNS, _unique_rows(cvr, company_cvr, "cvr"), claims.index),
        pen_foertid_since=_foertid_since(cpr, pension_cpr, pensioners, claims.index),
    )
    return joined.astype({"pen_percent": "Int64", "pen_assets": "Int64"})


def _foertid_since(
    cpr: np.ndarray, pension_cpr: np.ndarray, pensioners: pd.DataFrame, index: pd.Index
) -> pd.Series:
    """Each claim's citizen's earliest førtidspension row start (NaT if none).

    A førtidspension row in force before 1.1.2003 proves an award under the old rules even
    when the extract gives no award date: the register's own history answers what the
    missing column would have.
    """
    starts = pensioners["valid_from"].to_numpy().astype("datetime64[s]").view(np.int64)
    rows = np.flatnonzero(
        (pension_cpr >= 0)
        & (pensioners["pension_type"] == "foertidspension").to_numpy(dtype=bool, na_value=False)
        & ~np.isnat(pensioners["valid_from"].to_numpy())
    )
    size = max(cpr.max(initial=-1), pension_cpr.max(initial=-1)) + 2
    none = np.iinfo(np.int64).max
    earliest = np.full(size, none, dtype=np.int64)
    np.minimum.at(earliest, pension_cpr[rows], starts[rows])
    found = earliest[cpr]  # a claim with no CPR (-1) reads the last slot, which has none
    return pd.Series(
        np.where(found == none, np.datetime64("NaT"), found.astype("datetime64[s]")),
        index=index,
        dtype="datetime64[s]",
    )


def _take(
    register: pd.DataFrame, columns: dict[str, str], rows: np.ndarray, index: pd.Index
) -> dict[str, pd.Series]:
    """The register's `columns` (renamed) at `rows`; missing where the row is -1."""
    return {
        new: pd.Series(register[old].array.take(rows, allow_fill=True), index=index)
        for old, new in columns.items()
    }


def _shared_codes(*columns: pd.Series) -> list[np.ndarray]:
    """The columns' values numbered in one numbering (-1: missing), hashed in one pass."""
    arrays = [arrow_column(c, pa.large_string()) for c in columns]
    encoded = pa.concat_arrays(arrays).dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)
    ends = np.cumsum([len(a) for a in arrays])
    return np.split(codes, ends[:-1])


def _unique_rows(keys: np.ndarray, register_keys: np.ndarray, name: str) -> np.ndarray:
    """Each claim's row in a register keyed uniquely (-1 if none); keys as `_shared_codes`."""
    size = max(keys.max(initial=-1), register_keys.max(initial=-1)) + 2
    held = np.flatnonzero(register_keys >= 0)
    if np.bincount(register_keys[held], minlength=size).max(initial=0) > 1:
        raise ValueError(f"the register's {name} is not unique: claims cannot be joined to it")
    # The last slot is never a key: claims with none (code -1) read it and find no row.
    row = np.full(size, -1, dtype=np.int64)
    row[register_keys[held]] = held
    return row[keys]


def _pension_rows(
    cpr: np.ndarray, pension_cpr: np.ndarray, service_date: pd.Series, pensioners: pd.DataFrame
) -> np.ndarray:
    """Each claim's pension record in force on its service date (-1 if none).

    A citizen may have several records; the latest start wins, then the register's order.
    Each claim's candidates are laid out newest first, and the first in force is taken.
    """
    valid_from = pensioners["valid_from"].to_numpy()
    usable = np.flatnonzero((pension_cpr >= 0) & ~np.isnat(valid_from))
    owner = pension_cpr[usable]
    # lexsort is stable: records with equal keys keep the register's order.
    newest_first = usable[np.lexsort((-valid_from[usable].view(np.int64), owner))]
    size = max(cpr.max(initial=-1), pension_cpr.max(initial=-1)) + 2
    per_owner = np.bincount(owner, minlength=size)
    owner_start = np.cumsum(per_owner) - per_owner

    count = per_owner[cpr]  # a claim with no CPR (-1) reads the last slot, which has none
    claim = np.repeat(np.arange(len(cpr)), count)
    within = np.arange(len(claim)) - np.repeat(np.cumsum(count) - count, count)
    record = newest_first[owner_start[cpr[claim]] + within]

    served = service_date.to_numpy()[claim]
    valid_to = pensioners["valid_to"].to_numpy()[record]
    in_force = (valid_from[record] <= served) & (np.isnat(valid_to) | (valid_to >= served))
    hits = np.flatnonzero(in_force)
    first = hits[np.diff(claim[hits], prepend=-1) != 0]
    rows = np.full(len(cpr), -1, dtype=np.int64)
    rows[claim[first]] = record[first]
    return rows


def compute(claims: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    """Each claim's amount from the rates of its service year, beside its register facts."""
    j = join_registers(claims, context.references)
    years = j["service_date"].dt.year.astype("int64")
    amount = np.zeros(len(j), dtype=np.int64)
    limit = np.zeros(len(j), dtype=np.int64)
    percent = j["pen_percent"].fillna(0).to_numpy(dtype=np.int64)
    share = j["citizen_share"].to_numpy(dtype=np.int64)
    # With no rate for a year its claims are held by HT-NO-RATE; the night goes on.
    by_year = rates_by_year(NAME, ("coverage_percent", "liquid_asset_limit"), years)
    for year, figures in by_year.rates.items():
        in_year = (years == year).to_numpy()
        coverage = figures["coverage_percent"].value
        amount[in_year] = helbredstillaeg_oere(share[in_year], percent[in_year], coverage)
        limit[in_year] = to_oere(figures["liquid_asset_limit"].value)
    no_rate, provisional = by_year.no_rate, by_year.provisional
    provisional_text = by_year.provisional_text
    j["asset_limit_oere"] = limit
    # With no rate for the year the limit is unknown: HT-NO-RATE holds the claim instead.
    j["assets_ok"] = (
        assets_within_limit(j["pen_assets"].fillna(0).to_numpy(np.int64), limit) | no_rate
    )
    j["provisional_text"] = provisional_text
    j["no_rate"] = no_rate
    j["payee_kind"] = "cpr"
    j["payee_id"] = claims["cpr"]
    j["category"] = claims["expense_type"]
    j["counterparty"] = claims["provider_cvr"]
    j["basis_oere"] = share
    j["amount_oere"] = amount
    j["rate_year"] = years.to_numpy()
    j["rate_provisional"] = provisional
    j["rule_basis"] = _rule_basis(j["pen_percent"], years)
    return j


def _rule_basis(percent: pd.Series, years: pd.Series) -> pd.Series:
    """The amount's rule and inputs as text, once per distinct (percent, year) pair.

    A night has a hundred percents and a few years: the text is written for each pair and
    taken by position, not concatenated a million times.
    """
    percent_code, percents = pd.factorize(percent, use_na_sentinel=False)
    year_code, year_values = pd.factorize(years)
    texts = pa.array(
        [
            f"HT-AMOUNT 85 % x tillaegsprocent {'-' if pd.isna(p) else p} % (rates {y})"
            for p in percents
            for y in year_values
        ],
        type=pa.large_string(),
    )
    chosen = texts.take(pa.array(percent_code * len(year_values) + year_code))
    return pd.Series(pd.array(chosen, dtype="string"), index=percent.index)


def check(j: pd.DataFrame, context: EvaluationContext) -> pd.DataFrame:
    """Every helbredstillaeg cross-check, plus the provisional-rate and zero-amount rules."""
    fire = partial(findings, frame=j)
    return concat_findings(
        [
            rules.run_all(
                j,
                municipality_code=context.municipality_code,
                has_approval_column="approval_date" in context.optional_columns,
                config=rules.load_config(),
                history=context.amount_history,
            ),
            *rate_findings(
                j,
                demo=context.mode == "demo",
                provisional=rules.PROVISIONAL,
                provisional_demo=rules.PROVISIONAL_DEMO,
                no_rate=rules.NO_RATE,
            ),
            fire(
                (j["amount_oere"] == 0) & (j["pen_percent"].fillna(0) > 0) & ~j["no_rate"],
                rules.AMOUNT_ZERO,
                lambda r: (
                    "85 % x "
                    + r["pen_percent"].astype("string")
                    + " % of "
                    + pd.Series(
                        format_oere_plain(r["basis_oere"].to_numpy(np.int64)), index=r.index
                    )
                    + " kr. rounds to 0.00 kr."
                ),
            ),
        ]
    )


def fingerprint(claims: pd.DataFrame) -> pd.Series:
    """Citizen, expense type, provider, service date and amount: what makes a bill the same."""
    return joined_text(
        claims[c] for c in ("cpr", "expense_type", "provider_cvr", "service_date", "citizen_share")
    )


ROBOT = Robot(
    name=NAME,
    code="HT",
    title="Helbredstillaeg",
    claims=HEALTH_CLAIMS,
    quality_suite=HEALTH_CLAIMS_SUITE,
    registers=(CITIZENS_REGISTER, COMPANIES_REGISTER, PENSIONERS_REGISTER),
    compute=compute,
    check=check,
    fingerprint=fingerprint,
    duplicate_paid_rule=rules.DUP_PAID,
    duplicate_held_rule=rules.DUP_HELD,
    resubmitted_changed_rule=rules.RESUBMIT_CHANGED,
    # A bill delivered again changed is held for a person, not paid as a correction.
    change_policy=ChangePolicy.HOLD,
    accounts_section="helbredstillaeg",
    remittance_title="Helbredstillaeg",
    amount_history=lambda: rules.load_config().history_claims,
    evidence_columns=(
        "expense_type",
        "service_date",
        "approval_date",
        "received_date",
        "citizen_share",
        "cit_status",
        "cit_status_date",
        "cit_moved_date",
        "cit_municipality",
        "pen_type",
        "pen_percent",
        "pen_awarded",
        "pen_foertid_since",
        "pen_assets",
        "asset_limit_oere",
        "assets_ok",
        "counterparty",
        "comp_status",
        "comp_status_date",
    ),
)
