"""Rates (satser) per year from `config/rates/<year>.toml`: data with a source, not code.

A figure missing for a year is carried forward from the latest earlier year and marked
provisional (domain.md: "NOT FOUND ... carry the latest sourced figure forward, marked
provisional with the year it comes from"). A production run refuses to pay on a
provisional figure; the claim waits with a message naming the file and key to confirm.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from robots.core.errors import ConfigError
from robots.core.settings import config_dir


@dataclass(frozen=True)
class Rate:
    """One figure of one year, with where it came from."""

    benefit: str
    name: str
    year: int
    value: Decimal
    source: str
    provisional: bool
    provisional_from: int | None

    @property
    def config_key(self) -> str:
        """Where a caseworker confirms it: file and key."""
        return f"config/rates/{self.year}.toml [{self.benefit}.{self.name}]"


def _rates_folder(folder: Path | None) -> Path:
    return folder if folder is not None else config_dir() / "rates"


@lru_cache(maxsize=64)
def _year_files(folder: Path) -> dict[int, dict[str, dict[str, dict[str, object]]]]:
    years: dict[int, dict[str, dict[str, dict[str, object]]]] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        year = data.get("year")
        if not isinstance(year, int) or path.stem != str(year):
            raise ConfigError(f"{path} must say year = {path.stem} at the top")
        years[year] = {k: v for k, v in data.items() if isinstance(v, dict)}
    if not years:
        raise ConfigError(f"no rate files in {folder}; add config/rates/<year>.toml")
    return years


def rate(benefit: str, name: str, year: int, *, folder: Path | None = None) -> Rate:
    """The figure `name` of `benefit` in force in `year`, carried forward if missing."""
    years = _year_files(_rates_folder(folder))
    for candidate in sorted((y for y in years if y <= year), reverse=True):
        entry = years[candidate].get(benefit, {}).get(name)
        if entry is None:
            continue
        try:
            value = Decimal(str(entry["value"]))
        except (KeyError, InvalidOperation) as exc:
            raise ConfigError(
                f'config/rates/{candidate}.toml [{benefit}.{name}] needs value = "<number>"'
            ) from exc
        source = str(entry.get("source", "")).strip()
        if not source:
            raise ConfigError(f"config/rates/{candidate}.toml [{benefit}.{name}] has no source")
        carried = candidate != year
        provisional = carried or bool(entry.get("provisional", False))
        origin = entry.get("provisional_from")
        provisional_from = candidate if carried else (int(origin) if origin is not None else None)
        if carried and entry.get("provisional"):
            provisional_from = int(origin) if origin is not None else candidate
        return Rate(
            benefit=benefit,
            name=name,
            year=year,
            value=value,
            source=source if not carried else f"carried forward from {candidate}: {source}",
            provisional=provisional,
            provisional_from=provisional_from,
        )
    raise ConfigError(
        f"no {benefit}.{name} rate for {year} or any earlier year: add it to "
        f"config/rates/{year}.toml with its source"
    )


def clear_rates_cache() -> None:
    """Forget loaded rate files (tests write their own)."""
    _year_files.cache_clear()
