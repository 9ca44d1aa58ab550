"""Claims a robot lists itself, put in its inbox as a file like any sender's.

A month of subsidy is sent by nobody: the robot works out from its registers which months
are due. Written as a CSV file into inbox/<claims dataset>/ and then read by the same
path as every claim file, each listed claim has a file and a line in the archive, goes
through the same data quality, and a list identical to one read before is a file seen
before (nothing decided twice).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from robots.core.money import format_oere_arrow
from robots.core.pipeline.datasets import ColumnType, Dataset
from robots.core.pipeline.inbox import DataFolders


def write_listed_claims(
    folders: DataFolders, dataset: Dataset, listed: pd.DataFrame, *, name: str
) -> Path:
    """`listed` (the dataset's columns, typed as parsing types them) as
    inbox/<dataset>/<name>.csv, comma-separated with decimal points, written whole
    before its name appears (a half-written list is never read)."""
    folder = folders.inbox / dataset.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    partial = folder / f".{name}.csv.tmp"
    columns = {
        c.name: _as_text(listed[c.name], c.type) for c in dataset.columns if c.name in listed
    }
    pacsv.write_csv(
        pa.table(columns),
        partial,
        write_options=pacsv.WriteOptions(delimiter=",", quoting_style="needed"),
    )
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    os.replace(partial, path)
    return path


def _as_text(values: pd.Series, kind: ColumnType) -> pa.Array:
    if kind is ColumnType.DATE:
        return pa.array(values.dt.strftime("%Y-%m-%d"), pa.string(), from_pandas=True)
    if kind in (ColumnType.MONEY, ColumnType.QUANTITY):
        return format_oere_arrow(pa.array(values.astype("Int64"), pa.int64(), from_pandas=True))
    return pa.array(values.astype("string"), pa.string(), from_pandas=True)
