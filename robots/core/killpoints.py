"""Named points where the crash tests kill the run, for real, with SIGKILL.

`ROBOTS_KILL_AT=<name>` makes the process kill itself at that point: no cleanup, no
finally blocks, no flushing, exactly like a power cut or an OOM kill. The tests then run
the night again and check that every claim was paid exactly once. Unset, this is a no-op.

`ROBOTS_DISK_FULL_AT=<name>` makes a write there fail as a full disk does (OSError
ENOSPC), after the bytes so far have gone out: the fault suite's full disk, which no test
machine can give for real without root.
"""

from __future__ import annotations

import errno
import os
import signal

POINTS = (
    "after_references",
    "after_quarantine",
    "before_ledger_commit",
    "after_ledger_commit",
    "after_archive",
    "after_batch_prepared",
    "after_payment_file",
    "after_batch_released",
    "before_report",
)


def kill_point(name: str) -> None:
    """Die here if the crash test asked for it."""
    if name not in POINTS:
        raise ValueError(f"unknown kill point {name}")
    if os.environ.get("ROBOTS_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


DISK_FULL_POINTS = ("writing_payment_file",)


def disk_full_point(name: str) -> None:
    """Fail here as a full disk does, if the fault suite asked for it."""
    if name not in DISK_FULL_POINTS:
        raise ValueError(f"unknown disk-full point {name}")
    if os.environ.get("ROBOTS_DISK_FULL_AT") == name:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
