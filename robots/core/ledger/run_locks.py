"""One run of a robot at a time, wherever it is started from.

The folder lock (`pipeline.nightly.run_lock`) keeps two runs out of one data folder on one
machine. It cannot see a second scheduler on another machine, or a person running the robot
by hand against another data folder, while both write to the same ledger. The ledger is
what they share, so the lock lives with it:

- PostgreSQL: a session-level advisory lock on a connection of its own, held for the
  whole run. The server drops it when that connection ends, so a run that is killed (or
  whose machine dies) frees the robot without anyone cleaning up.
- SQLite (a file on this machine): an `flock` on a file beside the database; the kernel
  drops it when the process ends, for the same reason.
- SQLite in memory: the ledger lives in this process only, so a lock in this process is
  all there is to share (one per robot, whichever in-memory ledger it runs on).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from robots.core.errors import ApplicationError, ConfigError, ReasonCode

logger = logging.getLogger(__name__)

_ROBOT_NAME = re.compile(r"[A-Za-z0-9_-]+")

_held_in_memory: set[str] = set()
"""The robots running on an in-memory ledger in this process."""
_held_in_memory_guard = threading.Lock()


def lock_key(robot: str) -> int:
    """The robot's advisory-lock key: a signed 64-bit integer, the same on every machine and
    in every release (a hash of the name; Python's `hash` changes between processes)."""
    digest = hashlib.blake2b(f"robots-run:{robot}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def robot_locked_error(robot: str) -> ApplicationError:
    """What a run that finds its robot running is told (retrying later will help)."""
    return ApplicationError(
        ReasonCode.RUN_LOCKED,
        f"{robot} is already running (another scheduler, machine or person started it); "
        "this run did nothing",
    )


@contextmanager
def robot_lock(engine: Engine, robot: str) -> Iterator[None]:
    """Hold the robot's run lock in the ledger `engine` for the duration of the block.

    Never waits: a robot already running means this run must do nothing at all.

    Raises:
        ApplicationError: RUN_LOCKED, when another run of the robot holds the lock.
        ConfigError: the robot's name cannot name a lock, or the database is neither
            SQLite nor PostgreSQL.
    """
    if not _ROBOT_NAME.fullmatch(robot):
        raise ConfigError(f"the robot name {robot!r} cannot name a run lock (letters, digits, _-)")
    dialect = engine.dialect.name
    if dialect == "postgresql":
        with _advisory_lock(engine, robot):
            yield
    elif dialect == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            with _process_lock(robot):
                yield
        else:
            with _file_lock(f"{database}.{robot}.lock", robot):
                yield
    else:
        raise ConfigError(f"the ledger is {dialect}; the robots run on SQLite or PostgreSQL")


@contextmanager
def _advisory_lock(engine: Engine, robot: str) -> Iterator[None]:
    """The lock on a connection of its own: the run's work goes through the pool's other
    connections, and committing at once leaves this one idle, not idle in a transaction
    (which would hold back vacuum all night, and which a server timeout may end)."""
    key = lock_key(robot)
    connection = engine.connect()
    try:
        taken = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar_one())
        connection.commit()
    except BaseException:
        connection.close()
        raise
    if not taken:
        connection.close()
        raise robot_locked_error(robot)
    try:
        yield
    finally:
        _advisory_unlock(connection, key, robot)


def _advisory_unlock(connection: Connection, key: int, robot: str) -> None:
    """Unlock and give the connection back; if unlocking fails, close the connection for
    good, so a pooled connection never carries the lock into another run."""
    try:
        released = connection.execute(select(func.pg_advisory_unlock(key))).scalar_one()
        connection.commit()
        if not released:
            logger.warning("%s: the run lock was already gone (the connection was lost)", robot)
    except SQLAlchemyError:
        logger.warning("%s: could not unlock; closing the lock's connection instead", robot)
        connection.invalidate()
    finally:
        connection.close()


@contextmanager
def _file_lock(path: str, robot: str) -> Iterator[None]:
    """An exclusive `flock` on `path`. The file is never deleted: a run that opened it just
    before the deletion would lock a file no later run sees."""
    handle = open(path, "a", encoding="utf-8")  # held open (and locked) for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise robot_locked_error(robot) from exc
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@contextmanager
def _process_lock(robot: str) -> Iterator[None]:
    with _held_in_memory_guard:
        if robot in _held_in_memory:
            raise robot_locked_error(robot)
        _held_in_memory.add(robot)
    try:
        yield
    finally:
        with _held_in_memory_guard:
            _held_in_memory.discard(robot)


__all__ = ["lock_key", "robot_lock", "robot_locked_error"]
