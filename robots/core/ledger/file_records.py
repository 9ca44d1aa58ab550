"""The inbox's files the ledger has taken in (known by content, never read twice).

Part of the ledger's API (see robots/core/ledger/__init__.py): functions take the
connection as a keyword argument, so the caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, insert, select

from robots.core.ledger.schema import (
    SourceFile,
)


def file_is_known(*, connection: Connection, sha256: str) -> bool:
    """Whether a file with this content was processed or quarantined before."""
    return (
        connection.execute(select(SourceFile.id).where(SourceFile.sha256 == sha256)).first()
        is not None
    )


def known_files(*, connection: Connection, sha256s: Iterable[str]) -> set[str]:
    """Which of these contents were processed or quarantined before (one query)."""
    wanted = sorted(set(sha256s))
    if not wanted:
        return set()
    rows = connection.execute(
        select(SourceFile.sha256).where(SourceFile.sha256.in_(wanted))
    ).scalars()
    return set(rows)


def record_file(*, connection: Connection, **values: Any) -> int:
    """Record a source file and return its id."""
    result = connection.execute(insert(SourceFile).values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
