"""Register extracts (CPR, pensions, CVR) kept as the latest validated snapshot.

A register extract is a full picture, needed by every robot every night, but read from
the inbox only once: after validation its good rows are saved as Parquet in
reference/<dataset>.parquet, and later runs (and other robots) read that snapshot.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from robots.core.pipeline.inbox import DataFolders
from robots.core.pipeline.reading import LINE


class MissingReferenceError(RuntimeError):
    """A robot needs a register that has never been received."""

    def __init__(self, dataset: str, folders: DataFolders) -> None:
        super().__init__(
            f"no {dataset} extract has been received yet: put one in "
            f"{folders.inbox / dataset} and run again; the claims wait in the inbox"
        )


def snapshot_path(folders: DataFolders, dataset: str) -> Path:
    return folders.reference / f"{dataset}.parquet"


def save_snapshot(folders: DataFolders, dataset: str, frame: pd.DataFrame) -> None:
    """Replace the snapshot atomically (a killed run leaves the old one whole)."""
    path = snapshot_path(folders, dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".parquet.tmp")
    frame.drop(columns=[LINE], errors="ignore").to_parquet(partial, index=False)
    os.replace(partial, path)


def load_snapshot(
    folders: DataFolders, dataset: str, columns: list[str] | None = None
) -> pd.DataFrame:
    """The latest snapshot of a register (only `columns`, if named); raises
    MissingReferenceError if there is none."""
    path = snapshot_path(folders, dataset)
    if not path.exists():
        raise MissingReferenceError(dataset, folders)
    frame = pd.read_parquet(path, columns=columns)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[s]")
    return frame
