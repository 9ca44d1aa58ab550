"""The audit trail: who (a robot or a person) did what, when.

Part of the ledger's API (see robots/core/ledger/__init__.py): functions take the
connection as a keyword argument, so the caller decides the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from robots.core.ledger.schema import (
    AuditEvent,
)


def robot_event(
    *,
    connection: Connection,
    robot: str,
    run_id: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: str | None = None,
) -> None:
    """An audit event written by a robot (now, by `robot:<name>`, in its run)."""
    from robots.core import dates

    audit(
        connection=connection,
        at=dates.now(),
        actor=f"robot:{robot}",
        action=action,
        entity=entity,
        entity_id=entity_id,
        run_id=run_id,
        detail=detail,
    )


def audit(
    *,
    connection: Connection,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    run_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one audit event (never updated, never deleted)."""
    connection.execute(
        insert(AuditEvent).values(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            run_id=run_id,
            detail=detail,
        )
    )
