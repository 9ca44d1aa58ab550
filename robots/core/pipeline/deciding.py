"""Each claim's decision from its findings: the worst severity wins.

Pure and in arrays: a night has a million claims and a finding on one in six.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from checks import rules as catalogue


def decide(findings: pd.DataFrame, rows: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Each row's decision (worst severity wins) and the ids of the rules that fired.

    In arrays, not per group: a night has a million rows and a finding on one in six.
    """
    severity = {r.id: r.severity.rank for r in catalogue.catalogue()}
    at = rows.get_indexer(findings["row"])
    known = at >= 0
    at = at[known]
    codes, names = pd.factorize(findings["rule_id"].to_numpy()[known], sort=True)
    rank = np.array([severity.get(n, 0) for n in names], dtype=np.int8)[codes]
    worst = np.zeros(len(rows), dtype=np.int8)
    np.maximum.at(worst, at, rank)
    decision = pd.Series(np.select([worst >= 2, worst == 1], ["reject", "hold"], "pay"), index=rows)
    return decision, rule_ids_per_row(rows, at, codes, names)


def rule_ids_per_row(
    rows: pd.Index, at: np.ndarray, codes: np.ndarray, names: np.ndarray
) -> pd.Series:
    """The ids of the rules fired on each row (at: row position, codes: into sorted names),
    sorted and comma-joined; '' where none fired."""
    order = np.lexsort((codes, at))
    at = at[order]
    starts = np.flatnonzero(np.diff(at, prepend=-1))
    per_row = pa.ListArray.from_arrays(
        pa.array(np.append(starts, len(at)), type=pa.int32()),
        pa.array(names, type=pa.string()).take(pa.array(codes[order])),
    )
    slot = np.full(len(rows), -1, dtype=np.int64)
    slot[at[starts]] = np.arange(len(starts))
    joined = pc.binary_join(per_row, ",").take(pa.array(slot, mask=slot < 0))
    return pd.Series(pd.array(pc.fill_null(joined, ""), dtype="str"), index=rows)
