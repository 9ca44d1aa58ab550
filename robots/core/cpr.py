"""CPR numbers: normalising, validating (python-stdnum) and masking for output.

A CPR number never leaves the ledger or the control group's screens in clear: logs,
terminal output and reports show `ddmmyy-****`. Modulus 11 is not a validity rule
(CPR has issued numbers without it since 2007, domain.md 7.1), so it is never checked.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import pandas as pd
from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError

CPR_PATTERN = re.compile(r"\b(\d{6})-?(\d{4})\b")
"""Ten digits with an optional hyphen after the sixth, on word boundaries."""


def normalise(values: pd.Series) -> pd.Series:
    """Strip spaces and the optional hyphen, so `010150-1234` and `0101501234` match."""
    return values.str.strip().str.replace("-", "", regex=False)


@lru_cache(maxsize=1_000_000)
def is_valid(cpr: str) -> bool:
    """Valid per stdnum: ten digits, a real birth date, not born in the future."""
    try:
        stdnum_cpr.validate(cpr)
    except (ValidationError, ValueError):
        return False
    return True


def birth_date(cpr: str) -> date:
    """The birth date with the century from digit 7, as CPR-kontoret defines it."""
    return stdnum_cpr.get_birth_date(stdnum_cpr.compact(cpr))


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
