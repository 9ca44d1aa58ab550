"""Register extracts (CPR, pensions, CVR) kept as the latest validated snapshot.

A register extract is a full picture, needed by every robot every night, but read from
the inbox only once: after validation its good rows are saved as Parquet in
reference/<dataset>.parquet, and later runs (and other robots) read that snapshot.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class RegisterState:
    """What a register's snapshot rests on, and whether it can be trusted tonight.

    A register is *in doubt* from the night an extract of it is refused (shrank, could not
    be read, was a link) until an extract of it is accepted again, and while none has ever
    come: a claim that misses a row in it may miss it only because of that, and waits.
    """

    dataset: str
    night: str | None = None
    """The night of the last extract accepted into the snapshot (None: none ever)."""
    rows: int = 0
    doubt: str | None = None
    """Why the register is in doubt (None: it is not)."""
    in_doubt_since: str | None = None

    @property
    def in_doubt(self) -> bool:
        return self.doubt is not None or self.night is None


def _state_path(folders: DataFolders, dataset: str) -> Path:
    return folders.reference / f"{dataset}.state.json"


def load_state(folders: DataFolders, dataset: str) -> RegisterState:
    """The register's state (a register never received has one too: in doubt)."""
    path = _state_path(folders, dataset)
    if path.exists():
        return RegisterState(**json.loads(path.read_text(encoding="utf-8")))
    if snapshot_path(folders, dataset).exists():  # a snapshot from before states were kept
        return RegisterState(dataset, night="(earlier)", rows=-1)
    return RegisterState(dataset, doubt=f"no {dataset} extract has been received yet")


def save_state(folders: DataFolders, state: RegisterState) -> None:
    """Replace the state atomically."""
    path = _state_path(folders, state.dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(asdict(state), ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def empty_register(columns: dict[str, str]) -> pd.DataFrame:
    """A register with no rows, typed as a snapshot is (for a register never received)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
