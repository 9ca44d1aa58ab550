"""Dates, the Copenhagen clock and Danish banking days.

The robots pay money on a *requested execution date*. If that date is a day
the Danish banks are closed, the bank either rejects the file or silently
moves the payment, and citizens get their benefit late. So every payment
date is computed here, from one calendar, instead of ad hoc in each robot.

Bank closing days follow Danmarks Nationalbank's list ("Banklukkedage"):
weekends, the public holidays, Grundlovsdag (5 June), 24 December,
31 December and the Friday after Ascension Day. 1 May is *not* a bank closing
day. The `holidays` package has no Danish banking calendar, so the days are
built from its public and optional Danish holidays with two corrections (see
`_bank_closing_days`). The recipe has been checked against Nationalbanken's
lists for 2026 and 2027 (see tests/robots/core/test_dates.py); years before
2008 are not reliable (the Friday after Ascension only became a closing day
then) and the robots never pay into the past anyway.
"""

from __future__ import annotations

import functools
import logging
import re
import zoneinfo
from datetime import date, datetime, time, timedelta

import holidays
from dateutil.easter import easter

logger = logging.getLogger(__name__)

COPENHAGEN = zoneinfo.ZoneInfo("Europe/Copenhagen")
"""The municipality's time zone; "today" for a payment is today in Denmark."""

_ONE_DAY = timedelta(days=1)
_MAY_DAY = (5, 1)
_ASCENSION_AFTER_EASTER = timedelta(days=39)


def now() -> datetime:
    """Return the current time, time-zone aware, in Copenhagen.

    Why: servers often run in UTC. Around midnight a naive or UTC "now" falls
    on another calendar day than in Denmark, which moves payment dates by a
    day. Every robot asks this function instead of `datetime.now()`.

    Returns:
        The current instant as an aware datetime in Europe/Copenhagen.
    """
    return datetime.now(COPENHAGEN)


def as_utc(value: datetime | str) -> datetime:
    """A timestamp read back from the ledger as aware UTC: raw SQL gives SQLite's text or a
    naive value (the ledger stores UTC, and SQLite keeps no offset), PostgreSQL an aware one."""
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def days_span(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants from the start of `first` to the start of the day after `last`, in
    Copenhagen: a period of days as the ledger's UTC timestamps are compared with it."""
    return (
        datetime.combine(first, time(0), tzinfo=COPENHAGEN),
        datetime.combine(last + _ONE_DAY, time(0), tzinfo=COPENHAGEN),
    )


def today() -> date:
    """Return today's date in Copenhagen.

    Why: see `now`; the calendar day that matters for payments is the Danish
    one, not the server's.

    Returns:
        The current date in Europe/Copenhagen.
    """
    return now().date()


@functools.lru_cache(maxsize=64)
def _bank_closing_days(year: int) -> frozenset[date]:
    """Return the weekday-independent bank closing days of one year.

    Why: `holidays` knows the Danish public holidays ("public") and the
    customary days off ("optional": 1 May, 5 June, 24 and 31 December), but
    not the banks' own calendar. Nationalbanken's list is public + optional,
    minus 1 May, plus the Friday after Ascension Day. 1 May is removed from
    the *optional* set only, so a year where Ascension Day falls on 1 May
    (e.g. 2008) keeps it closed. Cached because robots ask for the same year
    thousands of times in a run.

    Args:
        year: Calendar year.

    Returns:
        The closing days of `year` (weekends are handled separately).
    """
    public = holidays.country_holidays("DK", years=year, categories=("public",))
    optional = holidays.country_holidays("DK", years=year, categories=("optional",))
    closed = set(public) | {d for d in optional if (d.month, d.day) != _MAY_DAY}
    ascension = easter(year) + _ASCENSION_AFTER_EASTER
    if ascension not in public:
        # The two sources disagree about Easter; better to stop than to pay on
        # a closed day.
        raise RuntimeError(
            f"Ascension Day {ascension} is not a public holiday in the 'holidays' "
            f"package for {year}; check the installed holidays version"
        )
    closed.add(ascension + _ONE_DAY)
    logger.debug("Bank closing days for %d: %s", year, sorted(closed))
    return frozenset(closed)


def _require_date(d: date) -> None:
    """Reject datetimes where a calendar date is expected.

    Why: `datetime` is a subclass of `date`, but a datetime never equals a
    date, so it would never match a closing day and every holiday would look
    like a banking day. Which calendar day an aware datetime means also depends
    on its time zone, so the caller must decide (e.g. `dt.astimezone(COPENHAGEN).date()`).

    Args:
        d: The value to check.

    Raises:
        TypeError: If `d` is a datetime or not a date at all.
    """
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(
            f"expected a datetime.date, got {type(d).__name__}; convert a datetime "
            "with .astimezone(COPENHAGEN).date() first"
        )


def is_banking_day(d: date) -> bool:
    """Tell whether Danish banks execute payments on `d`.

    Why: the requested execution date of a payment file must be a banking day,
    otherwise the payment is late or rejected.

    Args:
        d: A calendar date (not a datetime).

    Returns:
        False on Saturdays, Sundays and Nationalbanken's bank closing days,
        True otherwise.
    """
    _require_date(d)
    if d.weekday() >= 5:
        return False
    return d not in _bank_closing_days(d.year)


def next_banking_day(d: date) -> date:
    """Return the first banking day strictly after `d`.

    Why: "the next time the banks are open" is how a payment that cannot go
    today is rescheduled; `d` itself never counts, even if it is a banking day.

    Args:
        d: A calendar date.

    Returns:
        The earliest banking day later than `d`.
    """
    _require_date(d)
    candidate = d + _ONE_DAY
    while not is_banking_day(candidate):
        candidate += _ONE_DAY
    return candidate


def previous_banking_day(d: date) -> date:
    """Return the last banking day strictly before `d`.

    Why: deadlines such as "the file must reach the bank N banking days before
    the pay date" are counted backwards.

    Args:
        d: A calendar date.

    Returns:
        The latest banking day earlier than `d`.
    """
    _require_date(d)
    candidate = d - _ONE_DAY
    while not is_banking_day(candidate):
        candidate -= _ONE_DAY
    return candidate


def banking_day_on_or_after(d: date) -> date:
    """Return `d` if it is a banking day, else the next banking day.

    Why: a benefit due on a closed day is paid on the following banking day;
    a due date that is already a banking day must stay where it is.

    Args:
        d: A calendar date.

    Returns:
        `d` or the first banking day after it.
    """
    _require_date(d)
    return d if is_banking_day(d) else next_banking_day(d)


def add_banking_days(d: date, n: int) -> date:
    """Move `n` banking days from `d` (backwards if `n` is negative).

    Why: bank cut-offs and value dates are stated in banking days, not calendar
    days. `n == 0` returns `d` unchanged, even on a closed day, because adding
    nothing should not move a date; use `banking_day_on_or_after` to roll.

    Args:
        d: The start date; it need not be a banking day.
        n: Number of banking days to move; negative counts backwards.

    Returns:
        The date reached after stepping over `abs(n)` banking days.
    """
    _require_date(d)
    step = next_banking_day if n > 0 else previous_banking_day
    result = d
    for _ in range(abs(n)):
        result = step(result)
    return result


class NightError(ValueError):
    """A night given by a person or a scheduler that cannot be run; says why in one line."""


_NIGHT_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_night(text: str) -> date:
    """The night a run is for, from `YYYY-MM-DD`, refusing what cannot be meant.

    Why: a night decides which rates apply and which bank day pays, so a typo must stop
    the run before anything is created. `06-12-2026` is refused rather than guessed (files
    may use that form, a command line gets one form), and a night that has not come yet
    is refused: its claims cannot have arrived.
    """
    value = text.strip()
    if not _NIGHT_FORMAT.fullmatch(value):
        raise NightError(f"'{text}' is not a night: write it as YYYY-MM-DD, e.g. {today()}")
    try:
        night = date.fromisoformat(value)
    except ValueError:
        raise NightError(f"'{text}' is not a day of the calendar") from None
    if night > today():
        raise NightError(
            f"{night} has not come yet (today is {today()} in Copenhagen): a night is run "
            "on or after its date"
        )
    return night
