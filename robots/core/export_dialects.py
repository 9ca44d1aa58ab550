"""How a Danish source system writes its exports, for the robots' demo files: the CSV
dialects (`;` in Windows-1252 with Danish numbers and dates, `,` in UTF-8 with or without a
BOM) and the XLSX writer a robot's demo is handed by the demo generator.

Here, below the robots, so each robot's demo package writes the dialects the same way
without importing another robot or the demo generator above them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


class SheetWriter(Protocol):
    """Writes one XLSX sheet with deterministic bytes (robots/demo/xlsx.py, stamp bound)."""

    def __call__(
        self,
        sheet_title: str,
        header: Sequence[str],
        rows: Iterable[Sequence[object]],
        *,
        amount_columns: Sequence[int] = (),
        date_columns: Sequence[int] = (),
    ) -> bytes: ...


@dataclass(frozen=True)
class Flavour:
    """One CSV dialect."""

    delimiter: str
    encoding: str
    bom: bool
    newline: str
    danish: bool
    """Danish numbers (1.234,50), dates (31-12-2026) and months (12-2026)."""


SEMICOLON = Flavour(";", "cp1252", False, "\r\n", True)
COMMA = Flavour(",", "utf-8", False, "\n", False)
COMMA_BOM = Flavour(",", "utf-8", True, "\n", False)
