"""Every runtime dependency declared in pyproject.toml is imported by the project's code:
nothing is installed on a municipality's server that the robots never use."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT_NAMES = {
    "robocorp-tasks": "robocorp.tasks",
    "robocorp-log": "robocorp.log",
    "robocorp-workitems": "robocorp.workitems",
    "great-expectations": "great_expectations",
    "pydantic-settings": "pydantic_settings",
    "psycopg[binary]": "psycopg",
    "python-stdnum": "stdnum",
    "SQLAlchemy": "sqlalchemy",
    "argon2-cffi": "argon2",
}
"""Distributions whose import name differs from their name."""


def test_every_declared_dependency_is_imported() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("robots", "checks", "bench")
        for path in (ROOT / folder).rglob("*.py")
    )
    unused = []
    for requirement in project["dependencies"]:
        name = re.split(r"[=<>!~ ]", requirement, maxsplit=1)[0]
        module = IMPORT_NAMES.get(name, name.lower().replace("-", "_"))
        if module == "robocorp":
            continue  # the meta-package that pins robocorp's parts (tasks, log, workitems)
        package, _, part = module.rpartition(".")
        imported = rf"^\s*(from|import) {re.escape(module)}\b" + (
            rf"|^\s*from {re.escape(package)} import .*\b{part}\b" if package else ""
        )
        # psycopg is the database driver SQLAlchemy loads by name (postgresql+psycopg://).
        loaded = f"+{module}://" in code
        if not re.search(imported, code, re.MULTILINE) and not loaded:
            unused.append(name)
    assert unused == []
