"""Text that a spreadsheet would run as a formula, made inert before the suite writes it.

Finance opens every CSV the robots write in Excel, and a claim id, a file name or an
invoice number comes from outside: one that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return is read by Excel as a formula (CSV injection, OWASP). Such a value is
written with a leading apostrophe, which spreadsheets show as text and never evaluate.
Amounts the suite formats itself (`-12.50` for a credit) are numbers, not text, and are
written as they are.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START = r"^[=+\-@\t\r]"
"""What a spreadsheet takes as the start of a formula (OWASP's list)."""


def inert(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The text column with every value a spreadsheet would evaluate prefixed by `'`."""
    text = pc.cast(values, pa.string())
    risky = pc.fill_null(pc.match_substring_regex(text, FORMULA_START), False)
    if not pc.any(risky).as_py():
        return text
    return pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)
