"""One run of a robot at a time, on SQLite and PostgreSQL: a second run is refused, other
robots are not, and a run killed outright leaves its robot free."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from robots.core.errors import ApplicationError, ReasonCode
from robots.core.ledger.database import make_engine
from robots.core.ledger.run_locks import lock_key, robot_lock
from robots.core.settings import PROJECT_ROOT

ROBOT = "helbredstillaeg"


def _sqlalchemy_url(ledger_url: str) -> str:
    return ledger_url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def engines(ledger_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one ledger: two schedulers, machines or people sharing it."""
    first, second = (make_engine(_sqlalchemy_url(ledger_url)) for _ in range(2))
    yield first, second
    first.dispose()
    second.dispose()


def _refused(engine: Engine, robot: str = ROBOT) -> bool:
    try:
        with robot_lock(engine, robot):
            return False
    except ApplicationError as exc:
        assert exc.code is ReasonCode.RUN_LOCKED
        assert exc.message == (
            f"{robot} is already running (another scheduler, machine or person started it); "
            "this run did nothing"
        )
        return True


def test_a_second_run_of_the_robot_is_refused_while_the_first_holds_the_lock(
    engines: tuple[Engine, Engine],
) -> None:
    first, second = engines
    with robot_lock(first, ROBOT):
        assert _refused(second)
        assert _refused(first), "the same engine (a second run in one process) is refused too"


def test_another_robot_is_not_held_up(engines: tuple[Engine, Engine]) -> None:
    first, second = engines
    with robot_lock(first, ROBOT), robot_lock(second, "laegeregninger"):
        assert _refused(second, "laegeregninger") and _refused(first)


def test_the_lock_is_free_again_after_the_run(engines: tuple[Engine, Engine]) -> None:
    first, second = engines
    with robot_lock(first, ROBOT):
        pass
    with robot_lock(second, ROBOT):
        assert _refused(first)
    second.dispose()
    assert not _refused(first)


def test_a_run_that_fails_releases_the_lock(engines: tuple[Engine, Engine]) -> None:
    first, second = engines
    with pytest.raises(RuntimeError), robot_lock(first, ROBOT):
        raise RuntimeError("the run failed")
    assert not _refused(second)


def test_the_runs_own_work_does_not_touch_the_lock(engines: tuple[Engine, Engine]) -> None:
    """The run's work borrows and returns pooled connections, and the night ends by
    disposing of its engine: none of that may let go of the lock or keep it past the run."""
    first, second = engines
    with robot_lock(first, ROBOT):
        for _ in range(3):
            with first.begin() as connection:
                connection.execute(select(1))
        assert _refused(second)
    first.dispose()
    assert not _refused(second)


def test_a_run_killed_outright_leaves_the_robot_free(ledger_url: str) -> None:
    url = _sqlalchemy_url(ledger_url)
    holder = textwrap.dedent(
        """
        import sys, time
        from robots.core.ledger.database import make_engine
        from robots.core.ledger.run_locks import robot_lock

        with robot_lock(make_engine(sys.argv[1]), sys.argv[2]):
            print("holding", flush=True)
            time.sleep(300)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", holder, url, ROBOT],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    engine = make_engine(url)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        assert _refused(engine)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        # The server notices the closed connection at once, the kernel the closed file;
        # allow it a moment on a busy machine.
        deadline = time.monotonic() + 10
        while _refused(engine) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _refused(engine)
    finally:
        child.kill()
        child.wait(timeout=30)
        engine.dispose()


def test_sqlite_locks_a_file_beside_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with robot_lock(engine, ROBOT):
        assert (tmp_path / f"ledger.sqlite.{ROBOT}.lock").exists()
    engine.dispose()


def test_an_in_memory_ledger_is_locked_within_the_process() -> None:
    first, second = make_engine("sqlite://"), make_engine("sqlite:///:memory:")
    with robot_lock(first, ROBOT):
        assert _refused(first) and _refused(second)
        assert not _refused(first, "laegeregninger")
    assert not _refused(second)


def test_the_key_is_the_same_in_every_process_and_release() -> None:
    """Two releases deriving different keys would run the robot twice at once."""
    assert lock_key(ROBOT) == lock_key(ROBOT) != lock_key("laegeregninger")
    assert lock_key(ROBOT) == -3740687927968637934
    assert -(2**63) <= lock_key("x" * 200) < 2**63


def test_a_name_that_cannot_name_a_lock_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with (
        pytest.raises(ApplicationError, match="cannot name a run lock"),
        robot_lock(engine, "../x"),
    ):
        pass
