"""Claims that wait for a register in doubt, instead of being decided on a bad picture.

A register is in doubt while its last extract was refused (it shrank, could not be read)
or none has ever come (robots.core.pipeline.references.RegisterState). A claim row whose
only faults are rows missing from such a register (its citizen not in the CPR register,
its request not among the requests) may be fine once the register comes: it is not made a
data error, not rejected, not held; it waits. It is kept in the ledger as it was read and
read again every night with tonight's rows, until the register is trusted again (then it
is decided like any row) or it has waited `max_days` (then it is decided on what there is).

What is pure here: which rows wait, and a row to and from the text it is kept as.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from checks import rules as catalogue
from checks.rules import Severity
from robots.core.pipeline import references as snapshots
from robots.core.pipeline.datasets import ColumnType, Dataset
from robots.core.pipeline.ingest import FILE
from robots.core.pipeline.reading import LINE
from robots.core.pipeline.registers import max_wait_days
from robots.core.robot import Robot

WAITING_ID = "_waiting_id"
"""Column of a row read again from the ledger: its waiting_claims id (missing: tonight's)."""
WAITING_SINCE = "_waiting_since"
"""Column of a row read again: the night it first waited."""


def _stopping_rules() -> tuple[set[str], dict[str, str]]:
    """Rules that stop a claim (hold or worse), and of those, the ones a missing register
    row fires, with the register."""
    rules = catalogue.catalogue()
    stopping = {r.id for r in rules if r.severity.rank >= Severity.HOLD.rank}
    misses = {r.id: r.missing_from for r in rules if r.missing_from and r.id in stopping}
    return stopping, misses


def waits(fired: pd.DataFrame, by: list[str], in_doubt: Iterable[str]) -> pd.DataFrame:
    """The places (`by` columns of `fired`, e.g. row, or file and line) stopped only by
    rules a row missing from a register in doubt fires, with those registers joined.

    `fired` has a `rule_id` per finding; nothing waits when no register is in doubt.
    """
    doubtful = set(in_doubt)
    if not doubtful or not len(fired):
        return pd.DataFrame(columns=[*by, "registers"])
    stopping, misses = _stopping_rules()
    rule = fired["rule_id"].astype(str)
    stops = rule.isin(stopping)
    register = rule.map(misses)
    excused = stops & register.isin(doubtful)
    per_place = (
        fired.loc[stops, by]
        .assign(excused=excused[stops].to_numpy(), register=register[stops].to_numpy())
        .groupby(by, sort=False)
    )
    summary = per_place.agg(
        all_excused=("excused", "all"),
        registers=("register", lambda r: ",".join(sorted({x for x in r if isinstance(x, str)}))),
    ).reset_index()
    return summary.loc[summary["all_excused"], [*by, "registers"]].reset_index(drop=True)


def as_json_lines(rows: pd.DataFrame, dataset: Dataset) -> list[str]:
    """Each row's contract columns as one JSON text, as it is kept while it waits (dates as
    days, amounts in øre, missing values null)."""
    columns = [c.name for c in dataset.columns if c.name in rows]
    out = {}
    for name in columns:
        values = rows[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            days = np.datetime_as_string(values.to_numpy().astype("datetime64[D]"))
            out[name] = [
                None if missing else d for d, missing in zip(days, values.isna(), strict=True)
            ]
        else:
            out[name] = [
                None if pd.isna(v) else (int(v) if isinstance(v, np.integer) else v) for v in values
            ]
    return [
        json.dumps(dict(zip(columns, values, strict=True)), ensure_ascii=False)
        for values in zip(*(out[c] for c in columns), strict=True)
    ]


def _plain(values: pd.Series) -> list[object]:
    """A column as plain JSON values: days as YYYY-MM-DD, numbers as int, text as str."""
    missing = values.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(values):
        shown = np.datetime_as_string(values.to_numpy().astype("datetime64[D]")).tolist()
    elif pd.api.types.is_integer_dtype(values):
        shown = values.fillna(0).astype("int64").tolist()
    else:
        shown = values.astype(object).tolist()
    return [None if gone else value for value, gone in zip(shown, missing, strict=True)]


def from_json_lines(texts: Sequence[str], dataset: Dataset) -> pd.DataFrame:
    """Kept rows back as parsed rows, typed as parsing types tonight's."""
    records = [json.loads(t) for t in texts]
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in dataset.columns])
    for column in dataset.columns:
        values = frame[column.name]
        if column.type is ColumnType.DATE:
            frame[column.name] = pd.to_datetime(values).astype("datetime64[s]")
        elif column.type in (ColumnType.MONEY, ColumnType.INT, ColumnType.QUANTITY):
            frame[column.name] = pd.array(values, dtype="Int64")
        else:
            frame[column.name] = values.astype("string")
    return frame


def too_old(since: pd.Series, night: date) -> pd.Series:
    """Rows that have waited `max_days`: decided on what there is."""
    limit = pd.Timestamp(night) - pd.Timedelta(days=max_wait_days())
    return since.notna() & (since <= limit)


def errors_waiting(
    frame: pd.DataFrame,
    errors: pd.DataFrame,
    in_doubt: dict[str, snapshots.RegisterState],
    night: date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows that failed data quality only for a row missing from a register in doubt: their
    errors set aside, the rows kept to wait."""
    places = waits(errors, ["file", "line"], in_doubt)
    if not len(places) or not len(frame):
        return errors, pd.DataFrame()
    places = places.astype({"file": "int64", "line": "int64"})
    rows = frame.merge(places, left_on=[FILE, LINE], right_on=["file", "line"], how="inner").drop(
        columns=["file", "line"]
    )
    if WAITING_SINCE in rows:
        rows = rows[~too_old(rows[WAITING_SINCE], night)]
    if not len(rows):
        return errors, pd.DataFrame()
    at = pd.MultiIndex.from_arrays([errors["file"].astype("int64"), errors["line"].astype("int64")])
    held = pd.MultiIndex.from_arrays([rows[FILE], rows[LINE]])
    stopped = errors[at.isin(held)]
    rule_ids = stopped.groupby(["file", "line"])["rule_id"].agg(lambda r: ",".join(sorted(set(r))))
    rows["rule_ids"] = [
        rule_ids.get((f, ln), "") for f, ln in zip(rows[FILE], rows[LINE], strict=True)
    ]
    return errors[~at.isin(held)].reset_index(drop=True), rows


def claims_waiting(
    computed: pd.DataFrame | None,
    findings: pd.DataFrame,
    in_doubt: dict[str, snapshots.RegisterState],
    night: date,
) -> tuple[pd.DataFrame | None, pd.DataFrame, pd.DataFrame]:
    """Claims stopped only by rows missing from registers in doubt: taken out of the
    night's decisions to wait, with their findings."""
    if computed is None or not in_doubt:
        return computed, findings, pd.DataFrame()
    rows = waits(findings, ["row"], in_doubt)
    if not len(rows):
        return computed, findings, pd.DataFrame()
    held = computed.loc[rows["row"].to_numpy()].assign(registers=rows["registers"].to_numpy())
    if WAITING_SINCE in held:
        held = held[~too_old(held[WAITING_SINCE], night)]
    if not len(held):
        return computed, findings, pd.DataFrame()
    kept = computed.drop(index=held.index)
    findings = findings[~findings["row"].isin(held.index)].reset_index(drop=True)
    return (kept if len(kept) else None), findings, held


def waiting_rows(robot: Robot, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The night's waiting rows from data quality and from the checks, in one shape."""
    columns = list(
        dict.fromkeys(
            [
                *robot.claims.column_names,
                robot.claim_id_column,
                FILE,
                LINE,
                WAITING_ID,
                WAITING_SINCE,
                "registers",
                "rule_ids",
            ]
        )
    )
    found = [p.reindex(columns=columns) for p in parts if len(p)]
    if not found:
        return pd.DataFrame(columns=columns)
    return pd.concat(found, ignore_index=True)
