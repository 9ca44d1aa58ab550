"""The ledger's tables are reached through its modules only: the pipeline, paying and the
command line hold no SQL of their own (robots/core/ledger/__init__.py lists the API)."""

from __future__ import annotations

import re
from pathlib import Path

from robots.core.settings import PROJECT_ROOT

CALLERS = ["robots/core/pipeline", "robots/core/payments", "robots/cli.py", "robots/registry.py"]
SQL = re.compile(
    r"from sqlalchemy import [^\n]*\b(select|insert|update|delete|text)\b"
    r"|\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s+\w"
)


def _sources() -> list[Path]:
    found: list[Path] = []
    for name in CALLERS:
        path = PROJECT_ROOT / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def test_callers_of_the_ledger_write_no_sql() -> None:
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}: {match.group(0)}"
        for path in _sources()
        for match in SQL.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_check_finds_sql_where_there_is_some() -> None:
    assert SQL.search("from sqlalchemy import Connection, select\n")
    assert SQL.search('connection.execute(text("SELECT id FROM claims"))')
    assert not SQL.search("from sqlalchemy import Connection, Engine\n")
