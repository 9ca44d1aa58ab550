"""claims: bill_key and document_key indexed only where a robot sets them

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Helbredstillæg sets neither key, so each of its claims cost two index entries nobody
can look up (a million claims: 2 x 25 MB and two B-tree inserts per claim). Lookups
ask `key = value`, which implies NOT NULL, so both databases still use the indexes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_KEYS = {"ix_claims_bill_key": "bill_key", "ix_claims_document_key": "document_key"}


def upgrade() -> None:
    for name, column in _KEYS.items():
        op.drop_index(name, table_name="claims")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name, "claims", ["robot", column], sqlite_where=where, postgresql_where=where
        )


def downgrade() -> None:
    for name, column in _KEYS.items():
        op.drop_index(name, table_name="claims")
        op.create_index(name, "claims", ["robot", column])
