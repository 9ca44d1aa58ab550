"""A night's register extracts made into one picture of each register, never a smaller one
by accident.

A register arrives as a **full** extract (the whole register as the source holds it
tonight) or a **delta** (only the rows that changed). Which one a file is, is said by its
name (config/registers.toml: a name containing `delta`, `aendring`, `ændring` or
`changes` is a delta; `full`, `fuld`, `komplet` a full extract) or, where the name says
neither, by the register's configured kind (full unless set otherwise).

Several files of one register in a night are combined by the register's key, in name
order, the later file's rows replacing the earlier file's for the same key (pensioners
are keyed by CPR, so a citizen's pension history is replaced as a whole); keys that two
files give differently are counted and reported. The full extracts of the night together
replace the register; deltas are then laid over it. A full picture that lacks more than
`max_loss_share` of the previous snapshot's keys is refused whole: a half extract, or a
delta sent without `delta` in its name, must not shrink the world the checks look in.

Pure: frames in, frames out. robots.core.pipeline.ingest does the reading and moving.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from robots.core.errors import ConfigError
from robots.core.pipeline.reading import LINE
from robots.core.settings import config_dir

Kind = Literal["full", "delta"]
ORDER = "_order"
"""Column numbering the frames of a combination, later files higher."""


@dataclass(frozen=True)
class RegisterPolicy:
    """How one register's extracts are read (config/registers.toml)."""

    key: tuple[str, ...]
    kind: Kind
    delta_names: tuple[str, ...]
    full_names: tuple[str, ...]
    max_loss_share: float

    def kind_of(self, file_name: str) -> Kind:
        """A file is a delta or a full extract by its name, else by the register's kind."""
        name = file_name.lower()
        if any(word in name for word in self.full_names):
            return "full"
        if any(word in name for word in self.delta_names):
            return "delta"
        return self.kind


@lru_cache(maxsize=4)
def load_policies(folder: str | None = None) -> dict[str, RegisterPolicy]:
    """Every register's policy, the [defaults] filled in where a register says nothing."""
    path = (config_dir() if folder is None else Path(folder)) / "registers.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from exc
    defaults = data.get("defaults", {})
    policies = {}
    for name, section in data.items():
        if name in ("defaults", "waiting"):
            continue
        merged = {**defaults, **section}
        try:
            kind = str(merged["kind"])
            share = float(merged["max_loss_share"])
            policies[name] = RegisterPolicy(
                key=tuple(merged["key"]),
                kind="delta" if kind == "delta" else "full",
                delta_names=tuple(str(w).lower() for w in merged["delta_names"]),
                full_names=tuple(str(w).lower() for w in merged["full_names"]),
                max_loss_share=share,
            )
        except KeyError as exc:
            raise ConfigError(f"{path} [{name}] lacks {exc.args[0]!r}") from exc
        if kind not in ("full", "delta") or not 0 <= share <= 1:
            raise ConfigError(
                f"{path} [{name}]: kind must be full or delta, max_loss_share between 0 and 1"
            )
    return policies


@lru_cache(maxsize=4)
def max_wait_days(folder: str | None = None) -> int:
    """How long a claim waits for a register in doubt (config/registers.toml [waiting])."""
    path = (config_dir() if folder is None else Path(folder)) / "registers.toml"
    try:
        return int(tomllib.loads(path.read_text(encoding="utf-8"))["waiting"]["max_days"])
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise ConfigError(f"{path} [waiting] max_days cannot be read: {exc}") from exc


@dataclass(frozen=True)
class Layered:
    """Frames laid over each other by key: the result and the keys they disagreed on."""

    frame: pd.DataFrame
    conflicting_keys: int


def lay_over(frames: list[pd.DataFrame], key: tuple[str, ...]) -> Layered:
    """Each key's rows from the last frame that has the key (frames in order, earliest
    first); how many keys two frames gave different rows for."""
    frames = [f for f in frames if f is not None]
    if not frames:
        return Layered(pd.DataFrame(), 0)
    if len(frames) == 1:
        return Layered(frames[0].reset_index(drop=True), 0)
    # A row's line in its file is no part of what the register says.
    stacked = pd.concat(
        [
            f.drop(columns=[LINE], errors="ignore").assign(**{ORDER: n})
            for n, f in enumerate(frames)
        ],
        ignore_index=True,
    )
    keys = stacked.groupby(list(key), sort=False, dropna=False)
    latest = keys[ORDER].transform("max")
    kept = stacked[stacked[ORDER] == latest].drop(columns=ORDER).reset_index(drop=True)
    return Layered(kept, _conflicts(stacked, key))


def _conflicts(stacked: pd.DataFrame, key: tuple[str, ...]) -> int:
    """Keys that more than one frame gives, with different rows."""
    content = [c for c in stacked.columns if c != ORDER]
    rows = pd.util.hash_pandas_object(stacked[content], index=False).to_numpy(np.uint64)
    # One figure per key and frame: the sum of its rows' hashes (order of rows ignored).
    per_frame = (
        stacked[list(key)]
        .assign(_hash=rows, **{ORDER: stacked[ORDER]})
        .groupby([*key, ORDER], sort=False, dropna=False)["_hash"]
        .sum()
        .reset_index()
    )
    differing = per_frame.groupby(list(key), sort=False, dropna=False)["_hash"].nunique()
    return int((differing > 1).sum())


@dataclass(frozen=True)
class Combination:
    """What tonight's extracts make of a register, and whether its full extracts stand."""

    frame: pd.DataFrame | None
    """The register as it stands after tonight (None: nothing to take, keep the snapshot)."""
    full_refused: bool
    previous_keys: int
    lost_keys: int
    conflicting_keys: int


def combine(
    previous: pd.DataFrame | None,
    fulls: list[pd.DataFrame],
    deltas: list[pd.DataFrame],
    policy: RegisterPolicy,
) -> Combination:
    """Tonight's full extracts (keyed union) replace the register, unless together they
    lack more than the allowed share of the previous snapshot's keys; the deltas are laid
    over what stands."""
    key = policy.key
    base = previous
    refused = False
    lost = previous_count = conflicts = 0
    if fulls:
        full = lay_over(fulls, key)
        conflicts += full.conflicting_keys
        if previous is not None and len(previous):
            before = _key_set(previous, key)
            previous_count = len(before)
            lost = len(before.difference(_key_set(full.frame, key)))
            refused = lost > policy.max_loss_share * previous_count
        if not refused:
            base = full.frame
    if not deltas:
        return Combination(
            None if base is previous else base, refused, previous_count, lost, conflicts
        )
    layered = lay_over([base, *deltas] if base is not None else deltas, key)
    conflicts += layered.conflicting_keys if base is None else _delta_conflicts(deltas, key)
    return Combination(layered.frame, refused, previous_count, lost, conflicts)


def _delta_conflicts(deltas: list[pd.DataFrame], key: tuple[str, ...]) -> int:
    """Keys two of tonight's deltas give differently (a delta changing the snapshot's row
    is what a delta is for, not a conflict)."""
    return lay_over(deltas, key).conflicting_keys if len(deltas) > 1 else 0


def _key_set(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Index:
    if len(key) == 1:
        return pd.Index(frame[key[0]].dropna().unique())
    return pd.MultiIndex.from_frame(frame[list(key)].drop_duplicates())
