"""Rates (satser) per year from `config/rates/<year>.toml`: data with a source, not code.

A figure missing for a year is carried forward from the latest earlier year and marked
provisional (domain.md: "NOT FOUND ... carry the latest sourced figure forward, marked
provisional with the year it comes from"). A production run refuses to pay on a
provisional figure; the claim waits with a message naming the file and key to confirm.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

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
        origin = None if origin is None else str(origin)
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


@dataclass(frozen=True)
class RatesByYear:
    """The figures a night's claims need, for each year among them, and which rows lack one
    or rest on a provisional one."""

    rates: dict[int, dict[str, Rate]]
    """Year -> figure name -> its rate, for the years that have every figure."""
    no_rate: npt.NDArray[np.bool_]
    """Rows whose year has a figure missing (held by the robot's no-rate rule)."""
    provisional: npt.NDArray[np.bool_]
    """Rows whose year has a provisional figure among them."""
    provisional_text: pd.Series
    """Per row, which figures to confirm and where ("" where none)."""


def rates_by_year(
    benefit: str, names: Sequence[str], years: pd.Series, *, folder: Path | None = None
) -> RatesByYear:
    """The figures `names` of `benefit` for each row's year, looked up once per year."""
    no_rate = np.zeros(len(years), dtype=bool)
    provisional = np.zeros(len(years), dtype=bool)
    text = pd.Series("", index=years.index, dtype="string")
    found: dict[int, dict[str, Rate]] = {}
    for year in np.unique(years.to_numpy()):
        in_year = (years == year).to_numpy()
        try:
            figures = {name: rate(benefit, name, int(year), folder=folder) for name in names}
        except ConfigError:
            no_rate[in_year] = True
            continue
        found[int(year)] = figures
        unconfirmed = [r for r in figures.values() if r.provisional]
        if unconfirmed:
            provisional[in_year] = True
            text[in_year] = "; ".join(
                f"{r.name} {r.value} carried from {r.provisional_from}: confirm {r.config_key}"
                for r in unconfirmed
            )
    return RatesByYear(found, no_rate, provisional, text)


@dataclass(frozen=True)
class TableEntry:
    """One row of a year's rate table (a fee card line), with where it came from."""

    benefit: str
    table: str
    key: str
    year: int
    amounts: dict[str, Decimal]
    """Variant name -> amount in kroner (e.g. standard, interpreter)."""
    flags: frozenset[str]
    """Boolean settings that hold (e.g. by_invoice: no fixed fee)."""
    source: str
    provisional: bool
    provisional_from: int | None

    @property
    def config_key(self) -> str:
        return f'config/rates/{self.year}.toml [{self.benefit}.{self.table}."{self.key}"]'


_ENTRY_SETTINGS = {"source", "provisional", "provisional_from"}


def rate_table(
    benefit: str, table: str, year: int, *, folder: Path | None = None
) -> dict[str, TableEntry]:
    """Every row of `benefit.table` in force in `year`, each carried forward on its own.

    A row missing from the year's file comes from the latest earlier year that has it and is
    then provisional, like a single figure (see `rate`).
    """
    years = _year_files(_rates_folder(folder))
    entries: dict[str, TableEntry] = {}
    for candidate in sorted((y for y in years if y <= year), reverse=True):
        rows = years[candidate].get(benefit, {}).get(table, {})
        for key, row in rows.items():
            if key in entries or not isinstance(row, dict):
                continue
            entries[key] = _table_entry(benefit, table, key, year, candidate, row)
    return entries


def _table_entry(
    benefit: str, table: str, key: str, year: int, candidate: int, row: dict[str, object]
) -> TableEntry:
    where = f'config/rates/{candidate}.toml [{benefit}.{table}."{key}"]'
    source = str(row.get("source", "")).strip()
    if not source:
        raise ConfigError(f"{where} has no source")
    amounts: dict[str, Decimal] = {}
    flags: set[str] = set()
    for name, value in row.items():
        if name in _ENTRY_SETTINGS:
            continue
        if isinstance(value, bool):
            if value:
                flags.add(name)
            continue
        if not isinstance(value, str):
            raise ConfigError(f'{where} {name} must be written as text, e.g. "1544"')
        try:
            amounts[name] = Decimal(value)
        except InvalidOperation as exc:
            raise ConfigError(f"{where} {name} = {value!r} is not an amount") from exc
    carried = candidate != year
    origin = row.get("provisional_from")
    provisional_from = int(str(origin)) if origin is not None else None
    return TableEntry(
        benefit=benefit,
        table=table,
        key=key,
        year=year,
        amounts=amounts,
        flags=frozenset(flags),
        source=source if not carried else f"carried forward from {candidate}: {source}",
        provisional=carried or bool(row.get("provisional", False)),
        provisional_from=provisional_from or (candidate if carried else None),
    )


def clear_rates_cache() -> None:
    """Forget loaded rate files (tests write their own)."""
    _year_files.cache_clear()
