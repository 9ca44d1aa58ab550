"""Months and the amount: months counted as one integer, and the subsidy a month must pay.

Why it is a module of its own: the groups lay jobs out around months, the judge and the
night compute amounts, and all of them must count months and round øre the same way, as
the brief states the rule (domain.md 3.2), not as the robot's code does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from robots.core.money import to_oere
from robots.core.rates import rate
from robots.fleksloentilskud.demo.kinds import ROBOT
from robots.fleksloentilskud.settings import FlexSettings


def month_of(day: date) -> int:
    """A month as one integer (year * 12 + month - 1): months are counted by subtraction."""
    return day.year * 12 + day.month - 1


def first_day(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def last_day(month: int) -> date:
    return first_day(month + 1) - timedelta(days=1)


def month_text(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def latest_wage_month(night: date, settings: FlexSettings) -> int:
    """The newest wage month complete in eIndkomst on `night` (its subsidy month is due)."""
    return month_of(night) - (1 if night.day >= settings.complete_day else 2)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Rates:
    """The year's maximum and wage threshold in øre, from config/rates (as the robot reads)."""

    folder: Path

    def of(self, year: int) -> tuple[int, int]:
        top = rate(ROBOT, "max_month", year, folder=self.folder)
        limit = rate(ROBOT, "wage_threshold_month", year, folder=self.folder)
        return to_oere(top.value), to_oere(limit.value)


def subsidy_oere(
    wage_oere: int, maximum_oere: int, threshold_oere: int, full_time: int | None
) -> int:
    """domain.md 3.2 as the brief states it: the maximum less 30 % of the wage up to the
    threshold and 55 % above it (each deduction rounded half up to the øre), never below 0,
    and at most full_time - wage where the full-time wage is known."""
    below = Decimal(min(wage_oere, threshold_oere))
    above = Decimal(max(wage_oere - threshold_oere, 0))
    deduction = _half_up(below * Decimal("0.30")) + _half_up(above * Decimal("0.55"))
    amount = max(maximum_oere - deduction, 0)
    if full_time is not None:
        amount = min(amount, max(full_time - wage_oere, 0))
    return amount
