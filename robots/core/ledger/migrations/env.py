"""Alembic environment: runs on the connection `database.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from robots.core.ledger.schema import Base

target_metadata = Base.metadata
config = context.config

connection = config.attributes.get("connection")
if connection is None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as own_connection:
        context.configure(connection=own_connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
