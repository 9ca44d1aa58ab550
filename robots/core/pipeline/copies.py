"""The same claim twice in one night: read once, and the copy said to be one.

Source systems re-send: a claim file and its re-export under another name, an e-invoice
and the same invoice in a CSV. Rows with the same claim id and the same content are one
claim; the first (in file and line order) is decided and the others are noted as copies
of it. Rows that share an id but differ are left in place: the data-quality suite's
uniqueness rule makes each a data error, since nobody can tell which one the id means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from robots.core.pipeline.ingest import FILE
from robots.core.pipeline.reading import LINE
from robots.core.robot import arrow_column, joined_text

COPY_COLUMNS = ["claim_ref", "source_ref", "file", "line", "original_file", "original_line"]
"""A copy: its claim id, where it was, and where the row that was kept is."""

_MISSING = "\x00"
"""How a missing value is written when contents are compared (no text holds it)."""


@dataclass(frozen=True)
class Copies:
    """What split_copies found: the copies set aside, and whether every id left is one."""

    rows: pd.DataFrame
    """COPY_COLUMNS: each copy, and where the row that was kept is."""
    repeated_ids: pd.Index
    """Ids left on more than one row, with different content: the rows the uniqueness rule
    of the claims' suite fails (found here, in the one pass over the ids the night needs)."""


def split_copies(
    frame: pd.DataFrame, id_column: str, content_columns: list[str], source_id: str | None = None
) -> tuple[pd.DataFrame, Copies]:
    """Tonight's rows with each identical claim once, and the copies that were set aside.

    Only rows whose id occurs more than once are compared, so a night without copies
    costs one hash of the id column.
    """
    if not len(frame) or id_column not in frame:
        return frame, Copies(_no_copies(), pd.Index([]))
    ids = frame[id_column]
    repeated = _repeated(ids)
    if not repeated.any():
        return frame, Copies(_no_copies(), pd.Index([]))
    twins = frame.loc[repeated]
    content = _content_text(twins, [c for c in content_columns if c in twins])
    same_everywhere = content.groupby(twins[id_column]).transform("nunique") == 1
    differing = pd.Index(twins.loc[~same_everywhere.to_numpy(), id_column].unique())
    candidates = twins.loc[same_everywhere.to_numpy()]
    later = candidates[id_column].duplicated(keep="first")
    if not later.any():
        return frame, Copies(_no_copies(), differing)
    first_at = candidates.groupby(id_column, sort=False).head(1).set_index(id_column)
    copies = candidates.loc[later.to_numpy()]
    originals = first_at.loc[copies[id_column]]
    found = pd.DataFrame(
        {
            "claim_ref": copies[id_column].to_numpy(),
            "source_ref": copies[source_id].to_numpy() if source_id in copies else None,
            "file": copies[FILE].to_numpy(),
            "line": copies[LINE].to_numpy(),
            "original_file": originals[FILE].to_numpy(),
            "original_line": originals[LINE].to_numpy(),
        }
    )
    return frame.drop(index=copies.index).reset_index(drop=True), Copies(found, differing)


def _repeated(ids: pd.Series) -> pd.Series:
    """Which rows' id occurs on another row too (missing ids never): one hash pass in
    Arrow, where pandas' `duplicated(keep=False)` hashed the million ids twice."""
    encoded = arrow_column(ids, pa.string()).dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy()
    known = codes >= 0
    seen = np.bincount(codes[known], minlength=len(encoded.dictionary))
    return pd.Series(known & (seen[np.where(known, codes, 0)] > 1), index=ids.index)


def _content_text(rows: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Each row's values as one text (dates as days, numbers in decimal, missing marked)."""
    parts = []
    for name in columns:
        values = rows[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = pd.Series(
                np.datetime_as_string(values.to_numpy().astype("datetime64[D]")),
                index=rows.index,
            ).where(values.notna(), _MISSING)
        else:
            text = values.astype("string").fillna(_MISSING)
        parts.append(text.astype("string"))
    return joined_text(parts, separator="\x1f")


def _no_copies() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COPY_COLUMNS})
