"""What a run's child process is started with (robots/operations/launching.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from robots.core.settings import Settings
from robots.operations import launching


class _Ended:
    """A child that has printed nothing and ended well."""

    def __init__(self) -> None:
        self.stdout: list[str] = []

    def wait(self) -> int:
        return 0

    def kill(self) -> None:
        pass


@pytest.mark.parametrize("operator", [None, "/srv/ledger-volume/tmp"])
def test_sqlites_temp_files_go_to_the_data_folder_unless_the_operator_says_otherwise(
    operator: str | None,
    settings_for: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'ledger.sqlite'}", data_dir=tmp_path / "d")
    if operator is None:
        monkeypatch.delenv("SQLITE_TMPDIR", raising=False)
    else:
        monkeypatch.setenv("SQLITE_TMPDIR", operator)
    started: list[dict[str, str]] = []

    def popen(_command: list[str], *, env: dict[str, str], **_: object) -> _Ended:
        started.append(env)
        return _Ended()

    monkeypatch.setattr(launching.subprocess, "Popen", popen)
    launched = launching.launch_run("helbredstillaeg", settings=settings, night=date(2026, 11, 23))
    assert launched.ok
    assert [env["SQLITE_TMPDIR"] for env in started] == [operator or str(settings.data_dir)]
