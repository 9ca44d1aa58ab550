"""The subsidy's terms as the brief states them: months, covered days, the weekly-hours cap,
the hourly rates, the amount and the longest a subsidy may run (domain.md 4.1-4.2).

Why it is a module of its own: the layout puts claims against these limits, the judge
decides with them and the answer key's amounts come from them. They are stated once here,
from domain.md and config/checks.toml's comments, not imported from the robot, so the key
checks the robot instead of repeating it.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

SOURCED_YEAR = 2023
HOURLY_OERE = {"private": 8616, "public": 12513}
"""2023's rates, kr. per hour in øre (domain.md 4.2: 86,16 private, 125,13 public); 2024-2026
are NOT FOUND and carry 2023 forward, provisional (the demo pays them and says so)."""
PRIVATE_2022_OERE = 8389
"""2022's private rate (83,89); the public one is NOT FOUND: no rate."""

MAX_MONTHS = {
    "private": {"dagpenge": 6, "kontanthjaelp": 6, "uddannelseshjaelp": 6, "ressourceforloeb": 12},
    "public": {"dagpenge": 4, "kontanthjaelp": 6, "uddannelseshjaelp": 6, "ressourceforloeb": 12},
}
OTHER_GROUP_MONTHS = 12
"""Any target group not named: the longest (config/checks.toml [loentilskud.max_months])."""


def month_of(day: date) -> int:
    """A month as one integer (year * 12 + month - 1): months are counted by subtraction."""
    return day.year * 12 + day.month - 1


def first_day(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def last_day(month: int) -> date:
    return first_day(month + 1) - timedelta(days=1)


def in_month(month: int, day: int) -> date:
    """Day `day` of `month` (at most its last day)."""
    return first_day(month).replace(day=min(day, last_day(month).day))


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the target month lacks is its last day."""
    month = month_of(day) + months
    length = calendar.monthrange(month // 12, month % 12 + 1)[1]
    return first_day(month).replace(day=min(day.day, length))


def max_months(sector: str, target_group: str) -> int:
    return MAX_MONTHS.get(sector, MAX_MONTHS["private"]).get(target_group, OTHER_GROUP_MONTHS)


def duration_end(start: date, months: int) -> date:
    """The last day a subsidy from `start` may run: start + months - 1 day (15 January and
    6 months: 14 July)."""
    return add_months(start, months) - timedelta(days=1)


def covered_days(start: date, end: date, agreement_start: date, agreement_end: date) -> int:
    """Days of [start, end] inside [agreement_start, agreement_end], both ends counted."""
    first, last = max(start, agreement_start), min(end, agreement_end)
    return max((last - first).days + 1, 0)


def cap_hundredths(weekly_hundredths: int, days: int) -> int:
    """Hours the agreement allows over `days` days, in hundredths, rounded down."""
    return weekly_hundredths * days // 7


def hourly_oere(sector: str | None, year: int) -> int | None:
    """The hourly rate for the sector and year in øre; None where there is none."""
    if sector not in HOURLY_OERE:
        return None
    if year >= SOURCED_YEAR:
        return HOURLY_OERE[sector]
    if year == SOURCED_YEAR - 1 and sector == "private":
        return PRIVATE_2022_OERE
    return None


def provisional(year: int) -> bool:
    """Whether the year's rate is carried forward (paid in demo, with an info rule)."""
    return year > SOURCED_YEAR


def amount_oere(rate: int, hours: int, cap: int) -> int:
    """Rate (øre an hour) x min(hours, cap) (hundredths), rounded half up to the øre once."""
    return (rate * min(hours, cap) + 50) // 100
