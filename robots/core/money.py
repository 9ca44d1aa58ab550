"""Money: integer øre in tables and SQL, `Decimal` kroner at the edges, never float.

Every amount is built here so the rounding rule lives in one place: ROUND_HALF_UP to
the øre (domain.md HT-1: 28,6875 -> 28,69). Vectorised helpers work on int64 arrays so
a million claims are computed without a Python loop and without binary floats.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

ZERO = Decimal("0.00")
OERE = Decimal("0.01")
OERE_PER_KRONE = 100


def kroner(value: str | int | Decimal) -> Decimal:
    """Build a kroner amount from text or an integer, exactly, rounded to the øre.

    Floats are refused: a float has already lost the exact value.
    """
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str, int or Decimal")
    return Decimal(value).quantize(OERE, rounding=ROUND_HALF_UP)


def to_oere(amount: Decimal) -> int:
    """Kroner -> whole øre, rounding half up at the øre."""
    return int((amount * OERE_PER_KRONE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_oere(oere: int) -> Decimal:
    """Whole øre -> kroner with exactly two decimals."""
    return (Decimal(int(oere)) / OERE_PER_KRONE).quantize(OERE)


def divide_round_half_up(
    numerator: npt.NDArray[np.int64], denominator: int
) -> npt.NDArray[np.int64]:
    """Integer division rounding half away from zero, element-wise and exact.

    Used wherever a rate multiplies an øre amount: the product is kept as an exact
    integer fraction and rounded once, at the end.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    num = np.asarray(numerator, dtype=np.int64)
    magnitude = (2 * np.abs(num) + denominator) // (2 * denominator)
    return np.where(num < 0, -magnitude, magnitude).astype(np.int64)


def format_kroner(oere: int) -> str:
    """Danish notation for reports: 123456 -> '1.234,56'."""
    sign = "-" if oere < 0 else ""
    whole, frac = divmod(abs(int(oere)), OERE_PER_KRONE)
    return f"{sign}{whole:,}".replace(",", ".") + f",{frac:02d}"


def format_oere_plain(oere: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """Vectorised øre -> '1234.56' strings for machine-readable files."""
    arr = np.asarray(oere, dtype=np.int64)
    sign = np.where(arr < 0, "-", "")
    whole = (np.abs(arr) // OERE_PER_KRONE).astype(str)
    frac = np.char.zfill((np.abs(arr) % OERE_PER_KRONE).astype(str), 2)
    return np.char.add(np.char.add(np.char.add(sign, whole), "."), frac)


def format_oere_arrow(oere: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Øre as '1234.56' (and '-0.05') in Arrow, integer arithmetic only (as format_oere_plain).

    Null stays null. Why Arrow: a million amounts in C, not numpy's per-value strings.
    """
    negative = pc.less(oere, 0)
    magnitude = pc.abs_checked(oere)
    whole = pc.cast(pc.divide(magnitude, OERE_PER_KRONE), pa.string())
    cents = pc.utf8_lpad(pc.cast(pc.remainder(magnitude, OERE_PER_KRONE), pa.string()), 2, "0")
    sign = pc.if_else(negative, "-", "")
    return pc.binary_join_element_wise(sign, whole, ".", cents, "")
