"""The data folder: inbox/<dataset>/ in, archive/ and quarantine/ out.

A file is known by the SHA-256 of its content, so a re-sent file under another name is
still recognised. Moves are renames within one folder tree, so a killed run leaves each
file either in the inbox or in its destination, never half-way.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class DataFolders:
    """Where a run reads from and writes to, all under one data folder."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    def create(self) -> None:
        """Make every folder (idempotent)."""
        for folder in (self.inbox, self.archive, self.quarantine, self.outputs, self.reference):
            folder.mkdir(parents=True, exist_ok=True)


def sha256_of(path: Path) -> str:
    """The content hash that identifies a file whatever its name."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_waiting(folders: DataFolders, dataset: str) -> list[Path]:
    """The files in inbox/<dataset>/, in name order (hidden and partial files skipped)."""
    folder = folders.inbox / dataset
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith((".tmp", ".part"))
    )


def unknown_inbox_folders(folders: DataFolders, known: set[str]) -> list[Path]:
    """Folders or files in the inbox that no robot reads (reported, never touched)."""
    if not folders.inbox.is_dir():
        return []
    return sorted(
        p for p in folders.inbox.iterdir() if p.name not in known and not p.name.startswith(".")
    )


def _free_name(folder: Path, name: str, sha256: str) -> Path:
    target = folder / name
    if target.exists():
        target = folder / f"{Path(name).stem}.{sha256[:12]}{Path(name).suffix}"
    return target


def archive_path(path: Path, folders: DataFolders, dataset: str, night: date, sha256: str) -> Path:
    """Where a processed file goes: archive/<dataset>/<night>/<hash prefix>_<name>.

    Deterministic, so the ledger records the place before the move, and two different
    files of the same name in one night cannot overwrite each other.
    """
    return folders.archive / dataset / night.isoformat() / f"{sha256[:12]}_{path.name}"


def move_to_archive(
    path: Path, folders: DataFolders, dataset: str, night: date, sha256: str
) -> Path:
    """Move a processed file to its archive place."""
    target = archive_path(path, folders, dataset, night, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    return target


def move_to_quarantine(
    path: Path, folders: DataFolders, dataset: str, sha256: str, reason: str
) -> Path:
    """Move an unreadable file to quarantine/<dataset>/ with a text file saying why."""
    folder = folders.quarantine / dataset
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name, sha256)
    target.with_name(target.name + ".reason.txt").write_text(
        f"The file {path.name} could not be read and was not processed.\n"
        f"Reason: {reason}\n"
        "What to do: correct the file in the source system and send it again; "
        "the rest of the night was processed.\n",
        encoding="utf-8",
    )
    os.replace(path, target)
    return target
