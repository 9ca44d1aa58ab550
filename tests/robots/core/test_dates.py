"""Tests for robots.core.dates: the Danish banking-day calendar.

The expected closing days are copied from the official list
"Danmarks Nationalbank, Banklukkedage" (nationalbanken.dk, lists for 2026 and
2027). Weekends are closed as well and are not repeated in the lists.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from robots.core import dates
from robots.core.dates import (
    COPENHAGEN,
    add_banking_days,
    banking_day_on_or_after,
    is_banking_day,
    next_banking_day,
    previous_banking_day,
)

# Source: Danmarks Nationalbank, Banklukkedage (bank closing days besides weekends).
BANK_CLOSING_DAYS_2026 = [
    date(2026, 1, 1),  # Nytårsdag
    date(2026, 4, 2),  # Skærtorsdag
    date(2026, 4, 3),  # Langfredag
    date(2026, 4, 6),  # 2. påskedag
    date(2026, 5, 14),  # Kristi himmelfartsdag
    date(2026, 5, 15),  # Banklukkedag (fredag efter Kristi himmelfart)
    date(2026, 5, 25),  # 2. pinsedag
    date(2026, 6, 5),  # Grundlovsdag (banklukkedag)
    date(2026, 12, 24),  # Juleaftensdag
    date(2026, 12, 25),  # 1. juledag
    date(2026, 12, 26),  # 2. juledag (Saturday in 2026)
    date(2026, 12, 31),  # Nytårsaftensdag (banklukkedag)
]

# Source: Danmarks Nationalbank, Banklukkedage (bank closing days besides weekends).
BANK_CLOSING_DAYS_2027 = [
    date(2027, 1, 1),  # Nytårsdag
    date(2027, 3, 25),  # Skærtorsdag
    date(2027, 3, 26),  # Langfredag
    date(2027, 3, 29),  # 2. påskedag
    date(2027, 5, 6),  # Kristi himmelfartsdag
    date(2027, 5, 7),  # Banklukkedag (fredag efter Kristi himmelfart)
    date(2027, 5, 17),  # 2. pinsedag
    date(2027, 6, 5),  # Grundlovsdag (Saturday in 2027)
    date(2027, 12, 24),  # Juleaftensdag
    date(2027, 12, 31),  # Nytårsaftensdag (banklukkedag)
]

ALL_LISTED = BANK_CLOSING_DAYS_2026 + BANK_CLOSING_DAYS_2027


def _is_weekend(d: date) -> bool:
    """Saturday or Sunday; why: the official lists leave weekends implicit."""
    return d.weekday() >= 5


@pytest.mark.parametrize("closed", ALL_LISTED, ids=str)
def test_listed_closing_days_are_not_banking_days(closed: date) -> None:
    """Every day on Nationalbanken's list is closed."""
    assert not is_banking_day(closed)


@pytest.mark.parametrize("year", [2026, 2027])
def test_whole_year_matches_official_list_exactly(year: int) -> None:
    """Closed days = weekends + the official list, nothing more, nothing less.

    Why: this also checks "the days around them" are open, and that no extra
    day (such as 1 May) sneaks in.
    """
    listed = set(ALL_LISTED)
    d = date(year, 1, 1)
    while d.year == year:
        expected_open = not _is_weekend(d) and d not in listed
        assert is_banking_day(d) == expected_open, d
        d += timedelta(days=1)


@pytest.mark.parametrize("closed", ALL_LISTED, ids=str)
def test_neighbours_of_closing_days_are_open_unless_closed_themselves(closed: date) -> None:
    """The weekday before and after each closing day is open if not listed.

    Why: off-by-one errors (e.g. adding Ascension + 2) show up here by name.
    Neighbours outside 2026-2027 are skipped: those years are not listed here.
    """
    listed = set(ALL_LISTED)
    for neighbour in (closed - timedelta(days=1), closed + timedelta(days=1)):
        in_listed_years = neighbour.year in (2026, 2027)
        if in_listed_years and not _is_weekend(neighbour) and neighbour not in listed:
            assert is_banking_day(neighbour), neighbour


def test_first_of_may_2026_is_a_banking_day() -> None:
    """1 May is a day off for many, but the banks are open."""
    assert date(2026, 5, 1).weekday() == 4  # a Friday
    assert is_banking_day(date(2026, 5, 1))


def test_ascension_on_first_of_may_stays_closed() -> None:
    """In 2008 Ascension Day fell on 1 May: removing 1 May must not open it."""
    assert not is_banking_day(date(2008, 5, 1))
    assert not is_banking_day(date(2008, 5, 2))


def test_regression_next_banking_day() -> None:
    """Regression dates from the notes (Ascension week and Christmas)."""
    assert next_banking_day(date(2026, 5, 13)) == date(2026, 5, 18)
    assert next_banking_day(date(2026, 12, 23)) == date(2026, 12, 28)


def test_next_banking_day_is_strictly_after() -> None:
    """A banking day does not count as its own next banking day."""
    assert next_banking_day(date(2026, 5, 18)) == date(2026, 5, 19)
    assert next_banking_day(date(2026, 5, 29)) == date(2026, 6, 1)


def _last_banking_day_of_month(year: int, month: int) -> date:
    """Last banking day of a month; why: benefits are often paid then."""
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return previous_banking_day(first_of_next)


def test_last_banking_days_of_month() -> None:
    """December 2026 ends on the 30th (31st is closed), May 2026 on the 29th."""
    assert _last_banking_day_of_month(2026, 12) == date(2026, 12, 30)
    assert _last_banking_day_of_month(2026, 5) == date(2026, 5, 29)


def test_banking_day_on_or_after() -> None:
    """Open days stay put; closed days roll forward."""
    assert banking_day_on_or_after(date(2026, 5, 13)) == date(2026, 5, 13)
    assert banking_day_on_or_after(date(2026, 5, 14)) == date(2026, 5, 18)
    assert banking_day_on_or_after(date(2026, 12, 24)) == date(2026, 12, 28)
    assert banking_day_on_or_after(date(2026, 12, 31)) == date(2027, 1, 4)


def test_add_banking_days() -> None:
    """Counting forwards and backwards over closing days."""
    assert add_banking_days(date(2026, 5, 13), 1) == date(2026, 5, 18)
    assert add_banking_days(date(2026, 5, 13), 2) == date(2026, 5, 19)
    assert add_banking_days(date(2026, 12, 23), 3) == date(2026, 12, 30)
    assert add_banking_days(date(2026, 12, 23), 4) == date(2027, 1, 4)
    assert add_banking_days(date(2026, 5, 18), -1) == date(2026, 5, 13)
    assert add_banking_days(date(2026, 5, 14), 0) == date(2026, 5, 14)


def test_datetime_is_rejected() -> None:
    """A datetime never equals a date, so it would dodge the holiday lookup."""
    with pytest.raises(TypeError):
        is_banking_day(datetime(2026, 12, 24, 12, 0, tzinfo=COPENHAGEN))  # type: ignore[arg-type]


def test_now_and_today_are_copenhagen() -> None:
    """The clock is aware and on Danish time."""
    current = dates.now()
    assert current.tzinfo is COPENHAGEN
    assert dates.today() in {current.date(), dates.now().date()}
