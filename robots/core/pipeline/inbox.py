"""The data folder: inbox/<dataset>/ in, archive/ and quarantine/ out.

A file is known by the SHA-256 of its content, so a re-sent file under another name is
still recognised. Moves are renames within one folder tree, so a killed run leaves each
file either in the inbox or in its destination, never half-way.

A file is taken only once it has stopped changing: a sender copying an extract in while
the run starts would otherwise have half a file read, recorded by its half's hash, and
archived, and the other half never paid. What is left is named in the run's report
(`not_read`) and taken by the next run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataFolders:
    """Where a run reads from and writes to, all under one data folder, and from when a
    file in its inbox counts as arrived."""

    root: Path
    settled_before: float | None = None
    """A file in the inbox last changed at or after this moment (seconds since the epoch)
    is still arriving: left for the next run. A run sets it to its start less
    `[inbox] settle_seconds` (`folders_of_run`); None (a tool that only looks at the
    folders, a test) counts every file as arrived."""
    written_here: frozenset[str] = frozenset()
    """Inbox folders the robot fills itself during the run (a list written whole under a
    hidden name, then renamed into place): nothing in them is waited for."""

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


def folders_of_run(
    root: Path, *, settle_seconds: float, written_here: Iterable[str] = ()
) -> DataFolders:
    """The data folder as a run starting now sees it: a file changed within
    `settle_seconds` before now is still being copied in. One moment for the whole run, so
    the registers and the claims (listed minutes apart on a large night) and the report
    all draw the line in the same place."""
    return DataFolders(
        root, settled_before=time.time() - settle_seconds, written_here=frozenset(written_here)
    )


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


def _stamp(status: os.stat_result) -> tuple[int, int, int]:
    """What changes when a file is written to or replaced: size, time and inode."""
    return status.st_size, status.st_mtime_ns, status.st_ino


def _settling(folders: DataFolders, dataset: str) -> float | None:
    """The moment from which a file in the dataset's folder is still arriving, if any."""
    return None if dataset in folders.written_here else folders.settled_before


def _arriving(status: os.stat_result, settled_before: float) -> bool:
    return status.st_mtime_ns >= settled_before * 1e9


def files_waiting(folders: DataFolders, dataset: str) -> Iterator[Path]:
    """The regular files in inbox/<dataset>/ that have stopped changing, in name order
    (hidden and partial files skipped, links and folders left to `links_waiting` and
    `not_read`).

    A file changed since `folders.settled_before` is left for the next run. The folder is
    listed at once, but each file is looked at again just before it is handed over, and
    one whose size, time or inode changed since the listing (a copy slow but not idle) is
    left too. So take each file as it comes (hash it, then ask for the next): a caller
    that collects the list first loses the second look.
    """
    folder = _dataset_folder(folders, dataset)
    if folder is None:
        return
    settled_before = _settling(folders, dataset)
    with os.scandir(folder) as entries:
        listed = sorted(
            (Path(e.path), e.stat(follow_symlinks=False))
            for e in entries
            if _waiting(e) and e.is_file(follow_symlinks=False)
        )
    for path, listed_status in listed:
        if settled_before is not None and _arriving(listed_status, settled_before):
            logger.info("left %s in the inbox: still being written", path.name)
            continue
        try:
            status = path.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(status.st_mode) or _stamp(status) != _stamp(listed_status):
            logger.info("left %s in the inbox: it changed while the inbox was read", path.name)
            continue
        yield path


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
                found.extend(_still_arriving(folders, entry.name))
    return found


def _still_arriving(folders: DataFolders, dataset: str) -> list[tuple[Path, str]]:
    """The files of a dataset's folder changed since the run's line: left by this run (still
    being copied in when it began, or changed while it read them), or come in since. A run
    moves every file it takes in, so these are what waits for the next run. (A file changed
    after the listing whose sender then set its time back is not named; the next run takes
    it all the same.)"""
    settled_before = _settling(folders, dataset)
    if settled_before is None:
        return []
    now = time.time()
    arriving = []
    with os.scandir(folders.inbox / dataset) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if not _waiting(entry) or not entry.is_file(follow_symlinks=False):
                continue
            status = entry.stat(follow_symlinks=False)
            if not _arriving(status, settled_before):
                continue
            ago = max(0, round(now - status.st_mtime))
            arriving.append(
                (
                    Path(entry.path),
                    f"still being written (changed {ago} s ago); left for the next run",
                )
            )
    return arriving


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
