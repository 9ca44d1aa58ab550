"""The thresholds and rates the demo data must respect, read from `config/` at run time.

Clean demo claims have to pass every check the robots run, and planted errors have to
cross exactly one threshold. Both only hold if the generator reads the same figures the
checks read, so nothing here is hard-coded: change `config/checks.toml` or
`config/rates/<year>.toml` and the next generated night follows.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from robots.helbredstillaeg.datasets import EXPENSE_TYPES  # the contract list, kept once

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
"""The project's `config/` folder, found from this file so the CLI works from any cwd."""


MIN_TIMES_MEDIAN = 4
"""Clean shares reach half of `times_median` times their median: below 4 that is no spread."""


class DemoConfigError(ValueError):
    """A config file the generator needs is missing or says something it cannot use."""


@dataclass(frozen=True)
class RateYear:
    """One year's liquid-asset limit, and whether it is only carried forward."""

    year: int
    liquid_asset_limit_oere: int
    provisional: bool


@dataclass(frozen=True)
class DemoPolicy:
    """Everything from `config/` that decides whether a claim is clean."""

    usual_max_oere: dict[str, int]
    times_median: int
    """HT-HIGH-AMOUNT holds a share above this many times its expense type's median."""
    min_bills: int
    """... once the type has at least this many bills (fewer: the ceiling decides alone)."""
    stale_after_months: int
    max_claims_per_citizen_per_night: int
    udvidet_expense_types: tuple[str, ...]
    foertid_awarded_before: date
    rates: dict[int, RateYear]

    @property
    def rate_years(self) -> list[int]:
        """Years that have a rate file, oldest first."""
        return sorted(self.rates)

    @property
    def sourced_years(self) -> list[int]:
        """Years whose asset limit is sourced, not carried forward: safe for stale claims."""
        return sorted(y for y, r in self.rates.items() if not r.provisional)


def _kroner_to_oere(text: Any, where: str) -> int:
    """Exact kroner text ('99200', '1234.50') to whole øre; refuses anything inexact."""
    if isinstance(text, float):
        raise DemoConfigError(f"{where}: write the amount as a string, not a float")
    try:
        value = Decimal(str(text)) * 100
    except InvalidOperation as exc:
        raise DemoConfigError(f"{where}: {text!r} is not an amount in kroner") from exc
    if value != value.to_integral_value():
        raise DemoConfigError(f"{where}: {text!r} has more than two decimals")
    return int(value)


def _read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file, naming the file when it is missing or broken."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise DemoConfigError(f"{path} is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DemoConfigError(f"{path} is not valid TOML: {exc}") from exc


def load_policy(config_dir: Path = DEFAULT_CONFIG_DIR) -> DemoPolicy:
    """Read checks.toml and every rates/<year>.toml into one policy object."""
    checks = _read_toml(config_dir / "checks.toml")
    try:
        section = checks["helbredstillaeg"]
        usual = section["usual_max_citizen_share"]
        limits = section["limits"]
        unusual = section["unusual_amount"]
        usual_max = {
            t: _kroner_to_oere(usual[t], f"checks.toml usual_max_citizen_share.{t}")
            for t in EXPENSE_TYPES
        }
        policy_args: dict[str, Any] = {
            "times_median": int(unusual["times_median"]),
            "min_bills": int(unusual["min_bills"]),
            "stale_after_months": int(limits["stale_after_months"]),
            "max_claims_per_citizen_per_night": int(limits["max_claims_per_citizen_per_night"]),
            "udvidet_expense_types": tuple(limits["udvidet_expense_types"]),
            "foertid_awarded_before": date.fromisoformat(
                str(limits["foertidspension_awarded_before"])
            ),
        }
    except KeyError as exc:
        raise DemoConfigError(f"{config_dir / 'checks.toml'} lacks {exc.args[0]!r}") from exc
    if policy_args["times_median"] < MIN_TIMES_MEDIAN or policy_args["min_bills"] < 1:
        raise DemoConfigError(
            f"checks.toml [helbredstillaeg.unusual_amount]: the demo needs times_median >= "
            f"{MIN_TIMES_MEDIAN} (clean bills go up to half of it) and min_bills >= 1"
        )
    unknown = set(policy_args["udvidet_expense_types"]) - set(EXPENSE_TYPES)
    if unknown:
        raise DemoConfigError(f"checks.toml udvidet_expense_types names unknown {sorted(unknown)}")

    rates: dict[int, RateYear] = {}
    for path in sorted((config_dir / "rates").glob("*.toml")):
        data = _read_toml(path)
        if "helbredstillaeg" not in data:
            continue  # a year with figures for other benefits only (2022: fleksloentilskud)
        try:
            year = int(data["year"])
            limit = data["helbredstillaeg"]["liquid_asset_limit"]
            rates[year] = RateYear(
                year=year,
                liquid_asset_limit_oere=_kroner_to_oere(limit["value"], f"{path} limit"),
                provisional=bool(limit.get("provisional", False)),
            )
        except KeyError as exc:
            raise DemoConfigError(f"{path} lacks {exc.args[0]!r}") from exc
    if not rates:
        raise DemoConfigError(f"{config_dir / 'rates'} holds no <year>.toml rate file")
    return DemoPolicy(usual_max_oere=usual_max, rates=rates, **policy_args)
