"""Savepoints that stay inside the caller's transaction, on SQLite as on PostgreSQL.

pysqlite begins its transaction only at the first INSERT, UPDATE or DELETE. A SAVEPOINT
issued before any of them starts a transaction of SQLite's own, which RELEASE commits: the
caller's rollback would then no longer take back what the savepoint wrote (an event
appended, an approval given, an import applied). So the caller's transaction is begun
first, by a write that changes nothing.
"""

from __future__ import annotations

from sqlalchemy import Connection, NestedTransaction


def savepoint(connection: Connection) -> NestedTransaction:
    """A savepoint within the caller's transaction (use as a context manager)."""
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not getattr(raw, "in_transaction", True):
            connection.exec_driver_sql("UPDATE audit_events SET id = id WHERE 1 = 0")
    return connection.begin_nested()
