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
    """The content hash that identifies a file whatever its name (never through a link)."""
    digest = hashlib.sha256()
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def link_id(path: Path) -> str:
    """What a link in the inbox is recorded by, in place of a content hash: its name, its
    target's name and the link's own inode and time (the target is never opened)."""
    status = path.lstat()
    text = f"link\0{path.name}\0{os.readlink(path)}\0{status.st_ino}\0{status.st_mtime_ns}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _waiting(entry: os.DirEntry[str]) -> bool:
    """A name a sender is still writing (hidden, .tmp, .part) is not there yet."""
    return not entry.name.startswith(".") and not entry.name.endswith((".tmp", ".part"))


def _dataset_folder(folders: DataFolders, dataset: str) -> Path | None:
    """inbox/<dataset>/ when it is a real folder (a link to a folder is never followed)."""
    folder = folders.inbox / dataset
    return folder if folder.is_dir() and not folder.is_symlink() else None


def files_waiting(folders: DataFolders, dataset: str) -> list[Path]:
    """The regular files in inbox/<dataset>/, in name order (hidden and partial files
    skipped, links and folders left to `links_waiting` and `not_read`)."""
    folder = _dataset_folder(folders, dataset)
    if folder is None:
        return []
    with os.scandir(folder) as entries:
        return sorted(
            Path(e.path) for e in entries if _waiting(e) and e.is_file(follow_symlinks=False)
        )


def links_waiting(folders: DataFolders, dataset: str) -> list[Path]:
    """Links in inbox/<dataset>/: refused, never opened (one could point at any file)."""
    folder = _dataset_folder(folders, dataset)
    if folder is None:
        return []
    with os.scandir(folder) as entries:
        return sorted(Path(e.path) for e in entries if _waiting(e) and e.is_symlink())


def not_read(folders: DataFolders, known: set[str]) -> list[tuple[Path, str]]:
    """What lies in the inbox and no dataset reads, with why: a folder no dataset has, a
    dataset folder that is a link, a folder or a device inside a dataset's folder. Never
    touched; the report names each, so nothing is ignored in silence."""
    if not folders.inbox.is_dir():
        return []
    found: list[tuple[Path, str]] = []
    with os.scandir(folders.inbox) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if entry.name not in known:
                what = "folder" if entry.is_dir(follow_symlinks=False) else "file"
                found.append(
                    (
                        path,
                        f"a {what} no dataset reads: the inbox has a folder per dataset "
                        f"({', '.join(sorted(known))})",
                    )
                )
            elif entry.is_symlink():
                found.append((path, "the dataset's folder is a link; links are never followed"))
            elif entry.is_dir(follow_symlinks=False):
                found.extend(_odd_entries(path))
    return found


def _odd_entries(folder: Path) -> list[tuple[Path, str]]:
    """Entries of a dataset's folder that are neither files nor links."""
    odd = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if not _waiting(entry) or entry.is_symlink() or entry.is_file(follow_symlinks=False):
                continue
            kind = "folder" if entry.is_dir(follow_symlinks=False) else "special file"
            odd.append(
                (
                    Path(entry.path),
                    f"a {kind} inside a dataset's folder is not read; put the "
                    "files themselves in the folder",
                )
            )
    return odd


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
