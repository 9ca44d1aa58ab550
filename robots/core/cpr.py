"""CPR numbers: normalising, validating (python-stdnum) and masking for output.

A CPR number never leaves the ledger or the control group's screens in clear: logs,
terminal output and reports show `ddmmyy-****`. Modulus 11 is not a validity rule
(CPR has issued numbers without it since 2007, domain.md 7.1), so it is never checked.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError

from robots.core import digits

CPR_PATTERN = re.compile(r"\b(\d{6})-?(\d{4})\b")
"""Ten digits with an optional hyphen after the sixth, on word boundaries."""


@lru_cache(maxsize=1_000_000)
def is_valid(cpr: str) -> bool:
    """Valid per stdnum: ten digits, a real birth date, not born in the future."""
    try:
        stdnum_cpr.validate(cpr)
    except (ValidationError, ValueError):
        return False
    return True


def valid_mask(values: pd.Series, today: date) -> np.ndarray:
    """`is_valid` for a whole column at once: the same rules as python-stdnum's validate.

    Ten digits after removing spaces and hyphens; a real birth date with the century from
    digit 7 (CPR-kontoret's table, domain.md 7.1); not born after `today`. stdnum costs
    ~30 µs a number, which is seconds per night for a municipality's register; this is
    the same decision in numpy, reading the digits by position (`robots.core.digits`).
    tests/robots/core/test_cpr_vectorised.py holds it equal to stdnum on random and
    edge-case input, so stdnum stays the authority.
    """
    text = pa.array(values.astype("string"), from_pandas=True)
    for separator in (" ", "-"):
        text = pc.replace_substring(text, separator, "")
    cells = digits.fixed_width(text, 10)
    shaped = digits.ascii_digits(cells, range(10))
    yy, seventh = digits.number(cells, 4, 6), digits.number(cells, 6, 7)
    century = np.where(
        seventh <= 3,
        1900,
        np.where(
            (seventh == 4) | (seventh == 9),
            np.where(yy <= 36, 2000, 1900),
            np.where(yy >= 58, 1800, 2000),
        ),
    )
    real, born = digits.calendar_days(
        century + yy, digits.number(cells, 2, 4), digits.number(cells, 0, 2), shaped
    )
    return real & (born <= np.datetime64(today, "D"))


def mask(cpr: str) -> str:
    """`0101501234` -> `010150-****`: the date part identifies no one on its own."""
    digits = cpr.replace("-", "").strip()
    return f"{digits[:6]}-****" if len(digits) >= 6 else "******-****"


def mask_text(text: str) -> str:
    """Mask every CPR-looking number in free text (messages, evidence, log lines)."""
    return CPR_PATTERN.sub(lambda m: f"{m.group(1)}-****", text)


def mask_series(values: pd.Series) -> pd.Series:
    """Vectorised `mask` for report and outcome columns."""
    digits = values.astype("string").str.replace("-", "", regex=False)
    return digits.str.slice(0, 6) + "-****"
