"""What kind of failure stopped a run, so the scheduler knows whether to try again.

A technical failure (the database unreachable, the disk full, a timeout, the process
killed) may pass: the run is tried again after a pause. Anything else needs a person:
bad data or a wrong setting (a `BusinessError`, a `ConfigError`) or a defect in the code;
trying again would fail the same way, so it is not retried, and people are told at once.
Another run of the same robot holding its lock is neither: this attempt did nothing.
"""

from __future__ import annotations

import errno
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from robots.core.cpr import mask_text
from robots.core.errors import ApplicationError, BusinessError, ConfigError, ReasonCode

FAILURE_FILE = "failure.json"
"""Written into the run's log folder by the run that failed; read by the scheduler."""


class FailureKind(StrEnum):
    TECHNICAL = "technical"
    NEEDS_PERSON = "needs_person"
    LOCKED = "locked"


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str
    """One line, CPR masked: what failed."""


_TECHNICAL_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EIO,
    errno.EAGAIN,
    errno.ETIMEDOUT,
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ESTALE,
}


def classify(error: BaseException) -> Failure:
    """The kind of `error`, following its causes (a database error wrapped by ours)."""
    reason = mask_text(f"{type(error).__name__}: {error}".splitlines()[0][:500])
    for cause in _chain(error):
        kind = _kind_of(cause)
        if kind is not None:
            return Failure(kind, reason)
    return Failure(FailureKind.NEEDS_PERSON, reason)


def _kind_of(error: BaseException) -> FailureKind | None:
    if isinstance(error, ApplicationError) and error.code is ReasonCode.RUN_LOCKED:
        return FailureKind.LOCKED
    if isinstance(error, (BusinessError, ConfigError)):
        return FailureKind.NEEDS_PERSON
    if isinstance(error, (ApplicationError, TimeoutError, ConnectionError, MemoryError)):
        return FailureKind.TECHNICAL
    if isinstance(error, OSError) and error.errno in _TECHNICAL_ERRNOS:
        return FailureKind.TECHNICAL
    # The database driver's errors "of the database's operation, not under the control of
    # the programmer" (PEP 249: a lost connection, a server gone, a file that cannot be
    # opened, a lock not granted), without importing a driver here: SQLAlchemy's
    # OperationalError and InterfaceError wrap psycopg's and sqlite3's alike.
    if type(error).__name__ in {"OperationalError", "InterfaceError"}:
        return FailureKind.TECHNICAL
    return None


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def write_failure(folder: Path, failure: Failure) -> None:
    """Leave the failure's kind where the scheduler reads it (best effort: a full disk may
    refuse this too, and a run without the file counts as a technical failure)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / FAILURE_FILE).write_text(
            json.dumps({"kind": failure.kind.value, "reason": failure.reason}), encoding="utf-8"
        )
    except OSError:
        pass


def read_failure(folder: Path) -> Failure | None:
    """The failure a run left in its log folder, if it left one."""
    try:
        data = json.loads((folder / FAILURE_FILE).read_text(encoding="utf-8"))
        return Failure(FailureKind(data["kind"]), str(data["reason"]))
    except (OSError, ValueError, KeyError):
        return None
